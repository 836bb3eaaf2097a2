"""The golden snapshot of detector behaviour: every finding on the bundled replicas and on a few
seeded scenario series, replayed walk-forward, written as episodes (maximal runs of the same kind
and severity on consecutive evaluations) with the first ETA of each.

Regenerate after an intended change of behaviour, and say why in the commit:
    python -m tests.golden.snapshot --write
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks.scenario_shapes import make_scenarios
from benchmarks.scenarios import build, evaluation_grid
from detector.backtest.replay import replay_findings
from detector.configuration.schema import load_config
from detector.core.instants import iso_utc
from detector.sources.export import ExportSource

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "findings.json"
SCENARIO_SEED = 20261129


def episodes(timeline: dict[pd.Timestamp, tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Runs of the same (kind, severity) over consecutive evaluation times."""
    open_runs: dict[tuple[str, str], dict[str, Any]] = {}
    closed: list[dict[str, Any]] = []
    for at in sorted(timeline):
        current = {(f.kind, f.severity): f for f in timeline[at]}
        for ident in list(open_runs):
            if ident not in current:
                closed.append(open_runs.pop(ident))
        for ident, finding in current.items():
            if ident in open_runs:
                open_runs[ident]["last"] = iso_utc(at)
                open_runs[ident]["evaluations"] += 1
            else:
                open_runs[ident] = {
                    "kind": ident[0],
                    "severity": ident[1],
                    "first": iso_utc(at),
                    "last": iso_utc(at),
                    "evaluations": 1,
                    "first_eta": iso_utc(finding.eta),
                    "first_eta_lower": iso_utc(finding.eta_lower),
                    "first_eta_upper": iso_utc(finding.eta_upper),
                    "first_gates": sorted(g.name for g in finding.gates if g.passed),
                }
    closed.extend(open_runs.values())
    return sorted(closed, key=lambda e: (e["first"], e["kind"], e["severity"]))


def snapshot(workers: int = 2) -> dict[str, Any]:
    out: dict[str, Any] = {}
    config = load_config(ROOT / "config" / "replicas.yaml")
    data = ExportSource(ROOT / "data" / "replicas").fetch(config.signals)
    from detector.backtest.replay import evaluation_times

    times = evaluation_times(data, config, 86400.0)
    out["replicas"] = {str(k): episodes(v) for k, v in sorted(replay_findings(config, data, times, workers=workers).items())}
    scenarios = make_scenarios(SCENARIO_SEED, 6, 6)
    config, data, _ = build(scenarios)
    times = evaluation_grid(scenarios, 2 * 86400.0)
    out["scenarios"] = {str(k): episodes(v) for k, v in sorted(replay_findings(config, data, times, workers=workers).items())}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help=f"write {GOLDEN.name} instead of printing")
    args = parser.parse_args(argv)
    text = json.dumps(snapshot(), indent=1, sort_keys=True) + "\n"
    if args.write:
        GOLDEN.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
