"""The history store's write path: one signal's samples merged in, chunk by chunk, in one transaction.

``SignalWriter`` is what ``StoreSession.begin(key)`` yields inside an open transaction: ``add`` merges
the series of one answered chunk into their blocks at once (so the caller can drop the chunk before
the next one arrives), ``finish`` sets the coverage and the holes once every chunk is in, and
``discard`` makes the transaction roll back (a later chunk failed: the signal keeps what it had).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from detector.core.raw_series import RawSeries
from detector.core.time_range import TimeRange
from detector.store.blocks import BLOCK_STEPS, encode, merge_block, split_into_blocks
from detector.store.holes import SeriesExtent, new_holes, subtract
from detector.store.integrity import decoded
from detector.store.key import StoreKey


class SignalWriter:
    """Writes of one signal inside the caller's transaction (``StoreSession.begin``)."""

    def __init__(self, connection: sqlite3.Connection, path: Path, key: StoreKey) -> None:
        self._db = connection
        self.path = path
        self.key = key
        self.signal_id = signal_id(connection, key)
        self.samples = 0
        self._series_ids: set[int] = set()
        self.newest: int | None = None
        self.discarded = False

    def add(self, series: Iterable[RawSeries]) -> int:
        """Merge ``series`` into the stored blocks (new values win at equal timestamps); returns the samples written."""
        written = 0
        block_ms = self.key.step_ms * BLOCK_STEPS
        for raw in series:
            series_id = _series_id(self._db, self.signal_id, json.dumps(sorted(raw.labels.items())))
            ts_ms = np.round(np.asarray(raw.timestamps, dtype=np.float64) * 1000).astype(np.int64)
            values = np.asarray(raw.values, dtype=np.float64)
            for block, (bts, bvs) in split_into_blocks(ts_ms, values, block_ms):
                old = self._db.execute("SELECT ts, vals FROM blocks WHERE series_id = ? AND block = ?", (series_id, block)).fetchone()
                if old is not None:
                    bts, bvs = merge_block(decoded(self.path, old[0], old[1]), (bts, bvs))
                put_block(self._db, series_id, block, bts, bvs)
            written += int(ts_ms.size)
            self._series_ids.add(series_id)
            if ts_ms.size:
                newest = int(ts_ms.max())
                self.newest = newest if self.newest is None else max(self.newest, newest)
        self.samples += written
        return written

    @property
    def series(self) -> int:
        """Distinct series written so far (a series in several chunks counts once)."""
        return len(self._series_ids)

    def finish(self, coverage: TimeRange, pulled: Sequence[TimeRange] = ()) -> None:
        """Set the coverage and the holes (see ``StoreSession.write``) once every chunk has been added."""
        if pulled and self.newest is not None and self.newest < coverage.end_ms:
            coverage = TimeRange(coverage.start_ms, max(self.newest, coverage.start_ms))
        self._db.execute(
            "UPDATE signals SET covered_from = ?, covered_to = ? WHERE id = ?", (coverage.start_ms, coverage.end_ms, self.signal_id)
        )
        if pulled:
            self._update_holes(pulled)

    def discard(self) -> None:
        """Roll the whole transaction back when the block ends: nothing of this signal is kept."""
        self.discarded = True

    def _update_holes(self, pulled: Sequence[TimeRange]) -> None:
        """Close what ``pulled`` asked for again (it was answered), then record what it left empty."""
        step_ms = self.key.step_ms
        old = self._db.execute("SELECT labels, start_ms, end_ms FROM holes WHERE signal_id = ?", (self.signal_id,)).fetchall()
        for labels, start, end in old:
            rest = [TimeRange(int(start), int(end))]
            for span in pulled:
                rest = [part for piece in rest for part in subtract(piece, span, step_ms)]
            if rest != [TimeRange(int(start), int(end))]:
                self._db.execute(
                    "DELETE FROM holes WHERE signal_id = ? AND labels = ? AND start_ms = ? AND end_ms = ?",
                    (self.signal_id, labels, start, end),
                )
                self._db.executemany(
                    "INSERT OR IGNORE INTO holes VALUES (?, ?, ?, ?)", [(self.signal_id, labels, p.start_ms, p.end_ms) for p in rest]
                )
        found = new_holes(pulled, self._extents(pulled))
        self._db.executemany(
            "INSERT OR IGNORE INTO holes VALUES (?, ?, ?, ?)", [(self.signal_id, h.labels, h.span.start_ms, h.span.end_ms) for h in found]
        )

    def _extents(self, pulled: Sequence[TimeRange]) -> list[SeriesExtent]:
        """Each stored series of the signal: its first and last sample, and enough of its timestamps
        to tell whether it has a sample in each pulled range (block ends, and the blocks spanning a range)."""
        rows = self._db.execute(
            "SELECT s.labels, b.block, b.first_ms, b.last_ms FROM blocks b JOIN series s ON s.id = b.series_id"
            " WHERE s.signal_id = ? ORDER BY s.id, b.block",
            (self.signal_id,),
        ).fetchall()
        by_series: dict[str, list[tuple[int, int, int]]] = {}
        for labels, block, first, last in rows:
            by_series.setdefault(labels, []).append((int(block), int(first), int(last)))
        extents = []
        for labels, blocks in by_series.items():
            stamps = [np.array([first, last], dtype=np.int64) for _, first, last in blocks]
            for block, first, last in blocks:
                if any(first < span.start_ms and last > span.end_ms for span in pulled):  # spans a range: look inside
                    ts_blob, vals_blob, row_first, row_last = self._db.execute(
                        "SELECT b.ts, b.vals, b.first_ms, b.last_ms FROM blocks b JOIN series s ON s.id = b.series_id"
                        " WHERE s.signal_id = ? AND s.labels = ? AND b.block = ?",
                        (self.signal_id, labels, block),
                    ).fetchone()
                    stamps.append(decoded(self.path, ts_blob, vals_blob, row_first, row_last)[0])
            timestamps = np.unique(np.concatenate(stamps))
            extents.append(SeriesExtent(labels, int(timestamps[0]), int(timestamps[-1]), timestamps))
        return extents


def signal_id(db: sqlite3.Connection, key: StoreKey) -> int:
    db.execute("INSERT OR IGNORE INTO signals (name, query, step_ms) VALUES (?, ?, ?)", (key.signal, key.query, key.step_ms))
    row = db.execute("SELECT id FROM signals WHERE name = ? AND query = ? AND step_ms = ?", (key.signal, key.query, key.step_ms)).fetchone()
    return int(row[0])


def _series_id(db: sqlite3.Connection, signal: int, labels: str) -> int:
    db.execute("INSERT OR IGNORE INTO series (signal_id, labels) VALUES (?, ?)", (signal, labels))
    row = db.execute("SELECT id FROM series WHERE signal_id = ? AND labels = ?", (signal, labels)).fetchone()
    return int(row[0])


def put_block(db: sqlite3.Connection, series_id: int, block: int, ts: np.ndarray, vs: np.ndarray) -> None:
    ts_blob, vals_blob = encode(ts, vs)
    db.execute(
        "INSERT OR REPLACE INTO blocks (series_id, block, first_ms, last_ms, ts, vals) VALUES (?, ?, ?, ?, ?, ?)",
        (series_id, block, int(ts[0]), int(ts[-1]), ts_blob, vals_blob),
    )
