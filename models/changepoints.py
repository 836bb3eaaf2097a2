"""Piecewise-linear changepoints: level shifts and slope changes, found by optimal partitioning
(``models.partition``: exact up to 120 samples, a refined coarse grid beyond).

Each segment is an ordinary least-squares line; the cost of a segment is its residual sum of
squares over the noise variance, so costs are in "noise units" and the penalty per changepoint is
BIC-like (``penalty x 3 x log n``: intercept, slope and location). All segment costs come from
prefix sums in O(1), which is why this is written here rather than taken from ruptures: its
``Dynp``/``Pelt`` call a Python cost function per candidate, two orders of magnitude slower on the
per-series budget (milliseconds) this project needs. Missing values (NaN) are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator

from models._validation import as_float_array, check_is_fitted, difference_sigma, median_of, robust_sigma
from models.partition import optimal_partition, prefix_sums, rss

_RESCALE_ROUNDS = 4


@dataclass(frozen=True)
class Segment:
    """One regime: ``start`` <= i < ``end`` (indices), fitted ``intercept + slope * i``."""

    start: int
    end: int
    intercept: float
    slope: float
    count: int

    def value_at(self, index: float) -> float:
        return self.intercept + self.slope * index


class PiecewiseLinearSegmenter(BaseEstimator):
    """Optimal piecewise-linear segmentation with a BIC-style penalty.

    Parameters
    ----------
    penalty : float
        Multiplier (> 0) on the per-changepoint penalty ``3 log n``; higher gives fewer changepoints.
    min_size : int
        Shortest segment, in samples (>= 3).
    min_last_size : int or None
        Shortest *last* segment (3 <= it <= ``min_size``; ``None``: ``min_size``). A monitor
        re-segments every day: a shorter last segment lets a change that began days ago be
        recognised before it is ``min_size`` old (its slope is then judged with the evidence
        a few points carry).
    sigma : float or None
        Noise standard deviation; ``None`` estimates it robustly at the scale of ``min_size``
        (differences 1 and ``min_size`` apart), then re-scales it by the long-run (lag-1
        autocorrelation-inflated) spread of the residuals until it stops growing.
    """

    def __init__(self, penalty: float = 1.0, min_size: int = 5, sigma: float | None = None, min_last_size: int | None = None) -> None:
        self.penalty = penalty
        self.min_size = min_size
        self.sigma = sigma
        self.min_last_size = min_last_size

    def fit(self, values: np.ndarray) -> PiecewiseLinearSegmenter:
        y = as_float_array(values)
        finite = np.isfinite(y)
        sigma = self.sigma if self.sigma is not None else _regime_scale_sigma(y, max(3, int(self.min_size)))
        if not sigma > 0:
            spread = np.nanstd(y) if finite.sum() > 1 else 0.0
            sigma = spread * 1e-3 if spread > 0 else 1.0
        prefix = _scaled_prefix(y, finite, sigma)
        breaks = self._search(prefix, finite)
        for _ in range(_RESCALE_ROUNDS if self.sigma is None else 0):
            if not breaks:
                break
            # Serially correlated noise (a wandering level, an unmodelled cycle) makes short-run
            # differences understate the scale a segment's residuals really have; with white noise
            # as the yardstick, every wiggle would become a regime. Re-scale by the long-run
            # standard deviation of the first fit's residuals
            # search again; repeat while the scale still grows (fewer regimes, larger residuals).
            long_run = _long_run_sigma(y, _fit_segments(prefix, breaks, sigma, len(y)))
            if long_run <= 1.05 * sigma:
                break
            sigma = long_run
            prefix = _scaled_prefix(y, finite, sigma)
            breaks = self._search(prefix, finite)
        n = len(y)
        self.sigma_ = float(sigma)
        self.n_ = n
        self.breakpoints_ = np.asarray(breaks, dtype=int)
        self.segments_ = _fit_segments(prefix, breaks, sigma, n)
        bounds = [0, *breaks, n]
        starts, ends = np.array(bounds[:-1]), np.array(bounds[1:])
        self.cost_ = float(rss(prefix[:, ends] - prefix[:, starts]).sum())
        self.penalised_cost_ = self.cost_ + self._beta(finite) * len(breaks)
        return self

    def _beta(self, finite: np.ndarray) -> float:
        return float(self.penalty * 3.0 * np.log(max(int(finite.sum()), 2)))

    def _search(self, prefix: np.ndarray, finite: np.ndarray) -> list[int]:
        """Changepoints of the series whose (noise-scaled) prefix sums are ``prefix``."""
        n = len(finite)
        min_size = max(3, int(self.min_size))
        if n < 2 * min_size:
            return []
        beta = self._beta(finite)
        min_last = min_size if self.min_last_size is None else int(np.clip(self.min_last_size, 3, min_size))
        return optimal_partition(prefix, n, min_size, min_last, beta)

    def predict(self, length: int | None = None) -> np.ndarray:
        """The fitted piecewise-linear curve over the fitted indices."""
        check_is_fitted(self, "segments_")
        out = np.empty(self.n_ if length is None else length)
        for seg in self.segments_:
            idx = np.arange(seg.start, min(seg.end, len(out)))
            out[idx] = seg.intercept + seg.slope * idx
        return out


def _scaled_prefix(y: np.ndarray, finite: np.ndarray, sigma: float) -> np.ndarray:
    """Prefix sums of the series in units of ``sigma`` (missing values count as absent)."""
    return prefix_sums(np.where(finite, y / sigma, 0.0), finite)


def _regime_scale_sigma(y: np.ndarray, lag: int) -> float:
    """Noise scale at the shortest regime's length: the larger of the robust scale of first
    differences and of differences ``lag`` apart (each divided by sqrt 2). White noise gives the
    same from both; a level that wanders within a regime's length shows up in the second and is
    then not mistaken for a string of regimes. Robust (MAD), so the few real changes barely count."""
    short = difference_sigma(y)
    finite = y[np.isfinite(y)]
    if finite.size < lag + 3:
        return short
    return max(short, robust_sigma(finite[lag:] - finite[:-lag]) / np.sqrt(2.0))


def _long_run_sigma(y: np.ndarray, segments: tuple[Segment, ...]) -> float:
    """Robust residual scale of a piecewise-linear fit, inflated by its lag-1 autocorrelation
    (long-run variance of an AR(1): sigma^2 (1 + phi) / (1 - phi)), phi capped at 0.8."""
    fitted = np.empty(len(y))
    for seg in segments:
        idx = np.arange(seg.start, seg.end)
        fitted[idx] = seg.intercept + seg.slope * idx
    r = (y - fitted)[np.isfinite(y)]
    if r.size < 4:
        return 0.0
    r = r - median_of(r)
    scale = 1.4826 * median_of(np.abs(r))
    phi = float(np.clip(np.dot(r[:-1], r[1:]) / max(np.dot(r, r), 1e-300), 0.0, 0.8))
    return scale * float(np.sqrt((1 + phi) / (1 - phi)))


def _fit_segments(prefix: np.ndarray, breaks: list[int], sigma: float, n: int) -> tuple[Segment, ...]:
    bounds = [0, *breaks, n]
    return tuple(_fit_segment(prefix, a, b, sigma, n) for a, b in zip(bounds[:-1], bounds[1:], strict=True))


def _fit_segment(prefix: np.ndarray, start: int, end: int, sigma: float, n: int) -> Segment:
    """Least-squares line of [start, end) from the prefix sums, in original units."""
    cnt, sx, sxx, sy, sxy, _ = prefix[:, end] - prefix[:, start]
    if cnt < 1:
        return Segment(start, end, float("nan"), 0.0, 0)
    cxx = sxx - sx * sx / cnt
    slope = (sxy - sx * sy / cnt) / cxx if cnt >= 2 and cxx > 1e-9 else 0.0
    centred_intercept = (sy - slope * sx) / cnt
    intercept = centred_intercept - slope * (n / 2.0)
    return Segment(start, end, float(intercept * sigma), float(slope * sigma), int(cnt))
