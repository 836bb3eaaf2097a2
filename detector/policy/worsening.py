"""Is the current regime really worsening? The slope test at the coverage its age calls for, or the
worsening-run test; not decelerating; not back on old ground; old enough to judge. Every comparison
is a gate (``detector.policy.judge`` turns them, with the ceiling gates, into decisions)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from detector.core.instants import DAY
from detector.policy.gates import Gate, all_passed, flag, gate
from detector.policy.thresholds import DetectionPolicy
from models.analysis import SeriesAnalysis

if TYPE_CHECKING:
    from detector.configuration.schema import Signal  # for annotations only: config imports the policy's defaults

RUN_AGE = "age of a run that began with the data"


def min_regime_days(signal: Signal) -> int:
    return max(3, int(round(signal.model.min_regime / DAY)))


def worsening_gates(signal: Signal, policy: DetectionPolicy, a: SeriesAnalysis) -> list[Gate]:
    """Gates of 'the current regime is really worsening', in the order they are asked."""
    gates = significance_gates(signal, policy, a)
    if a.recent_trend is not None and a.trend.slope > 0:
        d = policy.deceleration
        gates.append(
            gate(
                "recent slope / regime slope (upper bound)",
                a.recent_trend.upper(d.coverage) / a.trend.slope,
                ">=",
                d.slope_ratio,
                context=f"{d.coverage:.0%} bound of the last {min(d.window_days, a.regime_days // 2)} days; below means a plateau is forming",
            )
        )
    if a.prior_days >= policy.old_ground.min_prior_days:
        gates.append(
            gate(
                "level now above the highest held before the onset",
                _units(a, a.recent_level),
                ">" if a.direction == "up" else "<",
                _units(a, a.highest_before),
                context=f"held for {policy.old_ground.hold_days} days; at or below is a recovery",
            )
        )
    if a.history_before_onset_days < policy.age.history_before_onset_days:
        need = policy.age.run_without_history_regimes * min_regime_days(signal)
        gates.append(
            gate(
                RUN_AGE,
                a.now_day - a.onset_day,
                ">=",
                need,
                "days",
                "a warm-up at the start of a series looks like growth; waived for a breach within critical_within",
            )
        )
    return gates


def significance_gates(signal: Signal, policy: DetectionPolicy, a: SeriesAnalysis) -> list[Gate]:
    """The slope test at the coverage the regime's age calls for; else the worsening-run test."""
    s = policy.significance
    shortest = min_regime_days(signal)
    young = a.regime_days < policy.age.young_regimes * shortest
    coverage = s.new if a.regime_days < shortest else s.young if young else s.settled
    slope = gate(
        "slope t-value",
        a.trend.t_value,
        ">",
        a.trend.t_needed(coverage),
        "",
        f"{coverage:.1%} two-sided for a regime {a.regime_days} days old",
    )
    if slope.passed or not a.continues_run:
        return [slope] if slope.passed else [slope, flag("continues a worsening run", False, "the regime itself starts the worsening")]
    run = [slope, flag("continues a worsening run", True)]
    run.append(
        gate(
            "level vs the previous regime's end",
            in_sigmas(a.recent_level - a.previous_level_end, a.noise_sigma),
            ">=",
            -s.previous_level_slack,
            "daily sigmas",
        )
    )
    if not young:
        run.append(
            gate(
                "slope t-value (continuing)", a.trend.t_value, ">", a.trend.t_needed(s.continuation), "", f"{s.continuation:.0%} two-sided"
            )
        )
    run.append(
        gate(
            "rise of the run",
            in_sigmas(a.recent_level - a.baseline_level, a.long_run_sigma),
            ">",
            s.rise_sigmas,
            "long-run sigmas",
            f"daily test at {s.daily_false_alarm_rate * 36500:.3g} false alarms per 100 series-years",
        )
    )
    return run


def is_worsening(gates: list[Gate], waive: tuple[str, ...] = ()) -> bool:
    """All worsening gates pass (the slope test, or every gate of the run test); ``waive`` names
    gates not asked (a regime's age, when the breach it forecasts is imminent)."""
    slope, rest = gates[0], [g for g in gates[1:] if g.name not in waive]
    if slope.passed:
        return all_passed([g for g in rest if not g.name.startswith("continues")])
    return all_passed(rest)


def in_sigmas(difference: float, sigma: float) -> float:
    if not np.isfinite(difference):
        return float("nan")
    if sigma > 0:
        return float(difference / sigma)
    return 0.0 if difference == 0 else float(np.sign(difference) * np.inf)


def _units(a: SeriesAnalysis, domain_value: float) -> float:
    return float(a.to_unit(np.array([domain_value]))[0]) if np.isfinite(domain_value) else float("nan")
