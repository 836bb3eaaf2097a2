"""Prophet as a peer: one model per series, as prometheus-anomaly-detector fits, next to slowburn.

Run: python -m benchmarks.prophet_peer [--incidents 30] [--quiet 30] [--every 7d] [--workers 2] [--json OUT]

Optional dependency: ``pip install prophet`` (its wheel bundles cmdstan). Without it the command
prints why it skipped and exits 0.

The series are the first ``--incidents`` incident and first ``--quiet`` quiet series of the
scenario suite (same seed). Both methods are walked forward on the same weekly grid and see the
same window (the last 180 days before each evaluation time, nothing after it). Prophet
(daily and weekly seasonality, 80 % interval) is refitted at every evaluation; its alarm is
``yhat_upper`` reaching the ceiling within the 90-day horizon (forecast every 3 h). On an incident
series Prophet stops at its first alarm at or after the growth onset (an earlier alarm makes it
skip ahead to the onset), which keeps the benchmark affordable and gives both the first-flag lead
and the lead counting only alarms after the onset; quiet series are evaluated at every time.
"""

from __future__ import annotations

import logging
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TextIO

import numpy as np
import pandas as pd

from benchmarks.scenario_scoring import MIN_HISTORY, score, summarize
from benchmarks.scenario_shapes import Scenario, make_scenarios
from benchmarks.scenarios import SEED, build, evaluation_grid, run_slowburn
from benchmarks.suite_cli import report, suite_parser
from detector.configuration.durations import parse_duration

LOOKBACK = pd.Timedelta(days=180)
HORIZON = pd.Timedelta(days=90)
FORECAST_STEP = "3h"
SUITE = (200, 200)  # the scenario suite the subset is taken from


def prophet_available() -> str | None:
    """None when prophet imports, else the reason it cannot be used."""
    logging.getLogger("prophet").setLevel(logging.CRITICAL)  # "Importing plotly failed" is noise here
    logging.getLogger("cmdstanpy").setLevel(logging.CRITICAL)
    try:
        import prophet  # noqa: F401
    except ImportError as exc:
        return f"prophet is not installed ({exc}); install it with `pip install prophet` to run this benchmark"
    return None


def prophet_walk(task: tuple[Scenario, list[pd.Timestamp]]) -> dict[str, Any]:
    """Refit Prophet at every time in the grid (from 21 days of history); stop an incident series at its first alarm."""
    prophet_available()
    from prophet import Prophet

    logging.getLogger("cmdstanpy").disabled = True  # it sets up its own INFO handler on import
    sc, grid = task
    series = pd.Series(sc.values, index=sc.index.tz_localize(None))
    ceiling = pd.Series(sc.ceiling, index=series.index)
    flags: list[bool]
    times, flags, fits, predicts, failures = [], [], [], [], 0
    onset = None if sc.onset is None else sc.onset.tz_convert(None)
    for at in grid:
        at = at.tz_convert(None)
        if at < (sc.start + MIN_HISTORY).tz_convert(None) or (sc.incident is not None and at > sc.incident.tz_convert(None)):
            continue
        if flags and flags[-1] and onset is not None and at < onset:
            continue  # alarmed before the growth began: resume at the onset
        window = series.loc[(series.index >= at - LOOKBACK) & (series.index < at)].dropna()
        frame = pd.DataFrame({"ds": window.index, "y": window.to_numpy()})
        t0 = time.perf_counter()
        try:
            model = Prophet(daily_seasonality=True, weekly_seasonality=True, yearly_seasonality=False).fit(frame)
            t1 = time.perf_counter()
            future = pd.DataFrame({"ds": pd.date_range(at, at + HORIZON, freq=FORECAST_STEP)})
            upper = model.predict(future)["yhat_upper"].to_numpy()
        except (RuntimeError, ValueError):
            failures += 1
            continue
        t2 = time.perf_counter()
        fits.append(t1 - t0)
        predicts.append(t2 - t1)
        limit = float(ceiling.loc[ceiling.index < at].iloc[-1])
        times.append(at.to_datetime64())
        flags.append(bool(np.any(upper >= limit)))
        if flags[-1] and sc.incident is not None and (onset is None or at >= onset):
            break
    return {
        "name": sc.name,
        "times": np.array(times, dtype="datetime64[ns]"),
        "flags": np.array(flags, dtype=bool),
        "fit_seconds": fits,
        "predict_seconds": predicts,
        "failures": failures,
    }


