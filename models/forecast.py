"""When does a trend reach its ceiling: median ETA and an interval from slope and level uncertainty."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from models.trend import normal_quantile


@dataclass(frozen=True)
class CeilingForecast:
    """Time to reach ``target`` (in the trend's own scale), in days after ``x_now``.

    ``eta_days`` is the median; ``eta_lower_days``/``eta_upper_days`` bound the central
    ``confidence`` mass (earliest: fast slope and high level; latest: slow slope and low level).
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

    def with_upper(self, eta_upper_days: float) -> "CeilingForecast":
        """The same forecast with a later (wider) upper ETA bound."""
        return replace(self, eta_upper_days=eta_upper_days)

    def cone(self, days_ahead: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Median, lower and upper projected level ``days_ahead`` after now (trend scale)."""
        d = np.asarray(days_ahead, dtype=float)
        median = self.level + self.slope * d
        lower = self.level - self.z * self.level_se + self.slope_low * d
        upper = self.level + self.z * self.level_se + self.slope_high * d
        return median, lower, upper


def forecast_to_ceiling(
    level: float, level_se: float, slope: float, slope_interval: tuple[float, float], target: float, confidence: float
) -> CeilingForecast:
    """Solve ``level + slope * t = target`` for the median and the interval ends."""
    z = normal_quantile(0.5 + confidence / 2.0)
    low, high = slope_interval

    def solve(start: float, rate: float) -> float:
        if start >= target:
            return 0.0
        return (target - start) / rate if rate > 0 else float("inf")

    return CeilingForecast(
        eta_days=solve(level, slope),
        eta_lower_days=solve(level + z * level_se, high),
        eta_upper_days=solve(level - z * level_se, low),
        level=level,
        level_se=level_se,
        slope=slope,
        slope_low=low,
        slope_high=high,
        target=target,
        z=z,
    )
