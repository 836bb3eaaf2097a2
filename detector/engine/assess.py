"""Turn the policy's decisions on one series into findings: kind, severity, summary and gates.

The decisions themselves (what is worsening, at the ceiling, a breach, a drift, a step) are made
in ``detector.policy.judge`` from the thresholds of ``detector.policy.thresholds``; this module
only words them. Everything is capped at ``severity.max_severity`` (context signals use ``info``).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from detector.configuration.schema import Signal
from detector.core.findings import DriverLink, Finding, Kind, Severity
from detector.core.instants import from_day, from_unix
from detector.core.series import SeriesKey
from detector.core.units import format_ratio, format_value
from detector.policy.gates import Verdict
from detector.policy.judge import Decision, judge
from detector.policy.summary_line import describe_change, describe_driver, describe_eta, join
from detector.policy.thresholds import DetectionPolicy
from models.analysis import SeriesAnalysis


def assess(
    signal: Signal,
    key: SeriesKey,
    analysis: SeriesAnalysis,
    at: pd.Timestamp,
    driver: DriverLink | None,
    policy: DetectionPolicy,
    shift_driver: DriverLink | None = None,
) -> tuple[list[Finding], Verdict]:
    """Findings on one series at ``at`` and the verdict (every gate) behind them. ``shift_driver``:
    a driver whose level jumped just before this series' recent shift (named on a regime_shift)."""
    a = analysis
    decisions, verdict = judge(signal, policy, a)
    onset = from_day(a.onset_day)
    common = dict(
        key=key,
        evaluated_at=at,
        onset=onset,
        ceiling=a.ceiling,
        current=_round(a.current),
        baseline=_round(a.baseline),
        magnitude=_round(a.magnitude),
        slope_per_day=_round(a.slope_per_day),
        slope_interval=(_round(a.slope_interval[0]), _round(a.slope_interval[1])),
        censored=a.censored_now,
        driver=driver,
    )
    findings = [
        _finding(signal, a, at, d, {**common, "driver": shift_driver or driver} if d.kind == Kind.REGIME_SHIFT else common)
        for d in decisions
    ]
    return [_capped(f, signal.severity.max_severity) for f in findings], verdict


def _finding(signal: Signal, a: SeriesAnalysis, at: pd.Timestamp, d: Decision, common: dict) -> Finding:
    name = signal.name
    change = describe_change(name, a.magnitude, common["onset"], signal.direction)
    driver = common["driver"]
    if d.kind == Kind.AT_CEILING:
        summary = join(f"{name} at {format_value(a.current_raw, name)}, at or past its {format_value(a.ceiling, name)} ceiling", change)
        return Finding(kind=d.kind, severity=d.severity, summary=summary, eta=at, eta_lower=at, eta_upper=at, gates=d.gates, **common)
    if d.kind == Kind.BREACH_FORECAST and d.eta_days is not None:
        eta, lower, upper = (_after(at, days) for days in d.eta_days)
        text = describe_eta(name, a.ceiling, eta, lower, upper, signal.model.confidence)
        if d.pinned:
            change = join(f"{name} at least {format_value(signal.censor_at, name)} (pinned at the top histogram bucket)", change)
        return Finding(
            kind=d.kind,
            severity=d.severity,
            summary=join(change, text, describe_driver(driver)),
            eta=eta,
            eta_lower=lower,
            eta_upper=upper,
            gates=d.gates,
            **common,
        )
    if d.kind == Kind.REGIME_SHIFT:
        held = a.held
        start = from_unix(held.shift_start).floor("h")
        jump = format_ratio(held.shift_ratio) if np.isfinite(held.shift_ratio) else "from zero"
        summary = join(
            f"{name} jumped {jump} to {format_value(held.shift_level, name)} at {start:%Y-%m-%d %H:%M} UTC "
            f"(highest level held before: {format_value(held.shift_reference, name)}) and stays there",
            describe_driver(driver),
        )
        return Finding(
            kind=d.kind,
            severity=d.severity,
            summary=summary,
            gates=d.gates,
            **{**common, "onset": start, "magnitude": _round(held.shift_ratio), "current": _round(held.shift_level)},
        )
    if d.kind == Kind.SUSTAINED_DRIFT:
        note = "ceiling not reached within the horizon" if a.ceiling is not None else ""
        return Finding(kind=d.kind, severity=d.severity, summary=join(change, note, describe_driver(driver)), gates=d.gates, **common)
    return _step_finding(signal, a, d, common)


def _step_finding(signal: Signal, a: SeriesAnalysis, d: Decision, common: dict) -> Finding:
    seg = a.segments[-1]
    before, after, ratio = a.regime_step()
    when = from_day(a.daily.day0 + seg.start)
    summary = f"{signal.name} stepped {format_ratio(ratio)} on {when:%Y-%m-%d} ({format_value(before, signal.name)} to {format_value(after, signal.name)})"
    fields = {**common, "onset": when, "magnitude": _round(ratio)}
    return Finding(kind=d.kind, severity=d.severity, summary=summary, gates=d.gates, **fields)


def stopped_reporting(signal: Signal, key: SeriesKey, at: pd.Timestamp, last: pd.Timestamp, verdict: Verdict) -> Finding:
    """The optional info finding for a series that stopped reporting (policy ``staleness.info_finding``)."""
    summary = f"{signal.name} stopped reporting at {last:%Y-%m-%d %H:%M} UTC; not judged until it reports again"
    return Finding(
        key=key, kind=Kind.STOPPED_REPORTING, severity=Severity.INFO, evaluated_at=at, summary=summary, onset=last, gates=verdict.gates
    )


def _capped(finding: Finding, max_severity: str) -> Finding:
    cap = Severity(max_severity)
    if finding.severity.rank <= cap.rank:
        return finding
    return replace(finding, severity=cap)


def _after(at: pd.Timestamp, days: float) -> pd.Timestamp | None:
    if not np.isfinite(days) or days > 365 * 50:
        return None
    return (at + pd.Timedelta(days=float(days))).floor("h")


def _round(value: float | None) -> float | None:
    if value is None or not np.isfinite(value):
        return None
    return float(f"{value:.6g}")
