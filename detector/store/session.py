"""``StoreSession``: the reads and writes of one run on the history store's open connection (``detector.store.history``)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from detector.core.raw_series import RawSeries
from detector.core.time_range import TimeRange
from detector.store.holes import Hole
from detector.store.integrity import decoded as _decoded
from detector.store.key import StoreKey
from detector.store.prune import delete_before
from detector.store.schema import guard as _guard
from detector.store.write import SignalWriter


class StoreSession:
    """Reads and writes of one run, on one connection (not shared between threads)."""

    def __init__(self, connection: sqlite3.Connection, path: Path, retention_ms: int) -> None:
        self._db = connection
        self.path = path
        self.retention_ms = retention_ms

    def coverage(self, key: StoreKey) -> TimeRange | None:
        """The contiguous range already pulled for ``key``, or None."""
        with _guard(self.path, "read"):
            row = self._db.execute(
                "SELECT covered_from, covered_to FROM signals WHERE name = ? AND query = ? AND step_ms = ?",
                (key.signal, key.query, key.step_ms),
            ).fetchone()
        if row is None or row[0] is None or row[1] is None or row[0] > row[1]:
            return None
        return TimeRange(int(row[0]), int(row[1]))

    def holes(self, key: StoreKey) -> list[Hole]:
        """The open holes of ``key`` (``store_holes``), oldest first."""
        with _guard(self.path, "read"):
            rows = self._db.execute(
                "SELECT h.start_ms, h.end_ms, h.labels FROM holes h JOIN signals g ON g.id = h.signal_id"
                " WHERE g.name = ? AND g.query = ? AND g.step_ms = ? ORDER BY h.start_ms, h.labels",
                (key.signal, key.query, key.step_ms),
            ).fetchall()
        return [Hole(TimeRange(int(start), int(end)), str(labels)) for start, end, labels in rows]

    @contextmanager
    def begin(self, key: StoreKey) -> Iterator[SignalWriter]:
        """One transaction for the writes of ``key``: the ``SignalWriter`` takes its chunks one by one.

        Committed when the block ends, unless it raised or ``discard()`` was called: then rolled back,
        and the store holds what it held before (also after a crash: the transaction was never committed).
        """
        with _guard(self.path, "write"):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                writer = SignalWriter(self._db, self.path, key)
                yield writer
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("ROLLBACK" if writer.discarded else "COMMIT")

    def write(self, key: StoreKey, series: Iterable[RawSeries], coverage: TimeRange, pulled: Sequence[TimeRange] = ()) -> int:
        """Merge ``series`` into the store (new values win at equal timestamps) and set the coverage.

        ``pulled``: the ranges this answer was asked for. Where one of them brought nothing for a
        series that has samples before and after it, a hole is recorded; holes it brought samples
        for are closed; and the coverage ends at the newest sample received, so newest steps that
        came back empty (a replica lagging behind) are asked for again by the next run. One transaction: either all of it is stored or, after an error or a crash,
        none of it. Returns the number of samples written. (``begin`` does the same chunk by chunk.)
        """
        with self.begin(key) as writer:
            writer.add(series)
            writer.finish(coverage, pulled)
        return writer.samples

    def read(self, key: StoreKey, span: TimeRange) -> list[RawSeries]:
        """Every stored series of ``key`` with its samples inside ``span`` (inclusive), oldest first."""
        with _guard(self.path, "read"):
            rows = self._db.execute(
                "SELECT s.labels, b.ts, b.vals, b.first_ms, b.last_ms FROM blocks b JOIN series s ON s.id = b.series_id"
                " JOIN signals g ON g.id = s.signal_id WHERE g.name = ? AND g.query = ? AND g.step_ms = ?"
                " AND b.last_ms >= ? AND b.first_ms <= ? ORDER BY s.id, b.block",
                (key.signal, key.query, key.step_ms, span.start_ms, span.end_ms),
            ).fetchall()
        parts: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
        for labels, ts_blob, vals_blob, first_ms, last_ms in rows:
            parts.setdefault(labels, []).append(_decoded(self.path, ts_blob, vals_blob, first_ms, last_ms))
        out = []
        for labels, blocks in parts.items():
            ts = np.concatenate([b[0] for b in blocks])
            vs = np.concatenate([b[1] for b in blocks])
            inside = (ts >= span.start_ms) & (ts <= span.end_ms)
            out.append(RawSeries(dict(json.loads(labels)), ts[inside] / 1000.0, vs[inside], "store"))
        return out

    def prune(self, now_ms: int) -> int:
        """Delete samples older than the retention (all signals); returns the samples deleted.

        Bounded memory (``detector.store.prune``): whole old blocks are deleted without being read.
        """
        cutoff = now_ms - self.retention_ms
        with _guard(self.path, "prune"), self._transaction():
            deleted = delete_before(self._db, self.path, cutoff)
            self._db.execute("DELETE FROM series WHERE id NOT IN (SELECT DISTINCT series_id FROM blocks)")
            self._db.execute("DELETE FROM holes WHERE end_ms < ?", (cutoff,))
            self._db.execute(  # the first grid point at or after the cutoff
                "UPDATE signals SET covered_from = ((? + step_ms - 1) / step_ms) * step_ms WHERE covered_from < ?", (cutoff, cutoff)
            )
        return deleted

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
