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
    min_step: float = 1.2,
    recent_step_ratio: float = 1.5,
    correlation_sigmas: float = 3.0,
) -> DriverEvidence:
    """Compare a target and a driver given as daily levels starting at day numbers ``*_day0``.

    ``*_breaks`` are changepoint indices into each array. Only the last ``window_days`` of overlap
    are correlated, so the evidence describes the current regime rather than ancient history.
    A changepoint is named when it moves the driver's level by ``min_step`` (``recent_step_ratio``
    for a step younger than a regime); a correlation counts beyond ``correlation_sigmas`` null
    standard errors. The thresholds come from the detection policy.
    """
    coincident, ratio = None, None
    target_days = [target_day0 + b for b in target_breaks]
    for b in sorted(driver_breaks, reverse=True):
        day = driver_day0 + b
        if any(abs(day - t) <= tolerance_days for t in target_days):
            step = _level_ratio(driver, b)
            if step is not None and abs(np.log(step)) >= np.log(min_step):
                coincident, ratio = day, step
                break
    if coincident is None:
        # a step too recent for a regime (younger than the shortest one) that the target shares
        recent = recent_step(driver, min_ratio=recent_step_ratio)
        if recent is not None:
            index, step = recent
            shift = driver_day0 + index - target_day0
            target_step = _level_ratio(target, shift) if 0 < shift < len(target) else None
            if target_step is not None and target_step >= min_step:
                coincident, ratio = driver_day0 + index, step
    lag, r, significant = _best_lagged_correlation(target, target_day0, driver, driver_day0, max_lag_days, window_days, correlation_sigmas)
    return DriverEvidence(coincident, ratio, lag, r, significant)


RECENT_DAYS = 14


def _level_ratio(values: np.ndarray, at: int, width: int = 7) -> float | None:
    """Median of up to ``width`` days from ``at`` over the median of the ``width`` days before."""
    before, after = values[max(0, at - width) : at], values[at : at + width]
    if not (np.isfinite(before).sum() >= 3 and np.isfinite(after).sum() >= 2):
        return None
    lo, hi = np.nanmedian(before), np.nanmedian(after)
    return float(hi / lo) if lo > 0 and hi > 0 else None


def recent_step(values: np.ndarray, window: int = RECENT_DAYS, min_ratio: float = 1.5) -> tuple[int, float] | None:
    """The level step within the last ``window`` days (at least 2 days after it), located where a
    two-sample statistic (difference of mean logs, sqrt(n1 n2 / (n1 + n2)) weighted) peaks, as
    (index, after/before median ratio) if the ratio is at least ``min_ratio`` either way."""
    tail = values[max(0, len(values) - 2 * window) :]
    offset = len(values) - len(tail)
    with np.errstate(invalid="ignore", divide="ignore"):
        logs = np.log(np.where(tail > 0, tail, np.nan))
    best_at, best_score = None, 0.0
    for at in range(max(3, len(tail) - window), len(tail) - 1):
        a, b = logs[:at], logs[at:]
        a, b = a[np.isfinite(a)], b[np.isfinite(b)]
        if a.size < 3 or b.size < 2:
            continue
        score = abs(b.mean() - a.mean()) * np.sqrt(a.size * b.size / (a.size + b.size))
        if score > best_score:
            best_at, best_score = at, score
    if best_at is None:
        return None
    ratio = _level_ratio(values, offset + best_at, width=window)
    if ratio is None or abs(np.log(ratio)) < np.log(min_ratio):
        return None
    return offset + best_at, ratio


def _changes(values: np.ndarray) -> np.ndarray:
    positive = np.isfinite(values) & (values > 0)
    if positive.sum() == np.isfinite(values).sum() and positive.any():
        return np.diff(np.log(np.where(positive, values, np.nan)))
    return np.diff(values)


def _best_lagged_correlation(
    target: np.ndarray, t0: int, driver: np.ndarray, d0: int, max_lag: int, window: int, sigmas: float
) -> tuple[int, float, bool]:
    start, end = max(t0, d0), min(t0 + len(target), d0 + len(driver))
    if end - start < 10:
        return 0, 0.0, False
    start = max(start, end - window)
    tc = _changes(target[start - t0 : end - t0])
    best = (0, 0.0, False)
    for lag in range(0, max_lag + 1):
        lo = start - lag
        if lo < d0:
            break
        dc = _changes(driver[lo - d0 : end - lag - d0])
        ok = np.isfinite(tc) & np.isfinite(dc)
        if ok.sum() < 10:
            continue
        a, b = tc[ok] - tc[ok].mean(), dc[ok] - dc[ok].mean()
        denom = np.sqrt((a * a).sum() * (b * b).sum())
        if denom <= 0:
            continue
        r = float((a * b).sum() / denom)
        if abs(r) > abs(best[1]):
            best = (lag, r, abs(r) > sigmas / np.sqrt(ok.sum()))
    return best
