"""The one place evidence meets thresholds: a series' analysis in, decisions with their gates out.

Kinds and when (every number is a field of ``DetectionPolicy``):
- ``at_ceiling``: at or past the ceiling now (see ``_ceiling_now``).
- ``breach_forecast``: worsening and the ETA to the ceiling within ``horizon`` (critical within
  ``critical_within``); a histogram quantile pinned at its top bucket is critical.
- ``sustained_drift``: worsening with no breach in reach; a warning when it grew by
  ``drift.warning_ratio`` within ``drift.window``.
- ``step_change`` (info): the current regime began with a level shift in the bad direction.
- ``regime_shift`` (warning): the level held through the last ``shift.hold`` is ``shift.ratio`` times
  the highest level held before.
*Worsening* (``detector.policy.worsening``): the slope test (or the worsening-run test), not
decelerating, not back on old ground, and old enough to judge.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from detector.core.findings import Kind, Severity
from detector.core.instants import DAY, HOUR
from detector.policy.gates import Gate, Verdict, flag, gate
from detector.policy.thresholds import DetectionPolicy
from detector.policy.worsening import RUN_AGE, in_sigmas, is_worsening, min_regime_days, worsening_gates
from models.analysis import SeriesAnalysis

if TYPE_CHECKING:
    from detector.configuration.schema import Signal  # for annotations only: config imports the policy's defaults


@dataclass(frozen=True)
class Decision:
    """One finding to make: its kind, severity, the gates behind it and (for ceilings) the ETA in days."""

    kind: Kind
    severity: Severity
    gates: tuple[Gate, ...]
    eta_days: tuple[float, float, float] | None = None  # median, earliest, latest
    pinned: bool = False


def judge(signal: Signal, policy: DetectionPolicy, a: SeriesAnalysis) -> tuple[list[Decision], Verdict]:
    gates = worsening_gates(signal, policy, a)
    worsening = is_worsening(gates)
    trace: list[Gate] = list(gates)
    decisions: list[Decision] = []
    ceiling = _ceiling_decision(signal, policy, a, worsening, gates, trace)
    if ceiling is not None:
        decisions.append(ceiling)
    else:
        drift = _drift_decision(signal, policy, a, worsening, gates, trace)
        if drift is not None:
            decisions.append(drift)
    step = _step_decision(policy, a, trace)
    if step is not None:
        decisions.append(step)
    shift = _shift_decision(signal, policy, a, trace)
    if shift is not None:
        decisions.append(shift)
    return decisions, Verdict(tuple(trace), tuple(d.kind for d in decisions), _reason(decisions, trace), _eta_days(a, worsening, decisions))


def _eta_days(a: SeriesAnalysis, worsening: bool, decisions: list[Decision]) -> float | None:
    """The ETA the policy stands behind: a ceiling decision's, else the forecast of a worsening series."""
    for d in decisions:
        if d.eta_days is not None:
            return d.eta_days[0]
    if worsening and a.forecast is not None and np.isfinite(a.forecast.eta_days):
        return float(a.forecast.eta_days)
    return None


def new_regime(signal: Signal, a: SeriesAnalysis) -> bool:
    """Younger than the shortest regime and not continuing a worsening run."""
    return a.regime_age_days < min_regime_days(signal) and a.onset_day >= a.regime_start_day


def _ceiling_decision(
    signal: Signal, policy: DetectionPolicy, a: SeriesAnalysis, worsening: bool, gates: list[Gate], trace: list[Gate]
) -> Decision | None:
    if a.ceiling is None:
        return None
    now = _ceiling_now(signal, policy, a)
    trace.extend(now)
    passed = [g for g in now if g.passed]
    if passed:
        return Decision(Kind.AT_CEILING, Severity.CRITICAL, tuple(passed), (0.0, 0.0, 0.0))
    if a.forecast is None:
        return None
    f = a.forecast
    imminent = f.eta_days <= signal.severity.critical_within / DAY
    if imminent and not worsening and is_worsening(gates, waive=(RUN_AGE,)):
        worsening = True  # judged by the evidence for the rise, not by its age
        gates = [g for g in gates if g.name != RUN_AGE]
    pinned = bool(a.censored_now and signal.censor_at is not None)
    horizon = signal.horizon / DAY
    eta = gate("ETA to the ceiling", f.eta_days, "<=", horizon, "days", "median of the forecast; the signal's horizon")
    trace.append(eta)
    used = [*gates, eta]
    if pinned:
        used = [flag("pinned at the top histogram bucket", True, f"true value at least {signal.censor_at:g}")]
    elif not (worsening and eta.passed):
        return None
    if not pinned and not imminent and new_regime(signal, a):
        reach = gate(
            "ETA within the new regime's reach",
            f.eta_days,
            "<=",
            policy.age.new_regime_reach * a.regime_age_days,
            "days",
            f"{policy.age.new_regime_reach:g} x the age of a regime younger than {min_regime_days(signal)} days",
        )
        trace.append(reach)
        used.append(reach)
        if not reach.passed:
            return None
    critical = pinned or imminent
    if not pinned:
        soon = gate(
            "ETA within critical_within",
            f.eta_days,
            "<=",
            signal.severity.critical_within / DAY,
            "days",
            "critical when passed; an imminent breach is judged by its slope alone (no age gates)",
        )
        trace.append(soon)
        used.append(soon)
    return Decision(
        Kind.BREACH_FORECAST,
        Severity.CRITICAL if critical else Severity.WARNING,
        tuple(used),
        (f.eta_days, f.eta_lower_days, f.eta_upper_days),
        pinned,
    )


