"""Robust trend of one regime: Theil-Sen slope with an interval that accounts for autocorrelation."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import special, stats
from sklearn.base import BaseEstimator

from models._validation import InsufficientData, as_float_array, check_is_fitted, median_of

_MAX_PAIRS_POINTS = 400
HEAVY_TAIL_SHARE = 0.75  # the residual scale is at least this share of the standard deviation:
# equal to the robust scale for normal noise, larger when a few
# multi-day excursions (a queue's bursts) carry the spread


class RobustTrend(BaseEstimator):
    """Straight-line trend robust to spikes, for the current regime of a series.

    The slope is the Theil-Sen estimate (median of pairwise slopes). Its standard error is the
    least-squares one computed from a robust residual scale and inflated for lag-1 autocorrelation
    of the residuals (effective sample size ``n (1 - phi) / (1 + phi)``), so slow random walks and
    mean-reverting queues do not look like significant trends.

    Parameters
    ----------
    confidence : float
        Central coverage of ``slope_interval_`` (0.5 < confidence < 1).
    heavy_tail_share : float
        The residual scale is at least this share of the residuals' standard deviation (the
        detection policy's ``trend.heavy_tail_share``).
    """

    def __init__(self, confidence: float = 0.8, heavy_tail_share: float = HEAVY_TAIL_SHARE) -> None:
        self.confidence = confidence
        self.heavy_tail_share = heavy_tail_share

    def fit(self, x: np.ndarray, y: np.ndarray) -> RobustTrend:
        """Fit ``y ~ a + b x`` on the finite points; ``x`` in days (any origin)."""
        x = as_float_array(x, "x")
        y = as_float_array(y)
        keep = np.isfinite(x) & np.isfinite(y)
        x, y = x[keep], y[keep]
        if len(x) < 3 or np.ptp(x) == 0:
            raise InsufficientData("a trend needs at least 3 finite points at distinct times")
        self.slope_ = _theil_sen(x, y)
        self.intercept_ = median_of(y - self.slope_ * x)
        resid = y - (self.intercept_ + self.slope_ * x)
        centred = resid - median_of(resid)
        self.sigma_ = float(max(1.4826 * median_of(np.abs(centred)), np.std(resid) * self.heavy_tail_share, 1e-12))
        self.phi_ = _lag1_autocorrelation(centred)
        n = len(x)
        self.n_ = n
        self.n_effective_ = float(np.clip(n * (1 - self.phi_) / (1 + self.phi_), 3.0, n))
        self.x_mean_ = float(x.mean())
        self.sxx_ = float(((x - self.x_mean_) ** 2).sum())
        self.x_last_ = float(x.max())
        self.slope_se_ = self.sigma_ / np.sqrt(self.sxx_) * np.sqrt(n / self.n_effective_)
        self.slope_interval_ = self.interval(self.confidence)
        return self

    def t_quantile(self, coverage: float) -> float:
        """Two-sided Student-t multiplier for ``coverage`` at the effective degrees of freedom."""
        return student_t_quantile(0.5 + coverage / 2.0, max(self.n_effective_ - 2.0, 1.0))

    def interval(self, coverage: float) -> tuple[float, float]:
        """Two-sided interval of the slope with the given central coverage."""
        check_is_fitted(self, "slope_")
        half = self.t_quantile(coverage) * self.slope_se_
        return (self.slope_ - half, self.slope_ + half)

    def predict(self, x: np.ndarray | float) -> np.ndarray:
        check_is_fitted(self, "slope_")
        return self.intercept_ + self.slope_ * np.asarray(x, dtype=float)

    def level_se(self, x: float) -> float:
        """Standard error of the fitted level at ``x`` (autocorrelation-inflated)."""
        check_is_fitted(self, "slope_")
        inflation = self.n_ / self.n_effective_
        return float(self.sigma_ * np.sqrt(inflation * (1.0 / self.n_ + (x - self.x_mean_) ** 2 / self.sxx_)))


def student_t_quantile(p: float, df: float) -> float:
    """Student-t quantile by the Cornish-Fisher expansion (error < 1 % for df >= 8); exact below."""
    if df < 8:
        return float(special.stdtrit(df, p))  # what stats.t.ppf computes, without its 45 us of argument checks
    z = normal_quantile(p)
    return float(z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2))


_NORMAL_CACHE: dict[float, float] = {}


def normal_quantile(p: float) -> float:
    """Standard normal quantile, cached (the same few coverages are asked for millions of times)."""
    if p not in _NORMAL_CACHE:
        _NORMAL_CACHE[p] = float(stats.norm.ppf(p))
    return _NORMAL_CACHE[p]


def _theil_sen(x: np.ndarray, y: np.ndarray) -> float:
    if len(x) > _MAX_PAIRS_POINTS:  # deterministic thinning keeps O(n^2) bounded
        pick = np.linspace(0, len(x) - 1, _MAX_PAIRS_POINTS).round().astype(int)
        x, y = x[pick], y[pick]
    n = len(x)
    i, j = _pairs(n)
    dy = np.take(y, j) - np.take(y, i)
    if x[0] == np.floor(x[0]) and x[-1] - x[0] == n - 1 and bool((np.diff(x) == 1.0).all()):
        # consecutive whole days (the pipeline's regimes without gaps): every x[j] - x[i] is exactly j - i
        return median_of(dy / _pair_gaps(n))
    dx = np.take(x, j) - np.take(x, i)
    ok = dx > 0
    return median_of(dy[ok] / dx[ok])


@lru_cache(maxsize=_MAX_PAIRS_POINTS + 1)
def _pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs i < j of ``n`` points (read-only, shared: the same lengths recur for every series)."""
    i, j = np.triu_indices(n, 1)
    i.flags.writeable = False
    j.flags.writeable = False
    return i, j


@lru_cache(maxsize=_MAX_PAIRS_POINTS + 1)
def _pair_gaps(n: int) -> np.ndarray:
    """``j - i`` for the pairs of ``_pairs(n)``, as floats (read-only, shared)."""
    i, j = _pairs(n)
    gaps = (j - i).astype(float)
    gaps.flags.writeable = False
    return gaps


def _lag1_autocorrelation(resid: np.ndarray) -> float:
    if len(resid) < 4:
        return 0.0
    a, b = resid[:-1], resid[1:]
    denom = float(np.sqrt((a * a).sum() * (b * b).sum()))
    if denom <= 0:
        return 0.0
    return float(np.clip((a * b).sum() / denom, 0.0, 0.95))
