"""The history store read in pages: ``StoreBatches``, a ``SeriesBatches`` source over a store file.

``StoreSession.read`` returns every series of a signal at once; an evaluation of a large fleet
must not. ``StoreBatches`` lists the signal's series (ids and labels only), sorts them by their
identity (the order ``assemble_signal`` gives) and cuts them into ``StorePage``s: a page reads the
blocks of its series (``READ_GROUP`` per query), puts each series on the signal's grid
(``regular.regularize``: its repairs are notes), cuts it to the window and releases the samples.
``read`` reads the pages here; ``read_paged`` hands them out (a page is small and picklable) for
pool workers to read themselves, so the parent never holds their samples. Read-only: it opens its own connection in SQLite's read-only
mode, so it never blocks (nor is blocked by) a writer in WAL mode; the write path stays in
``store.py``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from detector.configuration.schema import Signal
from detector.core.series import DataNote, Labels, SeriesKey, labels_of
from detector.core.series_batches import PagedRead, SeriesWindow, SignalRead
from detector.errors import DataError, NoSeries, StoreError
from detector.sources.base import _identities
from detector.sources.grid_window import grid_window
from detector.sources.regular import regular_grid
from detector.store.history import StoreKey
from detector.store.integrity import decoded
from detector.store.schema import guard

READ_GROUP = 64
"""Series per query when a page is read (its blobs and decoded arrays are held at once)."""


class StoreBatches:
    """``SeriesBatches`` over the history store at ``path`` for the configured ``signals``.

    Parameters
    ----------
    path : Path
        The store file (written by ``HistoryStore``).
    signals : sequence of Signal
        The configured signals: each one's name, query and step select its stored history.
    min_samples : int
        Finite samples a series needs on the grid (1, as the live path: a new series is too young).
    origins : mapping, optional
        Per signal, where its notes say the series came from (the live path: the Prometheus query,
        as ``PrometheusSource.fetch`` says); default: the store file.
    """

    def __init__(
        self, path: str | Path, signals: Sequence[Signal], *, min_samples: int = 1, origins: Mapping[str, str] | None = None
    ) -> None:
        self.path = Path(path)
        self.signals = {signal.name: signal for signal in signals}
        self.min_samples = min_samples
        self.origins: Mapping[str, str] = origins or {}
        self.skipped: dict[str, list[str]] = {}
        """Per signal, why each series skipped by its last read was skipped (complete once its batches are consumed)."""
        self.errors: Mapping[str, Exception] = {}
        self.notes: tuple[DataNote, ...] = ()

    def read(self, name: str, earliest: pd.Timestamp, at: pd.Timestamp, size: int) -> SignalRead:
        listed = self._listed(name, earliest, at)
        if isinstance(listed, SignalRead):
            return listed
        notes, skipped = listed.notes, listed.skipped

        def batches() -> Iterator[tuple[SeriesWindow, ...]]:
            for page in listed.pages(size):
                windows = tuple(page.windows(notes, skipped))
                if windows:
                    yield windows

        return SignalRead(name, listed.count, batches(), notes=notes)

    def read_paged(self, name: str, earliest: pd.Timestamp, at: pd.Timestamp) -> SignalRead:
        """As ``read``, but the series come as pages (``SignalRead.paged``) a pool worker reads itself."""
        listed = self._listed(name, earliest, at)
        if isinstance(listed, SignalRead):
            return listed
        return SignalRead(
            name, listed.count, notes=listed.notes, paged=lambda size: PagedRead(listed.pages(size), listed.notes, listed.skipped)
        )

    def _listed(self, name: str, earliest: pd.Timestamp, at: pd.Timestamp) -> _Listing | SignalRead:
        """The signal's series (ids and identities, no samples), or the read's error."""
        signal = self.signals.get(name)
        if signal is None or not signal.query:
            return SignalRead(name, 0, error=NoSeries(f"no stored history for signal {name}", location=str(self.path)))
        series, notes = self._series(StoreKey(name, signal.query, round(signal.step * 1000)))
        self.skipped[name] = []
        if not series:
            return SignalRead(name, 0, error=NoSeries("no series (the store holds none for this query and step)", location=str(self.path)))
        origin = self.origins.get(name, str(self.path))
        return _Listing(signal, tuple(series), earliest, at, self.path, self.min_samples, origin, notes, self.skipped[name])

    def _connect(self) -> sqlite3.Connection:
        if not self.path.is_file():
            raise StoreError("history store not found", location=str(self.path))
        with guard(self.path, "open"):
            return sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)

    def _series(self, key: StoreKey) -> tuple[list[tuple[int, Labels]], list[DataNote]]:
        """The signal's series as (id, identity labels), sorted by identity, and the notes on colliding identities."""
        connection = self._connect()
        try:
            with guard(self.path, "read"):
                rows = connection.execute(
                    "SELECT s.id, s.labels FROM series s JOIN signals g ON g.id = s.signal_id"
                    " WHERE g.name = ? AND g.query = ? AND g.step_ms = ? ORDER BY s.id",
                    (key.signal, key.query, key.step_ms),
                ).fetchall()
        finally:
            connection.close()
        full = [labels_of(dict(json.loads(labels))) for _, labels in rows]
        identities, notes = _identities(key.signal, full, self.origins.get(key.signal, str(self.path)))
        return sorted(((int(row[0]), identity) for row, identity in zip(rows, identities, strict=False)), key=lambda pair: pair[1]), notes


