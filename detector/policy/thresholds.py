"""Every threshold that turns evidence into a finding, in one frozen object, grouped by decision.

Each field states its unit and where its value comes from (``origin``): *budget* (derived from the
false-alarm budget), *calibrated* (tuned on a named benchmark on a date), or *convention* (a
choice a person would make and can change). ``DEFAULT_POLICY`` is the single source of every
default; a signal's ``model:`` settings override the fields in ``PER_SIGNAL`` (only those a user
wrote), and ``with_field`` builds a variant for calibration sweeps.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

from detector.core.instants import DAY, HOUR


def _t(default: Any, unit: str, origin: str) -> Any:
    return field(default=default, metadata={"unit": unit, "origin": origin})


@dataclass(frozen=True)
class Significance:
    """Is the current regime really worsening? (the slope test and the worsening-run test)"""

    settled: float = _t(0.95, "coverage", "convention: a two-sided 95 % slope interval excludes zero")
    young: float = _t(0.99, "coverage", "convention: a young regime is re-tested daily, so it needs stronger evidence")
    new: float = _t(0.999, "coverage", "convention: a regime younger than the shortest one, re-tested daily")
    continuation: float = _t(0.8, "coverage", "calibrated: scenario suite, 2026-11-21 (an old regime continuing a run)")
    daily_false_alarm_rate: float = _t(1 / 36500, "per series-day", "budget: < 1 false alarm per 100 series-years, tested daily")
    previous_level_slack: float = _t(1.0, "daily noise sigmas", "convention: a continuing regime holds the previous level within 1 sigma")

    @property
    def rise_sigmas(self) -> float:
        """Rise of a worsening run, in long-run sigmas, that a daily test at the budget allows:
        the one-sided quantile of the difference of two levels (sqrt 2) at the daily false-alarm rate."""
        from models.trend import normal_quantile  # scipy: not at import, so a config error returns at once

        return float(normal_quantile(1.0 - self.daily_false_alarm_rate) * 2**0.5)


@dataclass(frozen=True)
class RegimeAge:
    """How a regime's age limits what it may claim."""

    young_regimes: float = _t(2.0, "shortest regimes", "convention: younger than two shortest regimes is young")
    new_regime_reach: float = _t(2.0, "regime ages", "calibrated: replicas 2026-11-21 (a week-old slope forecasts at most two weeks)")
    run_without_history_regimes: float = _t(3.0, "shortest regimes", "calibrated: scenario suite warm-ups, 2026-11-21")
    history_before_onset_days: float = _t(7.0, "days", "convention: a week of data before the onset counts as history")


@dataclass(frozen=True)
class Deceleration:
    """Is a plateau forming (the recent slope clearly below the regime's)?"""

    window_days: int = _t(14, "days", "convention: the regime's last half, at most two weeks")
    min_window_days: int = _t(7, "days", "convention: at least a week to judge")
    coverage: float = _t(0.9, "coverage", "convention: upper bound of a 90 % interval of the recent slope")
    slope_ratio: float = _t(0.5, "ratio", "calibrated: scenario suite warm-ups, 2026-11-21")


@dataclass(frozen=True)
class OldGround:
    """Is the series merely back at a level it already held before the onset?"""

    min_prior_days: float = _t(7.0, "days", "convention: a week before the onset to compare with")
    hold_days: int = _t(3, "days", "convention: a level counts as held when its 3-day median reached it (one bad day does not)")


@dataclass(frozen=True)
class Drift:
    """Sustained worsening with no ceiling in reach."""

    min_magnitude: float = _t(1.2, "ratio", "convention: at least 20 % worse than the baseline")
    noise_sigmas: float = _t(3.0, "daily noise sigmas", "convention: the change exceeds three sigmas of daily noise")
    warning_ratio: float = _t(2.0, "ratio", "convention: doubled within the drift window is a warning")
    window: float = _t(90 * DAY, "seconds", "convention: growth measured over 90 days")


@dataclass(frozen=True)
class Step:
    """A level shift in the bad direction at the start of the current regime (info)."""

    noise_sigmas: float = _t(4.0, "daily noise sigmas", "convention")
    min_ratio: float = _t(1.3, "ratio", "convention: at least 30 %")


@dataclass(frozen=True)
class Saturation:
    """At the ceiling now: held within its noise of the ceiling for a while, whatever the trend."""

    hold: float = _t(6 * HOUR, "seconds", "convention: a few hours, not a spike and not days")
    held_quantile: float = _t(0.1, "quantile", "convention: 90 % of the hold's samples within the band")
    band_noise_sigmas: float = _t(2.0, "short-run sigmas", "convention: within two sigmas of short-run noise")
    band_min: float = _t(
        0.01,
        "share of the ceiling",
        "convention: 99 % of a limit is at the limit (a CPU pinned at 99.x %); "
        "a disk at 98.9 % that still fills is a breach forecast with its ETA, not at_ceiling",
    )
    band_max: float = _t(0.05, "share of the ceiling", "convention: noise never widens the band beyond 95 %")


