"""Daily and weekly cycles: find them when they are there, remove them, remember their peak.

Works on a regular sub-daily series (e.g. hourly). The cycle is an hour-of-week profile of the
residual around a one-week moving average, split into a daily part and a weekly remainder; each is
kept only if it explains enough of the residual variance. For strictly positive series with a wide
range the profile is multiplicative (estimated on the logarithm), as latency and load cycles scale
with the level.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from sklearn.base import BaseEstimator

from models._validation import as_float_array, check_is_fitted, median_of

DAY = 86400.0
WEEK = 7 * DAY


class SeasonalProfile(BaseEstimator):
    """Estimate and remove daily / weekly cycles.

    Parameters
    ----------
    mode : {"auto", "none"}
        "none" disables the model (``transform`` is the identity).
    min_strength : float
        Share of residual variance (0..1) a cycle must explain to be kept.
    """

    def __init__(self, mode: str = "auto", min_strength: float = 0.15) -> None:
        self.mode = mode
        self.min_strength = min_strength

    def fit(self, values: np.ndarray, start: float, step: float, exclude: np.ndarray | None = None) -> SeasonalProfile:
        """Fit on ``values`` sampled every ``step`` seconds from unix time ``start``.

        ``exclude`` marks samples (e.g. censored ones) that must not shape the profile.
        """
        y = as_float_array(values)
        self.step_ = float(step)
        self.start_ = float(start)
        slots = int(round(WEEK / step)) if step < DAY else 0
        self.slots_per_week_ = slots
        self.profile_ = np.zeros(max(slots, 1))
        self.periods_: tuple[str, ...] = ()
        self.multiplicative_ = False
        self.strength_ = {"daily": 0.0, "weekly": 0.0}
        if self.mode == "none" or slots == 0 or WEEK % step or np.isfinite(y).sum() < 2 * slots:
            return self
        usable = np.isfinite(y) & (~exclude if exclude is not None else True)
        positive = usable & (y > 0)
        self.multiplicative_ = bool(positive.sum() == usable.sum() and usable.any() and y[usable].min() > 0)
        work = np.where(usable, np.log(np.where(positive, y, 1.0)) if self.multiplicative_ else y, np.nan)
        resid = work - _moving_average(work, int(round(DAY / step)) * 7)
        phase = self._phase(len(y))
        per_day = int(round(DAY / step))
        weekly_profile = _robust_slot_mean(resid, phase, slots)
        daily_profile = weekly_profile.reshape(7, per_day).mean(axis=0)
        daily_full = np.tile(daily_profile, 7)
        remainder = weekly_profile - daily_full
        seen = np.isfinite(resid)
        observed, seen_phase = resid[seen], phase[seen]
        total = observed.var() if observed.size else 0.0
        if not total > 0:
            return self
        # explained variance minus what fitting that many slot means to noise explains by chance
        count = max(observed.size, 1)
        daily_strength = 1.0 - (observed - daily_full[seen_phase]).var() / total - per_day / count
        weekly_strength = 1.0 - (observed - weekly_profile[seen_phase]).var() / total - max(daily_strength, 0.0) - slots / count
        self.strength_ = {"daily": float(daily_strength), "weekly": float(weekly_strength)}
        profile = np.zeros(slots)
        periods = []
        if daily_strength >= self.min_strength:
            profile += daily_full
            periods.append("daily")
        if weekly_strength >= self.min_strength / 2:
            profile += remainder
            periods.append("weekly")
        self.profile_ = profile - profile.mean()
        self.periods_ = tuple(periods)
        return self

    def _phase(self, length: int) -> np.ndarray:
        first = int(round((self.start_ % WEEK) / self.step_))
        return _phases(first, length, self.slots_per_week_)

    def seasonal(self, length: int, start: float | None = None) -> np.ndarray:
        """The fitted cycle over ``length`` samples (additive, or log-additive if multiplicative)."""
        check_is_fitted(self, "profile_")
        if not self.periods_:
            return np.zeros(length)
        if start is None:
            return self.profile_[self._phase(length)]
        first = int(round((start % WEEK) / self.step_))
        return self.profile_[_phases(first, length, self.slots_per_week_)]

    def transform(self, values: np.ndarray) -> np.ndarray:
        """Remove the cycle from a series that starts where the fitted one started."""
        y = as_float_array(values)
        if not self.periods_:
            return y
        cycle = self.seasonal(len(y))
        return y * np.exp(-cycle) if self.multiplicative_ else y - cycle

    @property
    def peak_excursion_(self) -> float:
        """How far the cycle's peak lies above the deseasonalised level: a ratio if multiplicative
        (e.g. 1.25), else an additive amount (0.0 when there is no cycle)."""
        check_is_fitted(self, "profile_")
        if not self.periods_:
            return 1.0 if self.multiplicative_ else 0.0
        peak = float(np.max(self.profile_))
        return float(np.exp(peak)) if self.multiplicative_ else peak


def _phases(first: int, length: int, slots: int) -> np.ndarray:
    """Slot of each of ``length`` samples, the first in slot ``first``: ``(first + i) % slots``,
    one week's cycle repeated (a third of the cost of the modulo over every sample)."""
    return np.resize((first + np.arange(slots)) % slots, length)


def _moving_average(values: np.ndarray, window: int) -> np.ndarray:
    """Centred moving average ignoring NaN (NaN where the window holds too few values); O(n)."""
    finite = np.isfinite(values)
    sums = np.concatenate(([0.0], np.cumsum(np.where(finite, values, 0.0))))
    counts = np.concatenate(([0], np.cumsum(finite)))
    lo, hi = _window_bounds(len(values), window)
    n = counts[hi] - counts[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > window / 4, (sums[hi] - sums[lo]) / np.maximum(n, 1), np.nan)


@lru_cache(maxsize=16)
def _window_bounds(length: int, window: int) -> tuple[np.ndarray, np.ndarray]:
    """First and one-past-last index of the centred window around each sample, clipped to the
    series (read-only, shared: every series of a signal has the same length)."""
    idx = np.arange(length)
    lo = np.clip(idx - window // 2, 0, length)
    hi = np.clip(idx + (window - window // 2), 0, length)
    lo.flags.writeable = False
    hi.flags.writeable = False
    return lo, hi


def _robust_slot_mean(resid: np.ndarray, phase: np.ndarray, slots: int) -> np.ndarray:
    """Mean residual per slot after clipping at 3 robust sigmas (spikes must not shape the cycle)."""
    finite = np.isfinite(resid)
    if not finite.any():
        return np.zeros(slots)
    centre = median_of(resid[finite])
    spread = 1.4826 * median_of(np.abs(resid[finite] - centre)) or 1.0
    clipped = np.clip(resid[finite], centre - 3 * spread, centre + 3 * spread)
    sums = np.bincount(phase[finite], weights=clipped, minlength=slots)
    counts = np.bincount(phase[finite], minlength=slots)
    with np.errstate(invalid="ignore", divide="ignore"):
        profile = np.where(counts > 0, sums / counts, 0.0)
    return profile - profile.mean()
