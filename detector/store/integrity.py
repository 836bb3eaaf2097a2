"""Is the history store what slowburn wrote? SQLite's own check of the file, and a shape check of
every block read back, so a damaged store stops the run (``StoreError``, exit 8) instead of being analysed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from detector.errors import StoreError
from detector.store.blocks import block_problem, decode

QUICK_CHECK_ROWS = 3
"""Problems of ``quick_check`` kept for the message (it can list thousands)."""


def damaged(path: Path, what: str) -> StoreError:
    """The one error of a damaged store: what is wrong and which files to move away."""
    return StoreError(
        f"the history store is damaged ({what}); move {path.name} and any {path.name}-wal and {path.name}-shm beside it "
        "away (keep them for a post-mortem) and run again to start a fresh history",
        location=str(path),
    )


def quick_check(connection: sqlite3.Connection, path: Path) -> None:
    """SQLite's ``PRAGMA quick_check``; raise the ``damaged`` error unless it answers 'ok'."""
    try:
        rows = [str(row[0]) for row in connection.execute(f"PRAGMA quick_check({QUICK_CHECK_ROWS})").fetchall()]
    except sqlite3.DatabaseError as exc:  # too damaged to be checked at all
        raise damaged(path, f"SQLite quick_check: {exc}") from None
    if rows != ["ok"]:
        raise damaged(
            path, "SQLite quick_check: " + "; ".join(" ".join(row.replace("*** in database main ***", "").split()) for row in rows)
        )


def decoded(
    path: Path, ts_blob: object, vals_blob: object, first_ms: object = None, last_ms: object = None
) -> tuple[np.ndarray, np.ndarray]:
    """A stored block, or the ``damaged`` error when its blobs cannot be what ``encode`` wrote
    (``first_ms``/``last_ms``: the row's own record of its first and last timestamps, when read)."""
    problem = block_problem(ts_blob, vals_blob, first_ms, last_ms)
    if problem is not None:
        raise damaged(path, f"a block of samples is unreadable: {problem}")
    return decode(ts_blob, vals_blob)  # type: ignore[arg-type]  # block_problem returned None: both blobs are bytes
