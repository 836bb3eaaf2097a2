"""ETA interval coverage: how often the true incident falls inside slowburn's forecast interval.

Run: python -m benchmarks.eta_coverage [--incidents 200] [--quiet 0] [--workers 2] [--every 1d] [--json OUT]

The incident series of the seeded scenario suite (``benchmarks.scenarios``) are replayed
walk-forward with ``detector.backtest.replay.replay_findings``. Every evaluation before a series' incident
that carries a ``breach_forecast`` finding is one *forecast*: the true incident time (the first
sample at or above the ceiling) is *inside* when ``eta_lower <= incident <= eta_upper``, *early*
when it comes before ``eta_lower`` and *late* when after ``eta_upper``; an ``eta_upper`` of
``None`` ("never") is unbounded, so such a forecast is never late. The claimed coverage is the
signal's ``model.confidence``. Daily evaluations of one series are strongly correlated, so the
coverage is also given with every series weighted equally (the mean of the per-series coverages).
Quiet series never have a forecast to score; they only matter when ``--quiet`` is asked for.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from typing import Any, NamedTuple, TextIO

import numpy as np
import pandas as pd

from benchmarks.scenario_shapes import Scenario, make_scenarios
from benchmarks.scenarios import SEED, build, evaluation_grid
from benchmarks.suite_cli import report, suite_parser
from detector.backtest.replay import replay_findings
from detector.configuration.durations import parse_duration
from detector.configuration.schema import Config
from detector.core.findings import Finding
from detector.core.series import SeriesKey

DAY = pd.Timedelta(days=1)
HORIZONS = (("< 14 d", 0.0, 14.0), ("14-45 d", 14.0, 45.0), ("> 45 d", 45.0, float("inf")))
OUTCOMES = ("inside", "early", "late")


class Forecast(NamedTuple):
    """One scored interval: a ``breach_forecast`` at ``evaluated_at`` on one incident series."""

    series: str
    shape: str
    evaluated_at: pd.Timestamp
    eta: pd.Timestamp
    lower: pd.Timestamp
    upper: pd.Timestamp | None  # None: unbounded ("never")
    incident: pd.Timestamp
    claimed: float  # the interval's nominal central coverage (model.confidence)
    resized_later: bool  # the ceiling at evaluation is lower than the one the incident crossed

    @property
    def outcome(self) -> str:
        return outcome(self.incident, self.lower, self.upper)

    @property
    def horizon_days(self) -> float:
        """Median ETA, in days after the evaluation."""
        return (self.eta - self.evaluated_at) / DAY

    @property
    def width_days(self) -> float | None:
        """Interval width in days; None when unbounded."""
        return None if self.upper is None else (self.upper - self.lower) / DAY


def outcome(incident: pd.Timestamp, lower: pd.Timestamp, upper: pd.Timestamp | None) -> str:
    """ "early" (incident before ``lower``), "late" (after a finite ``upper``) or "inside" (ends included)."""
    if incident < lower:
        return "early"
    if upper is not None and incident > upper:
        return "late"
    return "inside"


def horizon_bucket(days: float) -> str:
    """The bucket of :data:`HORIZONS` that holds a median ETA of ``days``."""
    return next(name for name, low, high in HORIZONS if low <= days < high) if days >= 0 else HORIZONS[0][0]


def collect(
    findings: dict[SeriesKey, dict[pd.Timestamp, tuple[Finding, ...]]], keys: dict[SeriesKey, Scenario], config: Config
) -> list[Forecast]:
    """Every ``breach_forecast`` with an interval, made before its series' incident."""
    claimed = {s.name: s.model.confidence for s in config.signals}
    out = []
    for key, sc in keys.items():
        if sc.incident is None:
            continue
        crossed = sc.ceiling[sc.index.get_loc(sc.incident)]
        for at, found in sorted(findings.get(key, {}).items()):
            if at > sc.incident:
                break
            for f in found:
                if f.kind != "breach_forecast" or f.eta is None or f.eta_lower is None:
                    continue
                ceiling_then = sc.ceiling[max(int(sc.index.searchsorted(at)) - 1, 0)]
                out.append(
                    Forecast(
                        sc.name,
                        sc.shape,
                        at,
                        f.eta,
                        f.eta_lower,
                        f.eta_upper,
                        sc.incident,
                        claimed[key.signal],
                        bool(ceiling_then < crossed),
                    )
                )
    return out