@dataclass(frozen=True)
class Staleness:
    """A series that stopped reporting gets a note, not a risk finding."""

    stale_after: float = _t(DAY, "seconds", "convention: a day without samples")
    min_steps: int = _t(3, "steps", "convention: never less than three missed scrapes of the grid")
    info_finding: bool = _t(False, "flag", "convention: a note only; set true for an info finding too")


@dataclass(frozen=True)
class RegimeShift:
    """A sustained jump far outside everything the series held (an eviction loop)."""

    ratio: float = _t(10.0, "ratio", "convention: an order of magnitude above the highest level held before")
    hold: float = _t(12 * HOUR, "seconds", "convention: held for half a day (deploy spikes and surges are shorter)")
    held_quantile: float = _t(0.0, "quantile", "convention: every sample of the hold at the new level (held for 12 h, not 9)")


@dataclass(frozen=True)
class Drivers:
    """When a driver is named as moving with a series."""

    coincidence_days: int = _t(7, "days", "convention: changepoints within a week coincide")
    max_lag_days: int = _t(14, "days", "convention")
    window_days: int = _t(120, "days", "convention: correlation over the current months only")
    min_step: float = _t(1.2, "ratio", "convention: a driver step moves its level by 20 %")
    recent_step_ratio: float = _t(1.5, "ratio", "convention: a step younger than a regime must be 50 %")
    correlation_sigmas: float = _t(3.0, "null standard errors", "convention: |r| > 3 / sqrt(n)")


@dataclass(frozen=True)
class Trend:
    """Evidence scale: how the trend's noise is measured (changes every slope t-value)."""

    heavy_tail_share: float = _t(0.75, "share of the standard deviation", "calibrated: scenario suite bursty queues, 2026-11-21")


@dataclass(frozen=True)
class Configuration:
    """Findings from Kubernetes objects alone (latent limits)."""

    low_client_qps: float = _t(
        5.0,
        "requests/s",
        "convention: client-go's default QPS, which VPA itself raised to 50 in 1.5.0 because it throttled admission on large clusters",
    )


@dataclass(frozen=True)
class DetectionPolicy:
    significance: Significance = Significance()
    age: RegimeAge = RegimeAge()
    deceleration: Deceleration = Deceleration()
    old_ground: OldGround = OldGround()
    drift: Drift = Drift()
    step: Step = Step()
    saturation: Saturation = Saturation()
    staleness: Staleness = Staleness()
    shift: RegimeShift = RegimeShift()
    drivers: Drivers = Drivers()
    trend: Trend = Trend()
    configuration: Configuration = Configuration()

    def with_field(self, path: str, value: Any) -> DetectionPolicy:
        """A copy with ``group.field`` set (type-converted like the default)."""
        group_name, _, name = path.partition(".")
        group = getattr(self, group_name, None)
        if group is None or name not in {f.name for f in fields(group)}:
            raise KeyError(f"no policy field {path!r}; expected one of {', '.join(field_paths())}")
        current = getattr(group, name)
        if isinstance(current, bool) and isinstance(value, str):
            if value.lower() not in ("true", "false"):
                raise ValueError(f"{path}: expected true or false, got {value!r}")
            value = value.lower() == "true"
        return replace(self, **{group_name: replace(group, **{name: type(current)(value)})})


DEFAULT_POLICY = DetectionPolicy()

PER_SIGNAL: dict[str, str] = {
    "drift_ratio": "drift.warning_ratio",
    "drift_window": "drift.window",
    "at_ceiling_hold": "saturation.hold",
    "stale_after": "staleness.stale_after",
    "shift_ratio": "shift.ratio",
    "shift_hold": "shift.hold",
}
"""``model:`` setting of a signal -> the policy field it overrides."""


def field_paths() -> list[str]:
    return [f"{g.name}.{f.name}" for g in fields(DetectionPolicy) for f in fields(getattr(DEFAULT_POLICY, g.name))]


def describe() -> list[dict[str, Any]]:
    """Every field with its default, unit and origin (for docs and ``explain``)."""
    out = []
    for g in fields(DetectionPolicy):
        for f in fields(getattr(DEFAULT_POLICY, g.name)):
            out.append({"field": f"{g.name}.{f.name}", "default": getattr(getattr(DEFAULT_POLICY, g.name), f.name), **f.metadata})
    return out


def for_signal(policy: DetectionPolicy, model_settings: Any) -> DetectionPolicy:
    """``policy`` with the per-signal fields the user set in ``model:`` (pydantic ``model_fields_set``)."""
    out = policy
    for setting in sorted(getattr(model_settings, "model_fields_set", ())):
        if setting in PER_SIGNAL:
            out = out.with_field(PER_SIGNAL[setting], getattr(model_settings, setting))
    return out
