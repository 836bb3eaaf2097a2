"""Findings: the read-only result of evaluating one series at one time."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

import pandas as pd

from detector.core.instants import iso_utc
from detector.core.series import Labels, SeriesKey

if TYPE_CHECKING:
    from detector.policy.gates import Gate


class _Word(str, Enum):
    """A str-valued enum whose members print, format and serialise as their plain value
    (``f"{Severity.WARNING}"`` is ``warning``, ``json.dumps`` writes ``"warning"``)."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


class Severity(_Word):
    """How urgent a finding is, lowest first (``rank`` orders them)."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return SEVERITY_RANK[self]


class Kind(_Word):
    """What a finding says about its series.

    breach_forecast: trend reaches the ceiling within the horizon. at_ceiling: at or past the
    ceiling now (including a censored histogram quantile pinned at its top bucket). sustained_drift:
    significant growth in the bad direction with no ceiling in reach. step_change: a level shift in the
    bad direction at the onset of the current regime. regime_shift: a sudden level far above everything
    the series held before, held for hours (an eviction loop). stopped_reporting (info, optional): no
    sample for a day; the series is not judged. latent_default, fail_open_risk, declared_drift: from the
    Kubernetes configuration alone (``detector.limits.configuration``).
    """

    BREACH_FORECAST = "breach_forecast"
    AT_CEILING = "at_ceiling"
    SUSTAINED_DRIFT = "sustained_drift"
    STEP_CHANGE = "step_change"
    REGIME_SHIFT = "regime_shift"
    STOPPED_REPORTING = "stopped_reporting"
    LATENT_DEFAULT = "latent_default"
    FAIL_OPEN_RISK = "fail_open_risk"
    DECLARED_DRIFT = "declared_drift"


SEVERITY_RANK: dict[str, int] = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}
"""Severity -> rank (0 info, 1 warning, 2 critical); keyed by the enum, so a plain string finds it too."""
SEVERITIES: tuple[str, ...] = tuple(s.value for s in Severity)
"""The severity values lowest first, for command-line choices and config validation."""
KINDS: tuple[str, ...] = tuple(k.value for k in Kind)


@dataclass(frozen=True)
class DriverLink:
    """A driver signal that moves with the finding's series."""

    signal: str
    labels: Labels
    changepoint: pd.Timestamp | None  # the driver's changepoint that coincides, if any
    step_ratio: float | None  # driver level after / before that changepoint
    lag_days: int  # lag of the best correlation (driver leads by this)
    correlation: float  # Pearson r of daily changes at that lag

    def to_dict(self) -> dict[str, Any]:
        return {
            "signal": self.signal,
            "labels": dict(self.labels),
            "changepoint": iso_utc(self.changepoint),
            "step_ratio": self.step_ratio,
            "lag_days": self.lag_days,
            "correlation": round(self.correlation, 3),
        }


@dataclass(frozen=True)
class Finding:
    """One risk on one series. Identity (signal, labels, kind) is stable across runs."""

    key: SeriesKey
    kind: Kind
    severity: Severity
    evaluated_at: pd.Timestamp
    summary: str
    onset: pd.Timestamp | None = None
    eta: pd.Timestamp | None = None
    eta_lower: pd.Timestamp | None = None
    eta_upper: pd.Timestamp | None = None
    ceiling: float | None = None
    current: float | None = None
    baseline: float | None = None
    magnitude: float | None = None  # current / baseline (ratio; for direction down, baseline / current)
    slope_per_day: float | None = None
    slope_interval: tuple[float, float] | None = None
    censored: bool = False
    driver: DriverLink | None = None
    gates: tuple[Gate, ...] = ()  # the evidence that made it

    def __post_init__(self) -> None:
        """A kind or severity given as its string value becomes the enum member (an unknown one raises)."""
        object.__setattr__(self, "kind", Kind(self.kind))
        object.__setattr__(self, "severity", Severity(self.severity))

    @property
    def identity(self) -> tuple[str, Labels, Kind]:
        return (self.key.signal, self.key.labels, self.kind)

    @property
    def rank(self) -> int:
        return self.severity.rank

    def to_dict(self) -> dict[str, Any]:
        return {
            "signal": self.key.signal,
            "labels": self.key.label_dict,
            "kind": self.kind.value,
            "severity": self.severity.value,
            "evaluated_at": iso_utc(self.evaluated_at),
            "summary": self.summary,
            "onset": iso_utc(self.onset),
            "eta": iso_utc(self.eta),
            "eta_lower": iso_utc(self.eta_lower),
            "eta_upper": iso_utc(self.eta_upper),
            "ceiling": self.ceiling,
            "current": self.current,
            "baseline": self.baseline,
            "magnitude": self.magnitude,
            "slope_per_day": self.slope_per_day,
            "slope_interval": list(self.slope_interval) if self.slope_interval else None,
            "censored": self.censored,
            "driver": self.driver.to_dict() if self.driver else None,
            "gates": [g.to_dict() for g in self.gates],
        }


def at_least(findings: list[Finding] | tuple[Finding, ...], severity: Severity | str) -> list[Finding]:
    """Findings of ``severity`` or higher."""
    floor = SEVERITY_RANK[severity]
    return [f for f in findings if f.rank >= floor]