def _ceiling_now(signal: Signal, policy: DetectionPolicy, a: SeriesAnalysis) -> list[Gate]:
    """At the ceiling (any gate): the level held by most of the last ``saturation.hold`` lies within
    the band below the ceiling (``band_noise_sigmas`` short-run sigmas, between ``band_min`` and ``band_max`` of it)
    or past it; or the median of the last 24 h is at or past it (a noisy series bouncing on its limit)."""
    s = policy.saturation
    c = float(a.ceiling or 0.0)
    noise = s.band_noise_sigmas * a.held.short_sigma if np.isfinite(a.held.short_sigma) else 0.0
    band = float(np.clip(noise, s.band_min * abs(c), s.band_max * abs(c))) if c != 0 else noise
    up = signal.direction == "up"
    context = f"the level held by {1 - s.held_quantile:.0%} of the last {s.hold / HOUR:g} h; within {band:.3g} of the {c:g} ceiling counts"
    median = gate("median of the last 24 h vs the ceiling", a.current_raw, ">=" if up else "<=", c, context="at or past it")
    if up:
        return [gate("held level vs the ceiling", a.held.saturation_level, ">=", c - band, context=context), median]
    return [gate("held level vs the floor", a.held.saturation_level, "<=", c + band, context=context), median]


def _shift_decision(signal: Signal, policy: DetectionPolicy, a: SeriesAnalysis, trace: list[Gate]) -> Decision | None:
    """A sudden regime shift far outside everything held before (only for rising-is-bad signals)."""
    ratio = a.held.shift_ratio
    if signal.direction != "up" or not np.isfinite(a.held.shift_level) or np.isnan(ratio):
        return None
    s = policy.shift
    shift = gate(
        "held level over the highest held before",
        ratio,
        ">=",
        s.ratio,
        "x",
        f"held by {1 - s.held_quantile:.0%} of the last {s.hold / HOUR:g} h: {a.held.shift_level:.3g}; before: {a.held.shift_reference:.3g}",
    )
    trace.append(shift)
    return Decision(Kind.REGIME_SHIFT, Severity.WARNING, (shift,)) if shift.passed else None


def stale_gate(policy: DetectionPolicy, step: float, silent_for: float) -> Gate:
    """Fresh enough to judge: some sample in the last ``max(min_steps x step, stale_after)``."""
    limit = max(policy.staleness.min_steps * step, policy.staleness.stale_after)
    return gate(
        "time since the last sample", silent_for / HOUR, "<", limit / HOUR, "h", "no sample in that long: stopped reporting, not judged"
    )


def _drift_decision(
    signal: Signal, policy: DetectionPolicy, a: SeriesAnalysis, worsening: bool, gates: list[Gate], trace: list[Gate]
) -> Decision | None:
    if not worsening or new_regime(signal, a):
        return None
    d = policy.drift
    size = gate("growth since the onset", a.magnitude, ">=", d.min_magnitude, "x")
    scale = a.noise_sigma * (abs(a.current) if a.domain == "log" else 1.0)
    noise = gate("change beyond daily noise", in_sigmas(abs(a.current - a.baseline), scale), ">", d.noise_sigmas, "daily sigmas")
    trace.extend([size, noise])
    if not (size.passed and noise.passed):
        return None
    fast = gate("growth within the drift window", a.window_magnitude, ">=", d.warning_ratio, "x", f"last {d.window / DAY:g} days")
    trace.append(fast)
    return Decision(Kind.SUSTAINED_DRIFT, Severity.WARNING if fast.passed else Severity.INFO, (*gates, size, noise, fast))


def _step_decision(policy: DetectionPolicy, a: SeriesAnalysis, trace: list[Gate]) -> Decision | None:
    if len(a.segments) < 2:
        return None
    seg, prev = a.segments[-1], a.segments[-2]
    jump = seg.value_at(seg.start) - prev.value_at(seg.start - 1)
    if jump <= 0:
        return None
    size = gate("step at the regime start", in_sigmas(jump, a.noise_sigma), ">", policy.step.noise_sigmas, "daily sigmas")
    trace.append(size)
    if not size.passed:
        return None
    ratio = a.regime_step()[2]
    used = [size]
    if ratio is not None:
        ratio_gate = gate("step ratio", ratio, ">=", policy.step.min_ratio, "x")
        trace.append(ratio_gate)
        used.append(ratio_gate)
        if not ratio_gate.passed:
            return None
    return Decision(Kind.STEP_CHANGE, Severity.INFO, tuple(used))


def _reason(decisions: list[Decision], trace: list[Gate]) -> str:
    """One line: the top decision and the gates that made it, then what held anything higher back;
    or, when nothing was flagged, every gate that failed."""
    failed = [g for g in trace if not g.passed]
    if decisions:
        top = max(decisions, key=lambda d: d.severity.rank)
        made = "; ".join(g.short() for g in top.gates if g.passed)
        held = f"; not more: {'; '.join(g.short() for g in failed)}" if failed and top.severity != Severity.CRITICAL else ""
        return f"{top.kind} ({top.severity}) because {made}{held}"
    if not failed:
        return "not flagged: nothing worsening"
    return "not flagged: " + "; ".join(g.short() for g in failed)
