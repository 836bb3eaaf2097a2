"""Reading the regimes of a segmentation: onset of the worsening run, baseline, deceleration."""

from __future__ import annotations

import numpy as np

from models._validation import nanmedian_of
from models.changepoints import Segment
from models.trend import RobustTrend

RECENT_DAYS = 14             # window of the deceleration check


def onset_index(segments: tuple[Segment, ...], regime: int, sigma: float) -> int:
    """Start of the contiguous run of worsening segments (rising, or stepping up) that ends with
    the current regime; the regime's own start when it is not worsening."""
    index = next(i for i, s in enumerate(segments) if s.start == regime)
    onset = regime
    while index > 0:
        seg, prev = segments[index], segments[index - 1]
        rising = seg.slope * (seg.end - seg.start) > 2 * sigma
        step_up = seg.value_at(seg.start) - prev.value_at(seg.start - 1) > 2 * sigma
        if not (rising or step_up):
            break
        if not prev.slope * (prev.end - prev.start) > 2 * sigma:
            onset = seg.start
            break
        onset = prev.start
        index -= 1
    return onset


def baseline_level(z: np.ndarray, onset: int, trend: RobustTrend) -> float:
    """Level before the onset (median of up to 28 days), else the first week since the onset."""
    before = z[max(0, onset - 28): onset]
    if np.isfinite(before).sum() >= 3:
        return nanmedian_of(before)
    first = z[onset: onset + 7]
    if np.isfinite(first).any():
        return nanmedian_of(first)
    return float(trend.predict(float(onset)))


def window_level(z: np.ndarray, day: float, onset: int, baseline: float) -> float:
    """Level ``day`` (index) ago-point: the median of a week around it, or the baseline when that
    point lies before the onset (then all growth since the onset counts)."""
    centre = int(round(day))
    if centre <= onset:
        return baseline
    around = z[max(0, centre - 3): centre + 4]
    return nanmedian_of(around) if np.isfinite(around).any() else baseline


def decelerating(days: np.ndarray, z: np.ndarray, regime: int, trend: RobustTrend) -> bool:
    """The recent part of the regime (its last half, at most two weeks, at least one) rises
    clearly slower than half the regime's slope: a plateau forming, as after a warm-up."""
    length = len(z) - regime
    window = min(RECENT_DAYS, length // 2)
    if window < 7 or trend.slope_ <= 0:
        return False
    tail = slice(len(z) - window, len(z))
    if np.isfinite(z[tail]).sum() < max(4, window // 2):
        return False
    recent = RobustTrend(0.9).fit(days[tail], z[tail])
    return bool(recent.slope_interval_[1] < 0.5 * trend.slope_)
