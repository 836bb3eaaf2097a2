"""Local history store: keeps pulled samples so history grows beyond the server's retention.

SQLite (stdlib ``sqlite3``) rather than Parquet: a transaction per signal makes every write atomic,
WAL mode keeps the file readable by others during a write and consistent after a crash (a run
killed mid-write loses only its own open transaction), and there is no new dependency. A Parquet
directory would need hand-written temp-file-and-rename and its own locking for the same guarantees.

Layout: a *signal* is identified by name, query text and step (a changed query or step starts a
fresh history instead of mixing old and new meanings); a *series* by its signal and full label
set; samples live in *blocks* of ``BLOCK_STEPS`` grid steps, each one row holding its timestamps
(int64 ms) and values (float64, NaN kept) as little-endian blobs. 1,000 series x 4,320 points are
about 17,000 rows (80 MB): written in about 0.7 s and read back in 0.5 s, where a row per sample
takes 4.6 s and 2.2 s. Each signal also records the contiguous time range it has pulled (its *coverage*), so
the next run asks the server only for what is new. One run at a time: see ``store_lock``.

A damaged file is never analysed: the first ``open()`` of a ``HistoryStore`` (and every
``check_integrity()``, which ``serve`` calls on its own schedule) runs SQLite's ``PRAGMA
quick_check``, and every block read back is checked for a consistent shape; either failure is a
``StoreError`` (exit 8) saying which files to move away.
"""

from __future__ import annotations

import json
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np

from detector.errors import StoreError
from detector.instants import DAY
from detector.sources.base import RawSeries
from detector.sources.prometheus_chunks import TimeRange
from detector.store_blocks import BLOCK_STEPS, encode, merge_block, split_into_blocks, trim
from detector.store_holes import Hole, SeriesExtent, new_holes, subtract
from detector.store_integrity import decoded as _decoded, quick_check
from detector.store_lock import run_lock
from detector.store_schema import guard as _guard, prepare as _prepare

CHECK_EVERY = DAY
"""Seconds between two ``quick_check`` runs of one long-lived store (``serve``): daily."""


@dataclass(frozen=True)
class StoreKey:
    """Which history: signal name, the exact query text and the step in milliseconds."""

    signal: str
    query: str
    step_ms: int


