"""Does a driver move with a signal? Coinciding changepoints and lagged correlation of daily changes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DriverEvidence:
    """Evidence that a driver series moves with a target series (days on a shared day grid).

    ``coincident_day``: the driver's changepoint (day number since the epoch) that falls within the
    tolerance of one of the target's, or None. ``step_ratio``: the driver's level after / before it.
    ``lag_days``/``correlation``: best Pearson r of daily changes with the driver leading by that lag.
    """

    coincident_day: int | None
    step_ratio: float | None
    lag_days: int
    correlation: float
    correlation_significant: bool

    @property
    def linked(self) -> bool:
        return self.coincident_day is not None or (self.correlation_significant and self.correlation > 0)


def link_driver(
    target: np.ndarray,
    target_day0: int,
    target_breaks: list[int],
    driver: np.ndarray,
    driver_day0: int,
    driver_breaks: list[int],
    *,
    tolerance_days: int = 7,
    max_lag_days: int = 14,
    window_days: int = 120,
) -> DriverEvidence:
    """Compare a target and a driver given as daily levels starting at day numbers ``*_day0``.

    ``*_breaks`` are changepoint indices into each array. Only the last ``window_days`` of overlap
    are correlated, so the evidence describes the current regime rather than ancient history.
    """
    coincident, ratio = None, None
    target_days = [target_day0 + b for b in target_breaks]
    for b in sorted(driver_breaks, reverse=True):
        day = driver_day0 + b
        if any(abs(day - t) <= tolerance_days for t in target_days):
            coincident = day
            before = driver[max(0, b - 7): b]
            after = driver[b: b + 7]
            lo, hi = np.nanmedian(before) if np.isfinite(before).any() else np.nan, np.nanmedian(after) if np.isfinite(after).any() else np.nan
            ratio = float(hi / lo) if np.isfinite(lo) and np.isfinite(hi) and lo > 0 else None
            break
    lag, r, significant = _best_lagged_correlation(target, target_day0, driver, driver_day0, max_lag_days, window_days)
    return DriverEvidence(coincident, ratio, lag, r, significant)


def _changes(values: np.ndarray) -> np.ndarray:
    positive = np.isfinite(values) & (values > 0)
    if positive.sum() == np.isfinite(values).sum() and positive.any():
        return np.diff(np.log(np.where(positive, values, np.nan)))
    return np.diff(values)


def _best_lagged_correlation(
    target: np.ndarray, t0: int, driver: np.ndarray, d0: int, max_lag: int, window: int
) -> tuple[int, float, bool]:
    start, end = max(t0, d0), min(t0 + len(target), d0 + len(driver))
    if end - start < 10:
        return 0, 0.0, False
    start = max(start, end - window)
    tc = _changes(target[start - t0: end - t0])
    best = (0, 0.0, False)
    for lag in range(0, max_lag + 1):
        lo = start - lag
        if lo < d0:
            break
        dc = _changes(driver[lo - d0: end - lag - d0])
        ok = np.isfinite(tc) & np.isfinite(dc)
        if ok.sum() < 10:
            continue
        a, b = tc[ok] - tc[ok].mean(), dc[ok] - dc[ok].mean()
        denom = np.sqrt((a * a).sum() * (b * b).sum())
        if denom <= 0:
            continue
        r = float((a * b).sum() / denom)
        if abs(r) > abs(best[1]):
            best = (lag, r, abs(r) > 3.0 / np.sqrt(ok.sum()))
    return best
