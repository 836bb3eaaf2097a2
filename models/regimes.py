"""Reading the regimes of a segmentation: onset of the worsening run, baseline, deceleration."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from models._validation import nanmedian_of
from models.changepoints import Segment
from models.evidence import TrendEvidence
from models.trend import RobustTrend


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
    before = z[max(0, onset - 28) : onset]
    if np.isfinite(before).sum() >= 3:
        return nanmedian_of(before)
    first = z[onset : onset + 7]
    if np.isfinite(first).any():
        return nanmedian_of(first)
    return float(trend.predict(float(onset)))


def window_level(z: np.ndarray, day: float, onset: int, baseline: float) -> float:
    """Level ``day`` (index) ago-point: the median of a week around it, or the baseline when that
    point lies before the onset (then all growth since the onset counts)."""
    centre = int(round(day))
    if centre <= onset:
        return baseline
    around = z[max(0, centre - 3) : centre + 4]
    return nanmedian_of(around) if np.isfinite(around).any() else baseline


def recent_trend(
    days: np.ndarray,
    z: np.ndarray,
    regime: int,
    trend: RobustTrend,
    window_days: int = 14,
    min_days: int = 7,
    heavy_tail_share: float = 0.75,
) -> TrendEvidence | None:
    """The slope of the regime's recent part (its last half, at most ``window_days``, at least
    ``min_days``), for the deceleration test (a plateau forming, as after a warm-up); None when the
    regime is too short, not rising, or the recent part is mostly missing."""
    length = len(z) - regime
    window = min(window_days, length // 2)
    if window < min_days or trend.slope_ <= 0:
        return None
    tail = slice(len(z) - window, len(z))
    if np.isfinite(z[tail]).sum() < max(4, window // 2):
        return None
    recent = RobustTrend(0.9, heavy_tail_share).fit(days[tail], z[tail])
    return TrendEvidence(recent.slope_, recent.slope_se_, recent.n_effective_)


def highest_held(values: np.ndarray, hold_days: int) -> float:
    """The highest level the series held for ``hold_days`` (rolling median; the maximum for 1)."""
    finite = np.isfinite(values)
    if not finite.any():
        return float("nan")
    if hold_days <= 1 or len(values) < hold_days:
        return float(np.nanmax(values))
    if hold_days == 3 and np.isfinite(values).all():  # the default: median of three, elementwise
        a, b, c = values[:-2], values[1:-1], values[2:]
        return float(np.maximum(np.minimum(a, b), np.minimum(np.maximum(a, b), c)).max())
    windows = sliding_window_view(values, hold_days)
    ordered = np.sort(np.where(np.isfinite(windows), windows, -np.inf), axis=1)  # a gap counts as low
    enough = np.isfinite(ordered[:, (hold_days - 1) // 2]) & np.isfinite(ordered[:, hold_days // 2])
    if not enough.any():
        return float(np.nanmax(values))
    medians = 0.5 * (ordered[enough, (hold_days - 1) // 2] + ordered[enough, hold_days // 2])
    return float(medians.max())
