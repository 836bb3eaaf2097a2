"""The live path streamed: the store brought up to date by a pull, then read in pages.

``PrometheusSource.fetch`` pulls into the store and reads every series of every signal back into
one ``SeriesSet``. With a store, ``pulled_batches`` instead brings the store up to date
(``pull_into_store``: each chunk written and dropped) and hands the evaluation a ``SeriesBatches``
over the store (``StoreBatches``, a page of series at a time), so the parent never holds the fleet.
What ``fetch`` would report reaches the evaluation unchanged: a failed signal's error, an absent
signal's ``NoSeries``, a young signal's note, the holes and the server's warnings, each signal's
notes in the place ``fetch`` gives them (before its series' repairs), and the same origins.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import overload

import pandas as pd

from detector.configuration.schema import Signal
from detector.core.coverage import YoungSignal
from detector.core.series import DataNote
from detector.core.series_batches import SignalRead
from detector.errors import SourceError
from detector.sources.base import _nothing_left
from detector.sources.prometheus import PrometheusSource
from detector.sources.prometheus_intake import StorePull
from detector.sources.promql_client import safe_url
from detector.sources.store_pages import StoreBatches


def streams(source: object) -> bool:
    """Whether ``source`` can be evaluated streamed: a Prometheus source with a history store."""
    return isinstance(source, PrometheusSource) and source.store is not None


def pulled_batches(source: PrometheusSource, signals: Sequence[Signal], end: pd.Timestamp) -> PulledStoreBatches:
    """Pull ``signals`` into ``source``'s store as of ``end``; the store to read in pages. Raises as ``pull_into_store``."""
    if source.store is None:
        raise ValueError("a streamed live run needs a store")
    pull = source.pull_into_store(signals, end=end)
    origins = {signal.name: f"{safe_url(source.settings.url)} signal {signal.name}" for signal in signals}
    return PulledStoreBatches(pull, StoreBatches(source.store.path, signals, min_samples=1, origins=origins))


class PulledStoreBatches:
    """``SeriesBatches`` over the store after ``pull``: each signal's pull notes lead its read's notes.

    A signal whose pull failed is an error before any read (``fetch`` gives it no notes); a signal
    found absent keeps its notes, so its error comes with its read; a young one reads no series."""

    def __init__(self, pull: StorePull, pages: StoreBatches) -> None:
        self.pull = pull
        self.pages = pages
        self.errors: Mapping[str, Exception] = {name: error for name, error in pull.errors.items() if name not in pull.by_signal}
        self.notes: tuple[DataNote, ...] = pull.planned

    def read(self, name: str, earliest: pd.Timestamp, at: pd.Timestamp, size: int) -> SignalRead:
        early = self._before_reading(name)
        if early is not None:
            return early
        own = self.pull.by_signal.get(name, ())
        read = self.pages.read(name, earliest, at, size)
        if read.error is not None:
            return SignalRead(name, 0, error=read.error, notes=own)
        batches = iter(read.batches)
        first = next(batches, None)  # one page ahead: a signal whose every series is skipped is an error
        if first is None and self.pages.skipped.get(name):
            return SignalRead(
                name, 0, error=self._all_skipped(name, read.count, self.pages.skipped[name]), notes=JoinedNotes(own, read.notes)
            )
        pages = itertools.chain([first], batches) if first is not None else iter(())
        return SignalRead(name, read.count, pages, notes=JoinedNotes(own, read.notes))

    def read_paged(self, name: str, earliest: pd.Timestamp, at: pd.Timestamp) -> SignalRead:
        """As ``read``, with the series as pages a worker reads itself; a signal whose every series
        turns out skipped is settled as an error once its pages are read (``PagedRead.settle``)."""
        early = self._before_reading(name)
        if early is not None:
            return early
        own = self.pull.by_signal.get(name, ())
        read = self.pages.read_paged(name, earliest, at)
        if read.error is not None or read.paged is None:
            return SignalRead(name, 0, error=read.error, notes=own)
        inner = read.paged

        notes = JoinedNotes(own, read.notes)

        def settle(windows: int, skipped: Sequence[str]) -> tuple[Exception, Sequence[DataNote]] | None:
            return (self._all_skipped(name, read.count, list(skipped)), notes) if windows == 0 and skipped else None

        return SignalRead(name, read.count, notes=notes, paged=lambda size: replace(inner(size), settle=settle))

    def _before_reading(self, name: str) -> SignalRead | None:
        """The read of a signal whose pull failed or that has no series on the grid yet; else ``None``."""
        own = self.pull.by_signal.get(name, ())
        error = self.pull.errors.get(name)
        if error is not None:
            return SignalRead(name, 0, error=error, notes=own)
        if any(isinstance(note, YoungSignal) for note in own):
            return SignalRead(name, 0, notes=own)  # series now, none on the grid yet: nothing to read, not absent
        return None

    def _all_skipped(self, name: str, count: int, skipped: list[str]) -> SourceError:
        """As ``fetch``: the signal's notes, not the skipped series' (they name the cause)."""
        origin = self.pages.origins.get(name, str(self.pages.path))
        return SourceError(_nothing_left(count, skipped, None), location=origin)


class JoinedNotes(Sequence[DataNote]):
    """``first`` then ``then``, read when asked (``then`` fills up as a paged read goes on)."""

    def __init__(self, first: Sequence[DataNote], then: Sequence[DataNote]) -> None:
        self.first = first
        self.then = then

    def __len__(self) -> int:
        return len(self.first) + len(self.then)

    @overload
    def __getitem__(self, index: int) -> DataNote: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[DataNote]: ...
    def __getitem__(self, index: int | slice) -> DataNote | Sequence[DataNote]:
        return [*self.first, *self.then][index]

    def __iter__(self) -> Iterator[DataNote]:
        yield from self.first
        yield from self.then
