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

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from detector.core.instants import DAY
from detector.errors import StoreError
from detector.store.integrity import quick_check
from detector.store.key import StoreKey
from detector.store.lock import run_lock
from detector.store.schema import guard as _guard
from detector.store.schema import prepare as _prepare
from detector.store.session import StoreSession

__all__ = ["CHECK_EVERY", "HistoryStore", "StoreKey", "StoreSession"]

CHECK_EVERY = DAY
"""Seconds between two ``quick_check`` runs of one long-lived store (``serve``): daily."""


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
    connect : callable
        ``sqlite3.connect`` (injected where a test watches the statements).
    """

    def __init__(
        self,
        path: str | Path,
        retention: float,
        *,
        lock_timeout: float = 30.0,
        max_bytes: int | None = None,
        check_every: float = CHECK_EVERY,
        clock: Callable[[], float] = time.monotonic,
        connect: Callable[..., sqlite3.Connection] = sqlite3.connect,
    ) -> None:
        self.path = Path(path)
        self.retention = retention
        self.lock_timeout = lock_timeout
        self.max_bytes = max_bytes
        self.check_every = check_every
        self._clock = clock
        self._connect = connect
        self._checked_at: float | None = None

    def _check_due(self) -> bool:
        """On the first open of this object, then again once ``check_every`` seconds have passed (serve)."""
        return self._checked_at is None or self._clock() - self._checked_at >= self.check_every

    def check_integrity(self) -> None:
        """Take the run lock and run SQLite's ``quick_check`` now; ``StoreError`` if the file is damaged."""
        with self.open(check=True):
            pass

    @contextmanager
    def open(self, *, check: bool | None = None) -> Iterator[StoreSession]:
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
                connection = self._connect(self.path, timeout=self.lock_timeout, isolation_level=None)
            try:
                with _guard(self.path, "open"):
                    _prepare(connection, self.max_bytes)
                    if check if check is not None else self._check_due():
                        quick_check(connection, self.path)
                        self._checked_at = self._clock()
                yield StoreSession(connection, self.path, round(self.retention * 1000))
            finally:
                connection.close()
