"""The z-score band people build with Prometheus recording rules, vectorised for benchmarks.

The rules it imitates, evaluated at every sample (rule interval = data step)::

    - record: x:avg_1w
      expr: avg_over_time(x[1w])
    - record: x:stddev_1w
      expr: stddev_over_time(x[1w])
    - alert: XOutsideBand
      expr: abs(x - x:avg_1w) > 2 * x:stddev_1w
      for: 1h

``avg_over_time``/``stddev_over_time`` see the samples in ``(t - 1w, t]`` (the current one
included) and ``stddev_over_time`` is the population standard deviation, as in Prometheus. A
missing sample yields no result, which resets a pending ``for``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

WEEK = 7 * 86400.0
DEFAULT_SIGMAS = 2.0
DEFAULT_FOR = 3600.0


def hold_for(condition: np.ndarray, samples: int) -> np.ndarray:
    """Prometheus ``for``: True where ``condition`` has held for more than ``samples`` earlier samples.

    With an hourly step and ``for: 1h`` (``samples=1``) the condition must be true at two
    consecutive evaluations before the alert fires.
    """
    cond = np.asarray(condition, dtype=bool)
    if samples <= 0 or cond.size == 0:
        return cond.copy()
    idx = np.arange(cond.size)
    last_false = np.maximum.accumulate(np.where(cond, -1, idx))
    return (idx - last_false) > samples


def _rolling_sum(values: np.ndarray, k: int) -> np.ndarray:
    """Sum over the last ``k`` entries including the current one (fewer at the start)."""
    c = np.concatenate(([0.0], np.cumsum(values)))
    lower = np.maximum(np.arange(1, len(values) + 1) - k, 0)
    return c[1:] - c[lower]


def zscore_firing(series: pd.Series, *, window: float = WEEK, sigmas: float = DEFAULT_SIGMAS, for_: float = DEFAULT_FOR) -> pd.Series:
    """Boolean series on ``series``' index: is the band alert firing at each sample?

    Parameters
    ----------
    series : pandas.Series
        Regular samples (NaN for gaps) on a DatetimeIndex.
    window : float
        Length of the rolling window in seconds (default one week).
    sigmas : float
        Half-width of the band in standard deviations (default 2).
    for_ : float
        Seconds the condition must hold before the alert fires (default 3600).
    """
    n = len(series)
    if n < 2:
        return pd.Series(False, index=series.index)
    step = (series.index[1] - series.index[0]).total_seconds()
    k = max(2, int(round(window / step)))
    y = series.to_numpy(dtype=float)
    finite = np.isfinite(y)
    ref = float(np.median(y[finite])) if finite.any() else 0.0
    d = np.where(finite, y - ref, 0.0)  # centred: a flat line gives exact zeros
    count = _rolling_sum(finite.astype(float), k)
    s1 = _rolling_sum(d, k)
    s2 = _rolling_sum(d * d, k)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s1 / count
        var = np.maximum(s2 / count - mean * mean, 0.0)
        condition = np.abs(d - mean) > sigmas * np.sqrt(var)
    condition &= finite & (count >= 2)
    return pd.Series(hold_for(condition, int(round(for_ / step))), index=series.index)
