"""The offline core's targets on the bundled incident replicas, printed with their numbers.

Run: python -m benchmarks.replica_targets [--workers 2]
Replays data/replicas walk-forward (daily, no look-ahead) through the real CLI and checks the
issue's targets: webhook risk >= 120 days ahead, throttling onset within 14 days of the truth,
every disk >= 14 days before full, negative controls quiet, every cause flagged earlier than the
predict_linear rule (first flag and alert kept into the incident), fewer false alarms than it,
and the wall time of the whole replay (target: under a minute on 2 cores).
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
import time
from pathlib import Path

import pandas as pd

from detector.cli import main as slowburn
from detector.core.environment import Environment

ROOT = Path(__file__).resolve().parents[1]
REPLICAS = ROOT / "data" / "replicas"


def _days(later: str | None, earlier: str | None) -> float | None:
    if later is None or earlier is None:
        return None
    return (pd.Timestamp(later) - pd.Timestamp(earlier)).total_seconds() / 86400


def targets(document: dict, truth: dict, seconds: float) -> list[tuple[str, str, bool]]:
    baseline = {(e["signal"], tuple(sorted(e["labels"].items()))): e for e in document["baseline"]}
    p99 = next(e for e in document["series"] if e["signal"] == "webhook_p99_seconds" and e["labels"].get("name") == "vpa.k8s.io")
    throttle = next(e for e in document["series"] if e["signal"] == "client_throttle_wait_seconds")
    onset_error = abs(_days(throttle["onset"], truth["onsets"]['client_throttle_wait_seconds{job="vpa-admission-controller"}']) or 1e9)
    disks = [e for e in document["series"] if e["signal"] == "pvc_used_bytes"]
    quiet = [e for e in document["series"] if e["signal"].startswith("control_") or e["labels"].get("name") == "gatekeeper.sh"]
    causes = [e for e in document["series"] if e["role"] == "cause"]
    earlier_first, earlier_kept = [], []
    for e in causes:
        b = baseline.get((e["signal"], tuple(sorted(e["labels"].items()))))
        theirs_first = b["lead_time_days"] if b else None
        theirs_kept = b["sustained_lead_days"] if b else None
        earlier_first.append((e["lead_time_days"] or -1) > (theirs_first or 0))
        earlier_kept.append((e["sustained_lead_days"] or -1) > (theirs_kept or 0))
    ours, theirs = document["summary"]["slowburn"], document["summary"]["predict_linear"]
    disk_leads = [d["lead_time_days"] or 0 for d in disks]
    return [
        ("webhook p99 risk flagged >= 120 days before the incident", f"{p99['lead_time_days']} days", (p99["lead_time_days"] or 0) >= 120),
        ("throttling onset within 14 days of the truth", f"{throttle['onset'][:10]} ({onset_error:.1f} days off)", onset_error <= 14),
        ("every disk flagged >= 14 days before full", f"{min(disk_leads):.1f} to {max(disk_leads):.1f} days", min(disk_leads) >= 14),
        (
            "negative controls: no warning anywhere in the replay",
            f"{sum(1 for q in quiet if q['first_flagged'])} of {len(quiet)} flagged",
            not any(q["first_flagged"] for q in quiet),
        ),
        ("every cause flagged earlier than predict_linear (first flag)", f"{sum(earlier_first)} of {len(causes)}", all(earlier_first)),
        (
            "every cause flagged earlier than predict_linear (alert kept into the incident)",
            f"{sum(earlier_kept)} of {len(causes)}",
            all(earlier_kept),
        ),
        (
            "fewer false alarms than predict_linear",
            f"{ours['false_alarm_episodes']} vs {theirs['false_alarm_episodes']} episodes "
            f"({ours['false_alarms_per_series_year']} vs {theirs['false_alarms_per_series_year']} per series-year)",
            ours["false_alarm_episodes"] < theirs["false_alarm_episodes"],
        ),
        ("bundled backtest under one minute", f"{seconds:.1f} s", seconds < 60),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "backtest.json"
        started = time.perf_counter()
        status = slowburn(
            [
                "backtest",
                "--config",
                str(ROOT / "config" / "replicas.yaml"),
                "--data",
                str(REPLICAS),
                "--incidents",
                str(REPLICAS / "incidents.yaml"),
                "--json",
                str(out),
                "--workers",
                str(args.workers),
            ],
            Environment(stdout=io.StringIO(), stderr=io.StringIO()),
        )
        seconds = time.perf_counter() - started
        if status != 0:
            print(f"backtest failed with exit status {status}")
            return status
        document = json.loads(out.read_text())
    truth = json.loads((REPLICAS / "truth.json").read_text())
    rows = targets(document, truth, seconds)
    width = max(len(name) for name, _, _ in rows)
    for name, value, met in rows:
        print(f"{'met    ' if met else 'NOT met'}  {name:{width}}  {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