class HistoryStore:
    """A SQLite history file. ``open()`` takes the run lock and yields a ``StoreSession``.

    Parameters
    ----------
    path : str or Path
        The database file (its directory is created if missing). The lock is ``<path>.lock``.
    retention : float
        Seconds of history kept; older samples are deleted by ``StoreSession.prune``.
    lock_timeout : float
        Seconds to wait for a concurrent run before ``StoreError("store is locked ...")``.
    max_bytes : int, optional
        Cap on the database size; a write beyond it fails exactly like a full disk.
    """

    def __init__(self, path: str | Path, retention: float, *, lock_timeout: float = 30.0, max_bytes: int | None = None,
                 check_every: float = CHECK_EVERY, clock: Callable[[], float] = time.monotonic) -> None:
        self.path = Path(path)
        self.retention = retention
        self.lock_timeout = lock_timeout
        self.max_bytes = max_bytes
        self.check_every = check_every
        self._clock = clock
        self._checked_at: float | None = None

    def _check_due(self) -> bool:
        """On the first open of this object, then again once ``check_every`` seconds have passed (serve)."""
        return self._checked_at is None or self._clock() - self._checked_at >= self.check_every

    def check_integrity(self) -> None:
        """Take the run lock and run SQLite's ``quick_check`` now; ``StoreError`` if the file is damaged."""
        with self.open(check=True):
            pass

    @contextmanager
    def open(self, *, check: bool | None = None) -> Iterator["StoreSession"]:
        """Lock the store, open it (creating the schema on first use) and close it after the block.

        ``check``: run ``quick_check`` first (default: on the first open, then once per ``check_every``).
        """
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise StoreError("cannot create the store: a parent of this path is a file, not a directory", location=str(self.path)) from None
        except OSError as exc:
            raise StoreError(f"cannot create the store directory: {exc.strerror}", location=str(self.path)) from None
        with run_lock(Path(f"{self.path}.lock"), self.lock_timeout):
            with _guard(self.path, "open"):
                connection = sqlite3.connect(self.path, timeout=self.lock_timeout, isolation_level=None)
            try:
                with _guard(self.path, "open"):
                    _prepare(connection, self.max_bytes)
                    if check if check is not None else self._check_due():
                        quick_check(connection, self.path)
                        self._checked_at = self._clock()
                yield StoreSession(connection, self.path, round(self.retention * 1000))
            finally:
                connection.close()


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

    def write(self, key: StoreKey, series: Iterable[RawSeries], coverage: TimeRange, pulled: Sequence[TimeRange] = ()) -> int:
        """Merge ``series`` into the store (new values win at equal timestamps) and set the coverage.

        ``pulled``: the ranges this answer was asked for. Where one of them brought nothing for a
        series that has samples before and after it, a hole is recorded; holes it brought samples
        for are closed; and the coverage ends at the newest sample received, so newest steps that
        came back empty (a replica lagging behind) are asked for again by the next run. One transaction: either all of it is stored or, after an error or a crash,
        none of it. Returns the number of samples written.
        """
        written = 0
        newest: int | None = None
        with _guard(self.path, "write"), self._transaction():
            signal_id = self._signal_id(key)
            block_ms = key.step_ms * BLOCK_STEPS
            for raw in series:
                series_id = self._series_id(signal_id, json.dumps(sorted(raw.labels.items())))
                ts_ms = np.round(np.asarray(raw.timestamps, dtype=np.float64) * 1000).astype(np.int64)
                values = np.asarray(raw.values, dtype=np.float64)
                for block, (bts, bvs) in split_into_blocks(ts_ms, values, block_ms):
                    old = self._db.execute(
                        "SELECT ts, vals FROM blocks WHERE series_id = ? AND block = ?", (series_id, block)
                    ).fetchone()
                    if old is not None:
                        bts, bvs = merge_block(_decoded(self.path, old[0], old[1]), (bts, bvs))
                    self._put_block(series_id, block, bts, bvs)
                written += int(ts_ms.size)
                if ts_ms.size:
                    newest = max(int(ts_ms.max()), newest if newest is not None else int(ts_ms.max()))
            if pulled and newest is not None and newest < coverage.end_ms:
                coverage = TimeRange(coverage.start_ms, max(newest, coverage.start_ms))
            self._db.execute(
                "UPDATE signals SET covered_from = ?, covered_to = ? WHERE id = ?", (coverage.start_ms, coverage.end_ms, signal_id)
            )
            if pulled:
                self._update_holes(signal_id, key.step_ms, pulled)
        return written

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
        """Delete samples older than the retention (all signals); returns the samples deleted."""
        cutoff = now_ms - self.retention_ms
        deleted = 0
        with _guard(self.path, "prune"), self._transaction():
            rows = self._db.execute("SELECT series_id, block, ts, vals FROM blocks WHERE first_ms < ?", (cutoff,)).fetchall()
            for series_id, block, ts_blob, vals_blob in rows:
                ts, vs = _decoded(self.path, ts_blob, vals_blob)
                kept_ts, kept_vs = trim(ts, vs, cutoff)
                deleted += int(ts.size - kept_ts.size)
                if kept_ts.size:
                    self._put_block(series_id, block, kept_ts, kept_vs)
                else:
                    self._db.execute("DELETE FROM blocks WHERE series_id = ? AND block = ?", (series_id, block))
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

    def _update_holes(self, signal_id: int, step_ms: int, pulled: Sequence[TimeRange]) -> None:
        """Close what ``pulled`` asked for again (it was answered), then record what it left empty."""
        old = self._db.execute("SELECT labels, start_ms, end_ms FROM holes WHERE signal_id = ?", (signal_id,)).fetchall()
        for labels, start, end in old:
            rest = [TimeRange(int(start), int(end))]
            for span in pulled:
                rest = [part for piece in rest for part in subtract(piece, span, step_ms)]
            if rest != [TimeRange(int(start), int(end))]:
                self._db.execute("DELETE FROM holes WHERE signal_id = ? AND labels = ? AND start_ms = ? AND end_ms = ?", (signal_id, labels, start, end))
                self._db.executemany("INSERT OR IGNORE INTO holes VALUES (?, ?, ?, ?)", [(signal_id, labels, p.start_ms, p.end_ms) for p in rest])
        found = new_holes(pulled, self._extents(signal_id, pulled))
        self._db.executemany("INSERT OR IGNORE INTO holes VALUES (?, ?, ?, ?)", [(signal_id, h.labels, h.span.start_ms, h.span.end_ms) for h in found])

    def _extents(self, signal_id: int, pulled: Sequence[TimeRange]) -> list[SeriesExtent]:
        """Each stored series of the signal: its first and last sample, and enough of its timestamps
        to tell whether it has a sample in each pulled range (block ends, and the blocks spanning a range)."""
        rows = self._db.execute(
            "SELECT s.labels, b.block, b.first_ms, b.last_ms FROM blocks b JOIN series s ON s.id = b.series_id"
            " WHERE s.signal_id = ? ORDER BY s.id, b.block", (signal_id,),
        ).fetchall()
        by_series: dict[str, list[tuple[int, int, int]]] = {}
        for labels, block, first, last in rows:
            by_series.setdefault(labels, []).append((int(block), int(first), int(last)))
        extents = []
        for labels, blocks in by_series.items():
            stamps = [np.array([first, last], dtype=np.int64) for _, first, last in blocks]
            for block, first, last in blocks:
                if any(first < span.start_ms and last > span.end_ms for span in pulled):   # spans a range: look inside
                    ts_blob, vals_blob, row_first, row_last = self._db.execute(
                        "SELECT b.ts, b.vals, b.first_ms, b.last_ms FROM blocks b JOIN series s ON s.id = b.series_id"
                        " WHERE s.signal_id = ? AND s.labels = ? AND b.block = ?", (signal_id, labels, block),
                    ).fetchone()
                    stamps.append(_decoded(self.path, ts_blob, vals_blob, row_first, row_last)[0])
            timestamps = np.unique(np.concatenate(stamps))
            extents.append(SeriesExtent(labels, int(timestamps[0]), int(timestamps[-1]), timestamps))
        return extents

    def _signal_id(self, key: StoreKey) -> int:
        self._db.execute(
            "INSERT OR IGNORE INTO signals (name, query, step_ms) VALUES (?, ?, ?)", (key.signal, key.query, key.step_ms)
        )
        row = self._db.execute(
            "SELECT id FROM signals WHERE name = ? AND query = ? AND step_ms = ?", (key.signal, key.query, key.step_ms)
        ).fetchone()
        return int(row[0])

    def _series_id(self, signal_id: int, labels: str) -> int:
        self._db.execute("INSERT OR IGNORE INTO series (signal_id, labels) VALUES (?, ?)", (signal_id, labels))
        row = self._db.execute("SELECT id FROM series WHERE signal_id = ? AND labels = ?", (signal_id, labels)).fetchone()
        return int(row[0])

    def _put_block(self, series_id: int, block: int, ts: np.ndarray, vs: np.ndarray) -> None:
        ts_blob, vals_blob = encode(ts, vs)
        self._db.execute(
            "INSERT OR REPLACE INTO blocks (series_id, block, first_ms, last_ms, ts, vals) VALUES (?, ?, ?, ?, ?, ?)",
            (series_id, block, int(ts[0]), int(ts[-1]), ts_blob, vals_blob),
        )