def summarize(forecasts: Iterable[Forecast]) -> dict[str, Any]:
    """Counts, shares of each outcome, per-series coverage and interval widths of ``forecasts``."""
    rows = list(forecasts)
    n = len(rows)
    per_series: dict[str, list[bool]] = {}
    for r in rows:
        per_series.setdefault(r.series, []).append(r.outcome == "inside")
    widths = [w for w in (r.width_days for r in rows) if w is not None]
    out: dict[str, Any] = {"forecasts": n, "series": len(per_series)}
    for name in OUTCOMES:
        out[name] = sum(r.outcome == name for r in rows) / n if n else None
    out["coverage"] = out["inside"]
    out["coverage_per_series"] = float(np.mean([np.mean(v) for v in per_series.values()])) if per_series else None
    out["median_width_days"] = float(np.median(widths)) if widths else None
    out["median_relative_width"] = (
        float(np.median([r.width_days / max(r.horizon_days, 1.0) for r in rows if r.width_days is not None])) if widths else None
    )
    out["unbounded"] = n - len(widths)
    out["claimed"] = sorted({r.claimed for r in rows})
    return out


def breakdown(rows: list[Forecast]) -> dict[str, Any]:
    """The summary overall, per shape, per horizon bucket, and with the ceiling unchanged until the incident."""
    shapes = sorted({r.shape for r in rows})
    return {
        "overall": summarize(rows),
        "same_ceiling": summarize(r for r in rows if not r.resized_later),
        "by_shape": {s: summarize(r for r in rows if r.shape == s) for s in shapes},
        "by_horizon": {h: summarize(r for r in rows if horizon_bucket(r.horizon_days) == h) for h, _, _ in HORIZONS},
    }


def run(
    incidents: int = 200, quiet: int = 0, workers: int = 2, every: float = 86400.0, seed: int = SEED, log: TextIO = sys.stderr
) -> dict[str, Any]:
    """Generate the suite, replay it every ``every`` seconds and score every forecast interval; JSON-ready."""
    t0 = time.perf_counter()
    scenarios = make_scenarios(seed, incidents, quiet)
    config, data, keys = build(scenarios)
    times = evaluation_grid(scenarios, every)
    print(f"eta coverage: {incidents} incident series, {len(times)} evaluation times, workers={workers}", file=log)
    rows = collect(replay_findings(config, data, times, workers=workers), keys, config)
    return {
        "seed": seed,
        "incident_series": incidents,
        "quiet_series": quiet,
        "workers": workers,
        "every_days": every / 86400,
        "seconds": time.perf_counter() - t0,
        **breakdown(rows),
        "forecasts": [{**r._asdict(), "outcome": r.outcome} for r in rows],
    }


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f} %"


def _row(name: str, s: dict[str, Any]) -> str:
    width = "n/a" if s["median_width_days"] is None else f"{s['median_width_days']:.1f}"
    rel = "n/a" if s["median_relative_width"] is None else f"{s['median_relative_width']:.2f}"
    return (
        f"| {name} | {s['forecasts']} | {s['series']} | {_pct(s['coverage'])} | {_pct(s['coverage_per_series'])} "
        f"| {_pct(s['early'])} | {_pct(s['late'])} | {width} | {rel} | {s['unbounded']} |"
    )


def markdown(result: dict[str, Any]) -> str:
    """The coverage tables as Markdown (also what the command prints)."""
    claimed = ", ".join(f"{100 * c:g} %" for c in result["overall"]["claimed"]) or "n/a"
    lines = [
        f"{result['incident_series']} incident series of the scenario suite (seed {result['seed']}), replayed every "
        f"{result['every_days']:g} day(s); every `breach_forecast` before the incident is one forecast. "
        f"Claimed coverage (`model.confidence`): {claimed}.",
        "",
        "**Inside**: eta_lower <= incident <= eta_upper. **Early**: the incident came before eta_lower (the interval was too late); "
        '**late**: after eta_upper. An eta_upper of "never" is unbounded (never late) and its width is not in the median. '
        "**Per series**: the mean of each series' coverage (daily forecasts of one series are correlated). "
        "**Relative width**: width / median ETA (at least 1 day). "
        "**Same ceiling**: only forecasts whose ceiling is the one the incident crossed (no resize between the forecast and the incident).",
        "",
        "| group | forecasts | series | coverage | coverage per series | early | late | median width (d) | median relative width | unbounded |",
        "|---|---|---|---|---|---|---|---|---|---|",
        _row("all", result["overall"]),
        _row("same ceiling", result["same_ceiling"]),
    ]
    lines += [_row(f"shape: {k}", v) for k, v in result["by_shape"].items()]
    lines += [_row(f"median ETA {k}", v) for k, v in result["by_horizon"].items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = suite_parser(__doc__.splitlines()[0], SEED, 0, "quiet controls to add (they never carry a forecast to score)").parse_args(argv)
    return report(run(args.incidents, args.quiet, args.workers, parse_duration(args.every), args.seed), markdown, args.json_out)


if __name__ == "__main__":
    main()