@dataclass(frozen=True)
class _Listing:
    """A signal's listed series, cut into ``StorePage``s on demand; ``notes``/``skipped``: the read's lists."""

    signal: Signal
    series: tuple[tuple[int, Labels], ...]
    earliest: pd.Timestamp
    at: pd.Timestamp
    path: Path
    min_samples: int
    origin: str
    notes: list[DataNote]
    skipped: list[str]

    @property
    def count(self) -> int:
        return len(self.series)

    def pages(self, size: int) -> list[StorePage]:
        step = max(size, 1)
        return [
            StorePage(self.path, self.signal, self.series[i : i + step], self.earliest, self.at, self.min_samples, self.origin)
            for i in range(0, len(self.series), step)
        ]


@dataclass(frozen=True)
class StorePage:
    """A page of one signal's stored series, read by whichever process holds it (a pool worker reads
    its own pages: the parent never holds their samples). ``series``: (id, identity labels)."""

    path: Path
    signal: Signal
    series: tuple[tuple[int, Labels], ...]
    earliest: pd.Timestamp
    at: pd.Timestamp
    min_samples: int
    origin: str

    def labels(self) -> tuple[Labels, ...]:
        return tuple(identity for _, identity in self.series)

    def windows(self, notes: list[DataNote], skipped: list[str]) -> Iterator[SeriesWindow]:
        """Each series on the signal's grid (``regularize``: its repairs are notes) cut to the window,
        read ``READ_GROUP`` series per query; a series with nothing in the window is not there."""
        if not self.path.is_file():
            raise StoreError("history store not found", location=str(self.path))
        with guard(self.path, "open"):
            connection = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        span = (int(self.earliest.timestamp() * 1000), int(self.at.timestamp() * 1000) - 1)
        name, step = self.signal.name, self.signal.step
        try:
            for i in range(0, len(self.series), READ_GROUP):
                group = self.series[i : i + READ_GROUP]
                samples = self._read_page(connection, [series_id for series_id, _ in group], span)
                for series_id, identity in group:
                    ts, vs = samples.pop(series_id, (np.empty(0), np.empty(0)))
                    if ts.size == 0:
                        continue  # nothing in the window: as the live path's read, not there
                    where = f"{self.origin} {SeriesKey(name, identity)}"
                    try:
                        grid, repairs = regular_grid(ts, vs, step, location=where, signal=name, min_samples=self.min_samples)
                    except DataError as err:
                        notes.append(DataNote(name, f"series skipped: {err.message}", where))
                        skipped.append(err.message)
                        continue
                    notes.extend(repairs)
                    yield grid_window(identity, grid, self.earliest, self.at)
        finally:
            connection.close()

    def _read_page(self, connection: sqlite3.Connection, ids: list[int], span: tuple[int, int]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Each series' samples in ``span`` (ms, inclusive), in seconds, from one query for the page."""
        marks = ",".join("?" * len(ids))
        with guard(self.path, "read"):
            rows = connection.execute(
                f"SELECT series_id, ts, vals, first_ms, last_ms FROM blocks WHERE series_id IN ({marks})"
                " AND last_ms >= ? AND first_ms <= ? ORDER BY series_id, block",
                (*ids, *span),
            ).fetchall()
        parts: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}
        for series_id, ts_blob, vals_blob, first_ms, last_ms in rows:
            parts.setdefault(int(series_id), []).append(decoded(self.path, ts_blob, vals_blob, first_ms, last_ms))
        out = {}
        for series_id, blocks in parts.items():
            ts = np.concatenate([b[0] for b in blocks])
            vs = np.concatenate([b[1] for b in blocks])
            inside = (ts >= span[0]) & (ts <= span[1])
            out[series_id] = (ts[inside] / 1000.0, vs[inside])
        return out
