"""``ExportBatches``: a directory of export files as a ``SeriesBatches`` source, one file at a time.

Each signal's file is read when the evaluation reaches that signal (or needs it as a ceiling),
cut into windows batch by batch, and released before the next file is read: memory holds one
file's series, not the directory's. The time range of every file read is kept (``extent``) so a
run can place its evaluation time at the end of the data and check ``--at`` against it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from detector.config import Signal
from detector.errors import NoSeries
from detector.series import DataNote, Labels
from detector.series_batches import SignalRead, windows_in_batches
from detector.sources.export import ExportSource


class ExportBatches:
    """``SeriesBatches`` over ``source``'s directory for the configured ``signals`` (listed once, now)."""

    def __init__(self, source: ExportSource, signals: Sequence[Signal]) -> None:
        self.source = source
        self.signals = {signal.name: signal for signal in signals}
        self._files, notes = source.scan(signals)
        self.errors: Mapping[str, Exception] = {}
        self.notes: tuple[DataNote, ...] = tuple(notes)
        self._extents: dict[str, tuple[pd.Timestamp, pd.Timestamp]] = {}

    def read(self, name: str, earliest: pd.Timestamp, at: pd.Timestamp, size: int) -> SignalRead:
        signal = self.signals.get(name)
        if signal is None:
            return SignalRead(name, 0, error=NoSeries(f"no signal named {name} in the config", location=str(self.source.directory)))
        series, error, notes = self.source.read_signal(signal, self._files)
        if error is not None:
            return SignalRead(name, 0, error=error, notes=tuple(notes))
        self._remember_extent(name, series)
        return SignalRead(name, len(series), windows_in_batches(series, earliest, at, size), notes=tuple(notes))

    def extent(self) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
        """The first and the last sample of any series (``SeriesSet.start``/``end``), reading each file
        not read yet, one at a time."""
        for name, signal in self.signals.items():
            if name not in self._extents:
                series, error, _ = self.source.read_signal(signal, self._files)
                if error is None:
                    self._remember_extent(name, series)
                del series
        starts = [start for start, _ in self._extents.values()]
        ends = [end for _, end in self._extents.values()]
        return (min(starts) if starts else None, max(ends) if ends else None)

    def _remember_extent(self, name: str, series: Mapping[Labels, pd.Series]) -> None:
        starts = [s.index[0] for s in series.values() if len(s)]
        ends = [s.index[-1] for s in series.values() if len(s)]
        if starts:
            self._extents[name] = (min(starts), max(ends))


def directory_batches(directory: Path, signals: Sequence[Signal], now: pd.Timestamp | None) -> ExportBatches:
    """The export directory as a chunked source (``DataError`` when it cannot be listed)."""
    return ExportBatches(ExportSource(Path(directory), now=now), signals)
