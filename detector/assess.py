"""Turn one series' analysis into findings: kind, severity and summary, by the signal's policy.

Severity policy (per signal, ``severity`` and ``model`` settings):
- ``at_ceiling`` (critical): the last 24 h sit at or past the ceiling, or a censored histogram
  quantile is pinned at a top bucket that is itself at the ceiling.
- ``breach_forecast``: the current regime worsens significantly (slope interval excludes zero, not
  decelerating, not merely back at a level held before the onset; a run that began with the data
  must be three shortest regimes old) and the median ETA to the ceiling is
  within ``horizon``: critical when within ``critical_within``, else warning. A quantile pinned at
  its top bucket below the ceiling is critical: the true value is at least that and rising.
- A regime younger than ``min_regime`` (the last one may be half as long) that does not continue
  a worsening run only forecasts a breach within twice its age and makes no drift finding: a
  week-old slope says little about next month.
- ``sustained_drift`` (warning): worsening by at least ``drift_ratio`` within the last
  ``drift_window`` (so a disk that doubled in eight months is info, a p99 that doubled in seven
  weeks a warning) and by more than 3 noise sigmas, with no breach forecast; info for smaller
  significant drifts. The summary gives the growth since the onset.
- ``step_change`` (info): the current regime began with a level shift in the bad direction.
Everything is capped at ``severity.max_severity`` (context signals such as a driver use ``info``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from detector.config import Signal
from detector.findings import SEVERITY_RANK, DriverLink, Finding
from detector.series import SeriesKey
from detector.summary import describe_change, describe_driver, describe_eta, join
from detector.units import format_ratio, format_value
from models.analysis import SeriesAnalysis

DAY = 86400.0
NEW_REGIME_REACH = 2.0     # how far ahead (in multiples of its age) a new regime's slope is extrapolated


def assess(signal: Signal, key: SeriesKey, analysis: SeriesAnalysis, at: pd.Timestamp, driver: DriverLink | None) -> list[Finding]:
    a = analysis
    onset = _day(a.onset_day)
    worsening = a.slope_significant and not a.decelerating and not a.recovering and _judged_long_enough(signal, a)
    magnitude = a.magnitude
    common = dict(
        key=key, evaluated_at=at, onset=onset, ceiling=a.ceiling, current=_round(a.current), baseline=_round(a.baseline),
        magnitude=_round(magnitude), slope_per_day=_round(a.slope_per_day),
        slope_interval=(_round(a.slope_interval[0]), _round(a.slope_interval[1])), censored=a.censored_now, driver=driver,
    )
    change = describe_change(signal.name, magnitude, onset, signal.direction)
    findings: list[Finding] = []
    ceiling_finding = _ceiling_finding(signal, a, at, worsening, change, common)
    if ceiling_finding is not None:
        findings.append(ceiling_finding)
    elif worsening and not _new_regime(signal, a) and magnitude is not None and magnitude >= 1.2 and _beyond_noise(a):
        fast = a.window_magnitude
        severity = "warning" if fast is not None and fast >= signal.model.drift_ratio else "info"
        findings.append(Finding(kind="sustained_drift", severity=severity, summary=join(change, _no_ceiling_note(a), describe_driver(driver)), **common))
    step = _step_finding(signal, a, at, common)
    if step is not None:
        findings.append(step)
    return [_capped(f, signal.severity.max_severity) for f in findings]


def _ceiling_finding(signal: Signal, a: SeriesAnalysis, at: pd.Timestamp, worsening: bool, change: str, common: dict) -> Finding | None:
    if a.ceiling is None or a.forecast is None:
        return None
    bad = (lambda v, c: v >= c) if signal.direction == "up" else (lambda v, c: v <= c)
    name = signal.name
    if (np.isfinite(a.current_raw) and bad(a.current_raw, a.ceiling)) or (
        a.censored_now and signal.censor_at is not None and signal.censor_at >= a.ceiling
    ):
        summary = join(f"{name} at {format_value(a.current_raw, name)}, at or past its {format_value(a.ceiling, name)} ceiling", change)
        return Finding(kind="at_ceiling", severity="critical", summary=summary, eta=at, eta_lower=at, eta_upper=at, **common)
    f = a.forecast
    horizon_days = signal.horizon / DAY
    pinned = a.censored_now and signal.censor_at is not None
    if not (worsening or pinned) or (f.eta_days > horizon_days and not pinned):
        return None
    if not pinned and _new_regime(signal, a) and f.eta_days > NEW_REGIME_REACH * (a.now_day - a.regime_start_day):
        return None       # a week-old slope says little about next month
    eta = _after(at, f.eta_days)
    lower, upper = _after(at, f.eta_lower_days), _after(at, f.eta_upper_days)
    critical = f.eta_days <= signal.severity.critical_within / DAY or pinned
    eta_text = describe_eta(name, a.ceiling, eta, lower, upper, signal.model.confidence)
    if pinned:
        change = join(f"{name} at least {format_value(signal.censor_at, name)} (pinned at the top histogram bucket)", change)
    return Finding(
        kind="breach_forecast", severity="critical" if critical else "warning", summary=join(change, eta_text, describe_driver(common["driver"])),
        eta=eta, eta_lower=lower, eta_upper=upper, **common,
    )


def _step_finding(signal: Signal, a: SeriesAnalysis, at: pd.Timestamp, common: dict) -> Finding | None:
    if len(a.segments) < 2:
        return None
    seg, prev = a.segments[-1], a.segments[-2]
    jump = seg.value_at(seg.start) - prev.value_at(seg.start - 1)
    if jump <= 4 * a.noise_sigma or jump <= 0:
        return None
    before = a.to_unit(np.array([prev.value_at(seg.start - 1)]))[0]
    after = a.to_unit(np.array([seg.value_at(seg.start)]))[0]
    ratio = after / before if before > 0 and after > 0 else None
    if signal.direction == "down" and ratio:
        ratio = 1 / ratio
    if ratio is not None and ratio < 1.3:
        return None
    when = _day(a.daily.day0 + seg.start)
    summary = f"{signal.name} stepped {format_ratio(ratio)} on {when:%Y-%m-%d} ({format_value(before, signal.name)} to {format_value(after, signal.name)})"
    fields = {**common, "onset": when, "magnitude": _round(ratio)}
    return Finding(kind="step_change", severity="info", summary=summary, **fields)


def _new_regime(signal: Signal, a: SeriesAnalysis) -> bool:
    """The current regime is younger than the shortest regime (the segmentation lets the last
    one be half as long, so that a fast ramp is seen a week in) and does not continue a worsening
    run: it may only forecast a breach within ``NEW_REGIME_REACH`` times its age, and makes no
    drift finding. (After an acceleration, the run behind the new regime carries the evidence.)"""
    return a.now_day - a.regime_start_day < signal.model.min_regime / DAY and a.onset_day >= a.regime_start_day


def _judged_long_enough(signal: Signal, a: SeriesAnalysis) -> bool:
    """A worsening run with no history before it (it began with the data) must be three
    shortest regimes long: a warm-up at the start of a series looks like growth for weeks."""
    if a.history_before_onset_days >= 7:
        return True
    return a.now_day - a.onset_day >= 3 * signal.model.min_regime / DAY


def _beyond_noise(a: SeriesAnalysis) -> bool:
    """The drift exceeds three daily noise sigmas (so a near-zero baseline cannot fake a ratio)."""
    change = abs(a.current - a.baseline)
    scale = a.noise_sigma * (abs(a.current) if a.domain == "log" else 1.0)
    return change > 3 * scale


def _no_ceiling_note(a: SeriesAnalysis) -> str:
    if a.ceiling is None:
        return ""
    return "ceiling not reached within the horizon"


def _capped(finding: Finding, max_severity: str) -> Finding:
    if SEVERITY_RANK[finding.severity] <= SEVERITY_RANK[max_severity]:
        return finding
    return Finding(**{**finding.__dict__, "severity": max_severity})


def _day(day: float) -> pd.Timestamp:
    return pd.Timestamp(int(day) * int(DAY), unit="s", tz="UTC")


def _after(at: pd.Timestamp, days: float) -> pd.Timestamp | None:
    if not np.isfinite(days) or days > 365 * 50:
        return None
    return (at + pd.Timedelta(days=float(days))).floor("h")


def _round(value: float | None) -> float | None:
    if value is None or not np.isfinite(value):
        return None
    return float(f"{value:.6g}")