def lead_after_onset(sc: Scenario, times: np.ndarray, flags: np.ndarray) -> float | None:
    """Days from the first alarm at or after the growth onset to the incident (None: no such alarm).
    An alarm before the growth began is a false alarm, not lead time; this measure ignores it."""
    if sc.incident is None or sc.onset is None:
        return None
    onset, incident = sc.onset.to_datetime64(), sc.incident.to_datetime64()
    hits = times[flags & (times >= onset) & (times <= incident)]
    return float((incident - hits[0]) / np.timedelta64(1, "D")) if len(hits) else None


def subset(incidents: int, quiet: int, seed: int = SEED) -> list[Scenario]:
    suite = make_scenarios(seed, *SUITE)
    return [s for s in suite if s.incident is not None][:incidents] + [s for s in suite if s.incident is None][:quiet]


def run(
    incidents: int = 30, quiet: int = 30, every: float = 7 * 86400.0, workers: int = 2, seed: int = SEED, log: TextIO = sys.stderr
) -> dict[str, Any]:
    reason = prophet_available()
    if reason is not None:
        print(f"prophet_peer: skipped: {reason}", file=log)
        return {"skipped": reason}
    scenarios = subset(incidents, quiet, seed)
    grid = evaluation_grid(scenarios, every)
    config, data, keys = build(scenarios)
    ours, ours_seconds, _, _ = run_slowburn(config, data, keys, grid, workers=1)
    our_evals = sum(len(t) for t, _ in ours.values())
    print(f"prophet_peer: slowburn {our_evals} evaluations in {ours_seconds:.1f} s (1 process); fitting Prophet...", file=log)
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        walks = list(pool.map(prophet_walk, [(sc, grid) for sc in scenarios]))
    prophet_seconds = time.perf_counter() - t0
    theirs = {w["name"]: (w["times"], w["flags"]) for w in walks}
    fits = np.array([f for w in walks for f in w["fit_seconds"]])
    totals = np.array([f + p for w in walks for f, p in zip(w["fit_seconds"], w["predict_seconds"], strict=True)])
    rows = {"slowburn": [score(sc, *ours[sc.name]) for sc in scenarios], "prophet": [score(sc, *theirs[sc.name]) for sc in scenarios]}
    for row in rows["prophet"]:
        row["sustained_lead_days"] = None  # not measured: Prophet stops at its first alarm
    summary = {"slowburn": summarize(rows["slowburn"], ours_seconds), "prophet": summarize(rows["prophet"], prophet_seconds)}
    for method, flags_of in (("slowburn", ours), ("prophet", theirs)):
        leads = [lead for sc in scenarios if (lead := lead_after_onset(sc, *flags_of[sc.name])) is not None]
        summary[method]["detected_after_onset"] = len(leads)
        summary[method]["median_lead_after_onset_days"] = float(np.median(leads)) if leads else None
        summary[method]["p10_lead_after_onset_days"] = float(np.percentile(leads, 10)) if leads else None
    for key in ("alerting_at_incident", "median_sustained_lead_days", "p10_sustained_lead_days"):
        summary["prophet"].pop(key)
    ours_ms = 1000 * ours_seconds / max(our_evals, 1)
    speedup = 1000 * float(np.median(totals)) / ours_ms if totals.size else None
    lead_ours, lead_theirs = summary["slowburn"]["median_lead_days"], summary["prophet"]["median_lead_days"]
    return {
        "incident_series": incidents,
        "quiet_series": quiet,
        "every_days": every / 86400,
        "workers": workers,
        "slowburn_ms_per_evaluation": ours_ms,
        "prophet_fits": int(fits.size),
        "prophet_failures": sum(w["failures"] for w in walks),
        "prophet_fit_seconds_median": float(np.median(fits)) if fits.size else None,
        "prophet_fit_predict_seconds_median": float(np.median(totals)) if totals.size else None,
        "speedup": speedup,
        "summary": summary,
        "targets": [
            {
                "target": "slowburn >= 100x faster per series evaluation",
                "value": f"{speedup:.0f}x" if speedup else "n/a",
                "met": bool(speedup and speedup >= 100),
            },
            {
                "target": "slowburn median lead longer than Prophet's",
                "value": f"{_f(lead_ours)} vs {_f(lead_theirs)} days",
                "met": lead_ours is not None and (lead_theirs is None or lead_ours > lead_theirs),
            },
        ],
    }


