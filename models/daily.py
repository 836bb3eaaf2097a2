"""Sub-daily samples to one robust level per UTC day (the resolution slow risks live at)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DAY = 86400


@dataclass(frozen=True)
class DailyLevels:
    """``values[i]`` is the median of day ``day0 + i`` (days since the epoch); NaN if too sparse.

    ``censored[i]`` is True when at least half of that day's samples were censored (at or above
    a histogram's top finite bucket): the day's true level is at least ``values[i]``.
    """

    day0: int
    values: np.ndarray
    censored: np.ndarray
    coverage: np.ndarray
    peaks: np.ndarray | None = None  # daily maximum of the ``peaks_of`` samples, if given

    def __post_init__(self) -> None:
        """The arrays are read-only: a result never changes after it is made (writing raises)."""
        for array in (self.values, self.censored, self.coverage, self.peaks):
            if array is not None:
                array.setflags(write=False)


def to_daily(
    values: np.ndarray,
    start: float,
    step: float,
    censored: np.ndarray | None = None,
    min_coverage: float = 0.25,
    peaks_of: np.ndarray | None = None,
) -> DailyLevels:
    """Aggregate a regular series starting at unix time ``start`` with ``step`` seconds.

    ``peaks_of`` (same length as ``values``, e.g. the series before deseasonalising) gives the
    daily maxima kept in ``peaks``.
    """
    cens = np.zeros(len(values), dtype=bool) if censored is None else censored
    if step >= DAY:
        days = (start + step * np.arange(len(values))) // DAY
        return DailyLevels(int(days[0]), values.copy(), cens.copy(), np.isfinite(values).astype(float))
    per_day = int(round(DAY / step))
    if per_day * step != DAY:  # a step that does not divide a day: bin by index
        days = ((start + step * np.arange(len(values))) // DAY).astype(int)
        return _binned(values, cens, days, min_coverage, per_day)
    day0 = int(start // DAY)
    lead = int(round((start - day0 * DAY) / step))
    total = lead + len(values)
    ndays = -(-total // per_day)
    grid: np.ndarray = np.full(ndays * per_day, np.nan)  # flat, then one row per day
    grid[lead : lead + len(values)] = values
    cgrid: np.ndarray = np.zeros(ndays * per_day, dtype=bool)
    cgrid[lead : lead + len(values)] = cens
    grid = grid.reshape(ndays, per_day)
    cgrid = cgrid.reshape(ndays, per_day)
    finite = np.isfinite(grid)
    counts = finite.sum(axis=1)
    coverage = counts / per_day
    with np.errstate(invalid="ignore"):
        ordered = np.sort(grid, axis=1)  # NaN sort last: the median of the finite head
    idx_lo = np.maximum((counts - 1) // 2, 0)
    idx_hi = np.maximum(counts // 2, 0)
    rows = np.arange(ndays)
    med = 0.5 * (ordered[rows, idx_lo] + ordered[rows, idx_hi])
    level = np.where(counts > 0, med, np.nan)
    full = coverage >= min_coverage
    # the last day may be partial (evaluation mid-day): keep it if it holds a quarter of a day
    level = np.where(full, level, np.nan)
    censored_days = (cgrid & finite).sum(axis=1) >= np.maximum(counts, 1) / 2.0
    peaks = None
    if peaks_of is not None:
        pgrid = np.full(ndays * per_day, -np.inf)
        pgrid[lead : lead + len(values)] = np.where(np.isfinite(peaks_of), peaks_of, -np.inf)
        peaks = pgrid.reshape(ndays, per_day).max(axis=1)
        peaks = np.where(np.isfinite(peaks) & full, peaks, np.nan)
    return DailyLevels(day0, level, censored_days & (counts > 0), coverage, peaks)


def _binned(values: np.ndarray, cens: np.ndarray, days: np.ndarray, min_coverage: float, per_day: int) -> DailyLevels:
    day0 = int(days[0])
    ndays = int(days[-1]) - day0 + 1
    level = np.full(ndays, np.nan)
    censored = np.zeros(ndays, dtype=bool)
    coverage = np.zeros(ndays)
    for i in range(ndays):
        mask = (days == day0 + i) & np.isfinite(values)
        coverage[i] = mask.sum() / per_day
        if coverage[i] >= min_coverage:
            level[i] = np.median(values[mask])
            censored[i] = cens[mask].mean() >= 0.5
    return DailyLevels(day0, level, censored, coverage)
