"""Today's rule, for comparison: kubernetes-mixin's ``predict_linear(x[6h], 4d)`` crossing the ceiling.

Evaluated at every sample, as Prometheus would with a rule interval equal to the data step:
at time t, least squares over the samples in (t - window, t], extrapolated ``ahead``; the alert
fires when the projection is past the ceiling for ``for_`` (mixin: 1 h) in a row.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd

from detector.core.instants import DAY, HOUR

DEFAULT_WINDOW = 6 * HOUR
DEFAULT_AHEAD = 4 * DAY
DEFAULT_FOR = HOUR


def predict_linear_firing(
    series: pd.Series,
    ceiling: pd.Series | float,
    *,
    direction: str = "up",
    window: float = DEFAULT_WINDOW,
    ahead: float = DEFAULT_AHEAD,
    for_: float = DEFAULT_FOR,
) -> pd.Series:
    """Boolean series on ``series``' index: is the alert firing at each sample?

    ``series`` is regular (NaN gaps); ``ceiling`` a number or a series (aligned by forward fill).
    """
    if len(series) < 2:
        return pd.Series(False, index=series.index)
    step = (series.index[1] - series.index[0]).total_seconds()
    k = max(2, int(round(window / step)))
    y = series.to_numpy(dtype=float)
    t = cast(pd.DatetimeIndex, series.index).as_unit("s").asi8.astype(float)  # a time series: its index is a DatetimeIndex
    t = t - t[0]
    finite = np.isfinite(y)
    w = finite.astype(float)
    yz = np.where(finite, y, 0.0)

    def rolling(values: np.ndarray) -> np.ndarray:
        c = np.concatenate(([0.0], np.cumsum(values)))
        out = np.full(len(values), np.nan)
        out[k - 1 :] = c[k:] - c[:-k]
        out[: k - 1] = c[1:k]
        return out

    n, sx, sy = rolling(w), rolling(w * t), rolling(yz)
    sxx, sxy = rolling(w * t * t), rolling(yz * t)
    with np.errstate(invalid="ignore", divide="ignore"):
        cxx = sxx - sx * sx / n
        slope = np.where((n >= 2) & (cxx > 0), (sxy - sx * sy / n) / cxx, np.nan)
        intercept = (sy - slope * sx) / n
    predicted = intercept + slope * (t + ahead)
    if isinstance(ceiling, pd.Series):
        limit = ceiling.reindex(series.index, method="ffill").to_numpy(dtype=float)
    else:
        limit = np.full(len(y), float(ceiling))
    with np.errstate(invalid="ignore"):
        condition = predicted >= limit if direction == "up" else predicted <= limit
    condition &= finite & np.isfinite(limit)
    hold = int(round(for_ / step))
    if hold > 0:
        run = np.zeros(len(condition), dtype=int)
        count = 0
        for i, c in enumerate(condition):  # consecutive-true counter; one pass, series are short
            count = count + 1 if c else 0
            run[i] = count
        condition = run > hold
    return pd.Series(condition, index=series.index)