def markdown(result: dict[str, Any]) -> str:
    if "skipped" in result:
        return f"Skipped: {result['skipped']}."
    s = result["summary"]
    lines = [
        f"{result['incident_series']} incident + {result['quiet_series']} quiet series of the suite, walk-forward every "
        f"{result['every_days']:g} days, 180-day window. slowburn: {result['slowburn_ms_per_evaluation']:.1f} ms per series "
        f"evaluation (1 process). Prophet: {result['prophet_fits']} fits, median {result['prophet_fit_seconds_median']:.3f} s "
        f"per fit, {result['prophet_fit_predict_seconds_median']:.3f} s with the forecast ({result['prophet_failures']} failed fits); "
        f"{result['speedup']:.0f}x slower than slowburn.",
        "",
        "| method | flagged at or before incident | lead, first flag: median / p10 (days) | false alarms / 100 series-years (quiet series) "
        "| alarms before onset / 100 series-years (incident series) | time (s) |",
        "|---|---|---|---|---|---|",
    ]
    for m in ("slowburn", "prophet"):
        r = s[m]
        fa, pre = r["false_alarms_per_series_year"], r["pre_onset_alarms_per_series_year"]
        lines.append(
            f"| {m} | {r['detected']}/{r['incidents']} | {_f(r['median_lead_days'])} / {_f(r['p10_lead_days'])} "
            f"| {_f(None if fa is None else 100 * fa)} ({r['false_alarm_episodes']} in {r['quiet_series_years']:.1f} series-years) "
            f"| {_f(None if pre is None else 100 * pre)} | {r['seconds']:.1f} |"
        )
    after = [
        f"{m} {_f(s[m]['median_lead_after_onset_days'])} / {_f(s[m]['p10_lead_after_onset_days'])} d "
        f"({s[m]['detected_after_onset']}/{s[m]['incidents']} alarmed between onset and incident)"
        for m in ("slowburn", "prophet")
    ]
    lines += [
        "",
        "Lead counting only alarms at or after the growth onset (median / p10; an alarm before the growth "
        "began is a false alarm, not lead time; Prophet's walk resumes at the onset after such an alarm): "
        + "; ".join(after)
        + ". Not a target of the issue: reported so the first-flag lead can be read.",
    ]
    lines += ["", "Targets:", ""] + [f"- {t['target']}: {t['value']} -> {'met' if t['met'] else 'NOT met'}" for t in result["targets"]]
    return "\n".join(lines)


def _f(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = suite_parser(__doc__.splitlines()[0], SEED, 30)
    parser.set_defaults(incidents=30, every="7d")
    args = parser.parse_args(argv)
    return report(run(args.incidents, args.quiet, parse_duration(args.every), args.workers, args.seed), markdown, args.json_out)


if __name__ == "__main__":
    main()
