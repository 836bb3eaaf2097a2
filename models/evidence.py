"""Evidence a model hands to the policy: numbers with their uncertainty, never a verdict.

``EvidenceSpec`` carries the windows the evidence is measured over (the policy chooses them);
``TrendEvidence`` is a slope with its honest standard error; ``HeldEvidence`` describes the levels
a series held in its last hours (for saturation and sudden regime shifts), from the raw samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from models._validation import median_of
from models.trend import student_t_quantile


@dataclass(frozen=True)
class EvidenceSpec:
    """Windows and scales of the evidence (units in the names)."""

    heavy_tail_share: float = 0.75  # residual scale >= this share of the standard deviation
    deceleration_window_days: int = 14  # the regime's recent part whose slope is compared
    deceleration_min_days: int = 7
    old_ground_hold_days: int = 3  # a level held before the onset: the highest rolling median of this many days
    saturation_hold_seconds: float = 6 * 3600.0
    saturation_quantile: float = 0.1  # level held by (1 - q) of the saturation window's samples
    shift_hold_seconds: float = 12 * 3600.0
    shift_quantile: float = 0.0


@dataclass(frozen=True)
class TrendEvidence:
    """A slope (per day, bad direction positive), its standard error and effective sample size."""

    slope: float
    se: float
    n_effective: float

    @property
    def t_value(self) -> float:
        if not self.se > 0:
            return float("inf") if self.slope > 0 else float("-inf") if self.slope < 0 else 0.0
        return float(self.slope / self.se)

    def t_needed(self, coverage: float) -> float:
        """Two-sided Student-t multiplier at ``coverage`` with the effective degrees of freedom."""
        return student_t_quantile(0.5 + coverage / 2.0, max(self.n_effective - 2.0, 1.0))

    def lower(self, coverage: float) -> float:
        return self.slope - self.t_needed(coverage) * self.se

    def upper(self, coverage: float) -> float:
        return self.slope + self.t_needed(coverage) * self.se


@dataclass(frozen=True)
class HeldEvidence:
    """Levels held recently, in the series' units (NaN where not measurable).

    ``saturation_level``: the level held by most of the last ``saturation_hold`` (its low
    quantile, or high quantile for a falling-is-bad series). ``short_sigma``: short-run noise of the
    raw samples over the last day. ``shift_level``: the level held by most of the last
    ``shift_hold``; ``shift_reference``: the highest level held (rolling median over the same hold,
    or the mean when that is higher) before the current elevated run began (the run: where the
    rolling median is above half ``shift_level``); ``shift_start``: unix seconds of that start.
    """

    saturation_level: float
    short_sigma: float
    shift_level: float
    shift_reference: float
    shift_start: float

    @property
    def shift_ratio(self) -> float:
        if not (np.isfinite(self.shift_level) and np.isfinite(self.shift_reference)):
            return float("nan")
        if self.shift_level <= 0:
            return 0.0
        return float(self.shift_level / self.shift_reference) if self.shift_reference > 0 else float("inf")


def held_evidence(raw: np.ndarray, start: float, step: float, spec: EvidenceSpec, direction: str) -> HeldEvidence:
    """Measure ``HeldEvidence`` on raw samples (regular grid from unix ``start`` every ``step`` s)."""
    n_sat = max(2, int(round(spec.saturation_hold_seconds / step)))
    q = spec.saturation_quantile if direction == "up" else 1.0 - spec.saturation_quantile
    saturation = _quantile_of_tail(raw, n_sat, q)
    day = raw[-max(2, int(round(86400.0 / step))) :]
    diffs = np.diff(day[np.isfinite(day)])
    short = float(1.4826 * median_of(np.abs(diffs - median_of(diffs))) / np.sqrt(2.0)) if diffs.size >= 3 else float("nan")
    nan = float("nan")
    if direction != "up":
        return HeldEvidence(saturation, short, nan, nan, nan)
    n_shift = max(2, int(round(spec.shift_hold_seconds / step)))
    level = _quantile_of_tail(raw, n_shift, spec.shift_quantile)
    if not np.isfinite(level) or len(raw) < 3 * n_shift:
        return HeldEvidence(saturation, short, level, nan, nan)
    stride = max(1, n_shift // 2)
    usable = len(raw) - (len(raw) - n_shift) % stride  # windows end at the last sample
    windows = sliding_window_view(raw[len(raw) - usable :], n_shift)[::stride]
    ordered = np.sort(windows, axis=1)  # rolling medians; a window with a gap is unknown
    rolling = 0.5 * (ordered[:, (n_shift - 1) // 2] + ordered[:, n_shift // 2])
    rolling[np.isnan(ordered[:, -1])] = np.nan
    low = np.flatnonzero(rolling <= level / 2.0)  # not elevated (a window inside a gap is unknown)
    if low.size == 0:
        return HeldEvidence(saturation, short, level, nan, nan)
    last = int(low[-1])
    offset = len(raw) - usable
    first_elevated = offset + (last + 1) * stride  # first sample of the first elevated window
    clear = last + 1 - -(-n_shift // stride)  # windows that end before it
    if clear < 1:
        return HeldEvidence(saturation, short, level, nan, nan)
    before = raw[:first_elevated]
    held_before = rolling[:clear]
    if np.isfinite(held_before).sum() < 2:
        return HeldEvidence(saturation, short, level, nan, nan)  # too little known before to compare
    reference = max(float(np.nanmax(held_before)), float(np.nanmean(before)))
    begin = start + step * (first_elevated + n_shift // 2)
    return HeldEvidence(saturation, short, level, reference, begin)


def _quantile_of_tail(raw: np.ndarray, n: int, q: float) -> float:
    """``np.quantile`` (linear) of the finite samples among the last ``n``; NaN if half are missing."""
    tail = raw[-n:]
    tail = np.sort(tail[np.isfinite(tail)])
    if tail.size < max(2, n // 2):
        return float("nan")
    position = q * (tail.size - 1)
    low = int(position)
    high = min(low + 1, tail.size - 1)
    return float(tail[low] + (tail[high] - tail[low]) * (position - low))
