"""False alarms on real operational noise: slowburn replayed walk-forward on NAB's real series.

Run: python -m benchmarks.realops [--data DIR] [--every 6h] [--workers 2] [--plots DIR] [--json OUT]

Data: ``DIR/nab`` (default ``../shared/benchmarks/realops`` next to the repository; never copied
into it): NAB realTraffic (7 series, 5 min, 9 days to 10 weeks), realAdExchange (6, hourly, 10
weeks) and realTweets (10, 5 min, 8 weeks), with NAB's labeled anomaly windows. One signal per
family with the settings of a user watching short 5-minute data (``benchmarks.realops_data``):
step 5m (1h for the ad exchange), lookback = the family's data length, min_history 3d,
min_regime 3d, direction up, no ceiling, everything else the project default.

Replay: ``detector.backtest.replay.replay_findings`` every 6 hours (on the UTC 00/06/12/18 grid), from
min_history after each series' first sample to one step after its last; each evaluation sees only
the samples before it. 6 hours resolves a shift within a day (the models judge daily levels)
while keeping the replay under a minute on 2 cores. Scoring (``benchmarks.realops_scoring``):
alert episodes = maximal runs of consecutive evaluations with a finding of warning or worse; an
episode starting outside every labeled window (each extended after its end by its own length) is
a false alarm, reported per 100 series-years of exposure (evaluations at which the series was
analysed, times 6 hours); a window is flagged when a flag falls in it (extended the same way).
The sparse TravelTime series (a sample every 10 minutes or less) fill under a quarter of their
5-minute bins on most days, so the models skip most of their days: the ANALYSED column shows it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, TextIO

import pandas as pd

from benchmarks.realops_data import DEFAULT_DIR, RealSeries, build, evaluation_span, load_nab
from benchmarks.realops_scoring import finding_rows, score_series, totals
from detector.backtest.replay import replay_findings
from detector.configuration.durations import parse_duration
from detector.configuration.schema import Config
from detector.core.findings import Finding
from detector.core.series import SeriesKey
from detector.errors import SlowburnError
from detector.policy.thresholds import DEFAULT_POLICY, DetectionPolicy

EVERY = 6 * 3600.0
Replayed = dict[SeriesKey, dict[pd.Timestamp, tuple[Finding, ...]]]


def series_times(series: RealSeries, config: Config, every: float) -> list[pd.Timestamp]:
    """The series' evaluation times: multiples of ``every`` since the epoch within its evaluation span."""
    first, last = evaluation_span(series, config)
    step = pd.Timedelta(seconds=every)
    start = pd.Timestamp((first.value + step.value - 1) // step.value * step.value, tz="UTC")
    return list(pd.date_range(start, last, freq=step)) if start <= last else []


def run(
    policy: DetectionPolicy = DEFAULT_POLICY,
    workers: int = 2,
    directory: Path = DEFAULT_DIR,
    every: float = EVERY,
    plots: Path | None = None,
    series: list[RealSeries] | None = None,
    log: TextIO = sys.stderr,
) -> dict[str, Any]:
    """Replay every series with ``policy``, score it, optionally plot it; a JSON-ready document.

    ``series`` skips the loading (a calibration sweep reads the files once); ``every`` is in seconds.
    """
    started = time.perf_counter()
    series = load_nab(directory) if series is None else series
    config, data = build(series)
    per_series = {s.key: series_times(s, config, every) for s in series}
    times = sorted({t for ts in per_series.values() for t in ts})
    print(f"realops: {len(series)} series, {len(times)} evaluation times every {every / 3600:g} h, workers={workers}", file=log)
    replayed: Replayed = replay_findings(config, data, times, workers=workers, policy=policy)
    findings: list[dict[str, Any]]
    rows, findings = [], []
    for s in series:
        at, by_time = per_series[s.key], replayed.get(s.key, {})
        rows.append(
            {"family": s.family.folder, "series": s.name, "days": round(s.span_days, 1), **score_series(at, by_time, s.windows, every)}
        )
        found = finding_rows(s.name, by_time, at, s.windows)
        findings.extend({"family": s.family.folder, **row} for row in found)
        if plots is not None:
            from benchmarks.realops_plots import plot_series  # matplotlib only when plots are asked for

            marks = [(pd.Timestamp(r["time"]), r["false_alarm"], f"{r['kind']} {r['severity']}") for r in found]
            plot_series(s, at, list(by_time), marks, Path(plots) / f"{s.family.folder}_{s.name}.png")
    return {
        "data": str(directory),
        "every_hours": every / 3600,
        "workers": workers,
        "seconds": time.perf_counter() - started,
        "signals": [signal.model_dump(mode="json", include={"name", "step", "lookback", "model"}) for signal in config.signals],
        "summary": totals(rows),
        "series": rows,
        "findings": findings,
    }


def table(result: dict[str, Any]) -> str:
    """The per-series table, the totals and every warning-or-worse finding (false alarms first)."""
    head = (
        f"{'SERIES':42} {'DAYS':>5} {'EVALS':>5} {'ANALYSED':>8} {'FLAGS':>5} {'EPIS':>4} {'FALSE':>5} {'WINDOWS (EVALUABLE) FLAGGED':>28}"
    )
    lines = [head]
    for r in result["series"]:
        windows = f"{r['windows']} ({r['windows_evaluable']}) {r['windows_flagged']}"
        lines.append(
            f"{r['family'] + '/' + r['series']:42} {r['days']:>5} {r['evaluations']:>5} {r['analysed']:>8} {r['flags']:>5} "
            f"{r['episodes']:>4} {r['false_alarms']:>5} {windows:>28}"
        )
    s = result["summary"]
    rate = s["false_alarms_per_100_series_years"]
    lines += [
        "",
        f"false alarms: {s['false_alarms']} episodes in {s['exposure_years']:.2f} series-years = "
        f"{'n/a' if rate is None else f'{rate:.1f}'} per 100 series-years ({s['episodes']} episodes in all, {s['flags']} flagged evaluations)",
        f"labeled windows flagged: {s['windows_flagged']} of {s['windows']} ({s['windows_evaluable']} evaluable; "
        f"{s['windows_flagged_strict']} flagged within the window itself)",
        f"{s['evaluations']} series evaluations every {result['every_hours']:g} h, {s['analysed']} analysed (the others: fewer than 3 days "
        f"with a quarter of their samples); {result['seconds']:.1f} s with workers={result['workers']}",
        "",
        "Episode: maximal run of consecutive evaluations with a warning or worse. False alarm: an episode starting",
        "outside every labeled window extended after its end by its own length. FLAGS: flagged evaluations.",
        "Exposure: analysed evaluations x the interval. WINDOWS: labeled (overlapping the evaluations) flagged.",
    ]
    ordered = sorted(result["findings"], key=lambda f: (not f["false_alarm"], f["family"], f["series"], f["time"]))
    if ordered:
        lines += ["", f"warning-or-worse findings ({len(ordered)}):", ""]
        lines += [
            f"{'FALSE ALARM' if f['false_alarm'] else 'in window  '} {f['family']}/{f['series']} {f['time']} {f['kind']} "
            f"{f['severity']}: {f['summary']}"
            for f in ordered
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DIR, help=f"directory holding nab/ (default {DEFAULT_DIR})")
    parser.add_argument("--every", default="6h", help="time between evaluations (default 6h)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--plots", type=Path, help="write one PNG per series into this directory")
    parser.add_argument("--json", dest="json_out", type=Path, help="write the result as JSON")
    args = parser.parse_args(argv)
    try:
        every = parse_duration(args.every)
    except ValueError as err:
        parser.error(f"--every: {err}")
    try:
        result = run(workers=args.workers, directory=args.data, every=every, plots=args.plots)
    except SlowburnError as err:
        print(f"error: {err}", file=sys.stderr)
        return int(err.exit_status)
    print(table(result))
    if args.json_out:
        args.json_out.write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
