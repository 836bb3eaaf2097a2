"""When does a trend reach its ceiling: median ETA and an interval from slope and level uncertainty."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from models.trend import normal_quantile


@dataclass(frozen=True)
class CeilingForecast:
    """Time to reach ``target`` (in the trend's own scale), in days after ``x_now``.

    ``eta_days`` is the median; ``eta_lower_days``/``eta_upper_days`` bound the central
    ``confidence`` mass (earliest: fast slope and high level; latest: slow slope and low level),
    widened by :meth:`with_lower`/:meth:`with_upper` when another reading of the growth (additive
    or multiplicative) is also plausible: the interval then spans both readings.
    ``inf`` means the trend does not reach the target (its slope bound is not rising).
    """

    eta_days: float
    eta_lower_days: float
    eta_upper_days: float
    level: float
    level_se: float
    slope: float
    slope_low: float
    slope_high: float
    target: float
    z: float

    def with_upper(self, eta_upper_days: float) -> CeilingForecast:
        """The same forecast with a later (wider) upper ETA bound."""
        return replace(self, eta_upper_days=eta_upper_days)

    def with_lower(self, eta_lower_days: float) -> CeilingForecast:
        """The same forecast with an earlier (wider) lower ETA bound, in days (>= 0); the median is unchanged."""
        return replace(self, eta_lower_days=max(eta_lower_days, 0.0))

    def cone(self, days_ahead: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Median, lower and upper projected level ``days_ahead`` after now (trend scale)."""
        d = np.asarray(days_ahead, dtype=float)
        median = self.level + self.slope * d
        lower = self.level - self.z * self.level_se + self.slope_low * d
        upper = self.level + self.z * self.level_se + self.slope_high * d
        return median, lower, upper


def forecast_to_ceiling(
    level: float,
    level_se: float,
    slope: float,
    slope_interval: tuple[float, float],
    target: float,
    confidence: float,
    peak_sd: float = 0.0,
) -> CeilingForecast:
    """Solve ``level + slope * t = target`` for the median and the interval ends.

    ``peak_sd`` (trend scale, >= 0) is the day-to-day standard deviation of a day's peak around its
    typical height (``target`` already allows for the typical one). The ceiling is reached on the
    first day whose peak gets there: that spread brings a first passage forward (a high day
    crosses early) far more than it delays it (a low day is followed by others), so it widens the
    earliest ETA (combined with ``level_se``), never the median or the latest.
    """
    z = normal_quantile(0.5 + confidence / 2.0)
    low, high = slope_interval
    early_se = float(np.hypot(level_se, peak_sd)) if peak_sd > 0 else level_se

    def solve(start: float, rate: float) -> float:
        if start >= target:
            return 0.0
        return (target - start) / rate if rate > 0 else float("inf")

    return CeilingForecast(
        eta_days=solve(level, slope),
        eta_lower_days=solve(level + z * early_se, high),
        eta_upper_days=solve(level - z * level_se, low),
        level=level,
        level_se=level_se,
        slope=slope,
        slope_low=low,
        slope_high=high,
        target=target,
        z=z,
    )
