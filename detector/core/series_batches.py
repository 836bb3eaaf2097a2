"""Series in bounded batches: the protocol the evaluation reads its input through.

The evaluation never needs every series of every signal at once: per signal it needs each
series' window ``[earliest, at)`` (the samples the model fits), when it last reported before the
window (to say "outside the lookback"), and, for a ceiling taken from another signal, only that
signal's latest value per labels. A ``SeriesBatches`` source hands out exactly that, a batch of
at most ``size`` series at a time, so memory holds one batch (plus the compact analyses), not
the fleet. Implementations: ``MemoryBatches`` (an in-memory ``SeriesSet``: every caller that has
one keeps working), ``sources.export_batches.ExportBatches`` (one export file at a time) and
``store_pages.StoreBatches`` (the history store, read in pages).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd

from detector.core.series import DataNote, Labels, SeriesSet


@dataclass(frozen=True)
class SeriesWindow:
    """One series cut to ``[earliest, at)``.

    ``values``: the samples in the window (NaN for gaps), ``start``: unix seconds of the window's
    first grid point; ``first``/``last``: the first and last finite sample in the window and
    ``last_before``: the last finite sample before it (``None`` when there is none).
    """

    labels: Labels
    values: np.ndarray
    start: float
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    last_before: pd.Timestamp | None


_PER_UNIT = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}


class SeriesPage(Protocol):
    """A page of one signal's series that any process sharing the source's files can read by itself:
    picklable, small (the series' identities, not their samples)."""

    def labels(self) -> tuple[Labels, ...]:
        """Every listed series of the page, in order (each may still be skipped or out of the window)."""
        ...

    def windows(self, notes: list[DataNote], skipped: list[str]) -> Iterator[SeriesWindow]:
        """The page's series cut to the window, in order; repairs go to ``notes``, a skipped series'
        reason to ``skipped`` (and its note to ``notes``)."""
        ...


Settle = Callable[[int, Sequence[str]], tuple[Exception, Sequence[DataNote]] | None]
"""Given how many windows a signal's pages gave and why the others were skipped: its error and
notes when the signal is unusable after all (every series skipped), else ``None``."""


@dataclass(frozen=True)
class PagedRead:
    """A signal's series as pages read elsewhere: the pages' notes and skip reasons are appended to
    ``notes`` and ``skipped`` (the read's own lists) in page order."""

    pages: Sequence[SeriesPage]
    notes: list[DataNote]
    skipped: list[str]
    settle: Settle | None = None


@dataclass(frozen=True)
class SignalRead:
    """What reading one signal gave: its error (then no batches), notes, series count and batches."""

    signal: str
    count: int
    batches: Iterator[tuple[SeriesWindow, ...]] = field(default_factory=lambda: iter(()))
    error: Exception | None = None
    notes: Sequence[DataNote] = ()
    """Complete once ``batches`` is consumed (a paged source notes each page's repairs as it reads it)."""
    paged: Callable[[int], PagedRead] | None = None
    """When the source can be read by a worker: the same series cut into pages of the given size
    (instead of ``batches``; reading one or the other, not both)."""


class SeriesBatches(Protocol):
    """A chunked series source. ``errors``/``notes``: what is known before any signal is read."""

    errors: Mapping[str, Exception]
    notes: tuple[DataNote, ...]

    def read(self, name: str, earliest: pd.Timestamp, at: pd.Timestamp, size: int) -> SignalRead:
        """Signal ``name``'s series cut to ``[earliest, at)``, ``size`` series per batch, sorted by labels
        within the source's order; every series of the signal appears once (an empty window too)."""
        ...


class MemoryBatches:
    """``SeriesBatches`` over an in-memory ``SeriesSet`` (the windows are views, nothing is copied)."""

    def __init__(self, data: SeriesSet) -> None:
        self.data = data
        self.errors: Mapping[str, Exception] = dict(data.errors)
        self.notes: tuple[DataNote, ...] = tuple(data.notes)

    def read(self, name: str, earliest: pd.Timestamp, at: pd.Timestamp, size: int) -> SignalRead:
        error = self.data.errors.get(name)
        if error is not None:
            return SignalRead(name, 0, error=error)
        by_labels = self.data.of(name)
        return SignalRead(name, len(by_labels), windows_in_batches(by_labels, earliest, at, size))


def windows_in_batches(
    by_labels: Mapping[Labels, pd.Series], earliest: pd.Timestamp, at: pd.Timestamp, size: int
) -> Iterator[tuple[SeriesWindow, ...]]:
    """``by_labels`` cut to ``[earliest, at)``, ``size`` series at a time, in the mapping's order."""
    batch: list[SeriesWindow] = []
    for labels, series in by_labels.items():
        batch.append(window_of(labels, series, earliest, at))
        if len(batch) >= size:
            yield tuple(batch)
            batch = []
    if batch:
        yield tuple(batch)


def window_of(labels: Labels, series: pd.Series, earliest: pd.Timestamp, at: pd.Timestamp) -> SeriesWindow:
    index = series.index
    if isinstance(index, pd.DatetimeIndex) and str(index.tz) == "UTC" and index.unit in _PER_UNIT and index.is_monotonic_increasing:
        # the usual grid: search its int64 stamps and slice the values as numpy (pandas' searchsorted,
        # slicing and item lookups on a DatetimeIndex cost several times the rest)
        unit, stamps = index.unit, index.asi8
        per = _PER_UNIT[unit]  # nanoseconds per stamp unit: a bound between two stamps rounds up
        lo, hi = (int(np.searchsorted(stamps, -(-pd.Timestamp(bound).value // per), "left")) for bound in (earliest, at))
        values = series.to_numpy(dtype=float)[lo:hi]
        finite = np.flatnonzero(np.isfinite(values))
        if len(finite) == 0:
            return SeriesWindow(labels, values, float("nan"), None, None, _last_before(series, earliest))
        start, first, last = (pd.Timestamp(int(stamps[lo + k]), unit=unit, tz="UTC").as_unit(unit) for k in (0, finite[0], finite[-1]))
        return SeriesWindow(labels, values, start.timestamp(), first, last, None)
    window = _window(series, earliest, at)
    values = window.to_numpy(dtype=float)
    finite = np.flatnonzero(np.isfinite(values))
    if len(finite) == 0:
        return SeriesWindow(labels, values, float("nan"), None, None, _last_before(series, earliest))
    return SeriesWindow(labels, values, window.index[0].timestamp(), window.index[finite[0]], window.index[finite[-1]], None)


def latest_values(read: SignalRead) -> dict[Labels, float | None]:
    """Per labels, the latest non-NaN value in the window (``None``: no sample in it), batch by batch."""
    out: dict[Labels, float | None] = {}
    for batch in read.batches:
        for window in batch:
            present = np.flatnonzero(~np.isnan(window.values))
            out[window.labels] = float(window.values[present[-1]]) if len(present) else None
    return out


def _last_before(series: pd.Series, earliest: pd.Timestamp) -> pd.Timestamp | None:
    """The newest finite sample before ``earliest``, if any."""
    before = (
        series.iloc[: series.index.searchsorted(earliest, "left")].dropna()
        if series.index.is_monotonic_increasing
        else series.loc[series.index < earliest].dropna()
    )
    return before.index[-1] if len(before) else None


def _window(series: pd.Series, earliest: pd.Timestamp, at: pd.Timestamp) -> pd.Series:
    """Samples at ``earliest`` <= t < ``at`` (binary search on the sorted index of a regular series)."""
    index = series.index
    if not index.is_monotonic_increasing:
        return series.loc[(index >= earliest) & (index < at)]
    return series.iloc[index.searchsorted(earliest, "left") : index.searchsorted(at, "left")]
