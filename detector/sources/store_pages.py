"""The history store read in pages: ``StoreBatches``, a ``SeriesBatches`` source over a store file.

``StoreSession.read`` returns every series of a signal at once; an evaluation of a large fleet
must not. ``StoreBatches`` lists the signal's series (ids and labels only), sorts them by their
identity (the order ``assemble_signal`` gives), then reads the blocks of ``size`` series per query,
puts each series on the signal's grid (``regular.regularize``: its repairs are notes), cuts it to
the window and releases the page. Read-only: it opens its own connection in SQLite's read-only
mode, so it never blocks (nor is blocked by) a writer in WAL mode; the write path stays in
``store.py``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from detector.configuration.schema import Signal
from detector.core.series import DataNote, Labels, SeriesKey, labels_of
from detector.core.series_batches import SeriesWindow, SignalRead, window_of
from detector.errors import DataError, NoSeries, StoreError
from detector.sources.base import _identities
from detector.sources.regular import regularize
from detector.store.history import StoreKey
from detector.store.integrity import decoded
from detector.store.schema import guard


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
        signal = self.signals.get(name)
        if signal is None or not signal.query:
            return SignalRead(name, 0, error=NoSeries(f"no stored history for signal {name}", location=str(self.path)))
        key = StoreKey(name, signal.query, round(signal.step * 1000))
        series, notes = self._series(key)
        self.skipped[name] = []
        if not series:
            return SignalRead(name, 0, error=NoSeries("no series (the store holds none for this query and step)", location=str(self.path)))
        return SignalRead(name, len(series), self._pages(signal, series, earliest, at, size, notes), notes=notes)

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

    def _pages(
        self, signal: Signal, series: list[tuple[int, Labels]], earliest: pd.Timestamp, at: pd.Timestamp, size: int, notes: list[DataNote]
    ) -> Iterator[tuple[SeriesWindow, ...]]:
        span = (int(earliest.timestamp() * 1000), int(at.timestamp() * 1000) - 1)
        connection = self._connect()
        try:
            for i in range(0, len(series), max(size, 1)):
                page = series[i : i + max(size, 1)]
                samples = self._read_page(connection, [series_id for series_id, _ in page], span)
                windows = []
                for series_id, identity in page:
                    ts, vs = samples.get(series_id, (np.empty(0), np.empty(0)))
                    if ts.size == 0:
                        continue  # nothing in the window: as the live path's read, not there
                    where = f"{self.origins.get(signal.name, str(self.path))} {SeriesKey(signal.name, identity)}"
                    try:
                        regular, repairs = regularize(ts, vs, signal.step, location=where, signal=signal.name, min_samples=self.min_samples)
                    except DataError as err:
                        notes.append(DataNote(signal.name, f"series skipped: {err.message}", where))
                        self.skipped[signal.name].append(err.message)
                        continue
                    notes.extend(repairs)
                    windows.append(window_of(identity, regular, earliest, at))
                if windows:
                    yield tuple(windows)
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
