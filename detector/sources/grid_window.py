"""A series on a regular grid (``regular.Grid``, arrays) cut to an evaluation window, without pandas.

``series_batches.window_of`` cuts a pandas series; a paged read of the store puts thousands of series
on their grid and cuts each at once, where building a ``DatetimeIndex`` and a ``Series`` per series
costs more than the rest of the read. ``grid_window`` gives the same ``SeriesWindow`` from the arrays:
the grid points at ``earliest`` <= t < ``at``, the first and last finite ones, and (when the window
holds none) the last finite sample before it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from detector.core.series import Labels
from detector.core.series_batches import SeriesWindow
from detector.sources.regular import Grid


def grid_window(labels: Labels, grid: Grid, earliest: pd.Timestamp, at: pd.Timestamp) -> SeriesWindow:
    """``grid`` cut to ``[earliest, at)`` (as ``window_of(labels, grid.series(), earliest, at)``)."""
    times = (grid.first + np.arange(grid.values.size, dtype=np.int64)) * grid.step_ns
    lo, hi = (int(np.searchsorted(times, bound.value, "left")) for bound in (earliest, at))
    values = grid.values[lo:hi]
    finite = np.flatnonzero(np.isfinite(values))
    if len(finite) == 0:
        before = np.flatnonzero(np.isfinite(grid.values[:lo]))
        last_before = grid.instant(int(before[-1])) if len(before) else None
        return SeriesWindow(labels, values, float("nan"), None, None, last_before)
    return SeriesWindow(
        labels, values, grid.instant(lo).timestamp(), grid.instant(lo + int(finite[0])), grid.instant(lo + int(finite[-1])), None
    )
