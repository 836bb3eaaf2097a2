"""Retention of the history store: delete the samples older than a cutoff, in bounded memory.

A block wholly older than the cutoff (``last_ms`` before it) is deleted in SQL without being read;
only the blocks that straddle the cutoff (at most one per series) are read, trimmed and written
back, ``STRADDLING_BATCH`` blocks at a time in key order, so the memory of a prune does not grow
with the store (before: every block older than the cutoff was loaded at once, ~40 MB an hour at
10,000 series). The caller holds the transaction (``StoreSession.prune``).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from detector.store.blocks import trim
from detector.store.integrity import decoded
from detector.store.write import put_block

STRADDLING_BATCH = 512
"""Blocks straddling the cutoff read at once (each at most ``BLOCK_STEPS`` samples, 4 KB: about 2 MB a batch)."""

SAMPLE_BYTES = 8
"""Bytes of one timestamp in a block's ``ts`` blob (``blocks.encode``: little-endian int64)."""

MISSHAPEN = "typeof(ts) != 'blob' OR typeof(vals) != 'blob' OR length(ts) = 0 OR length(ts) % 8 != 0 OR length(ts) != length(vals)"
"""Rows whose blobs cannot be a block (``blocks.block_problem``'s checks of type and size, in SQL)."""


def delete_before(db: sqlite3.Connection, path: Path, cutoff_ms: int, batch: int = STRADDLING_BATCH) -> int:
    """Delete every sample before ``cutoff_ms`` from the blocks (all signals); returns the samples deleted.

    Series left without a block, holes that end before the cutoff and coverage starts before it are
    for the caller (``StoreSession.prune``). Raises the store's ``damaged`` error when a block it must
    trim cannot be decoded, or when a block it deletes whole is not two blobs of the same whole number of samples.
    """
    return _delete_whole_blocks(db, path, cutoff_ms) + _trim_straddling(db, path, cutoff_ms, batch)


def _delete_whole_blocks(db: sqlite3.Connection, path: Path, cutoff_ms: int) -> int:
    """Delete the blocks whose newest sample is before the cutoff; their samples are counted from the blob sizes."""
    misshapen = db.execute(f"SELECT ts, vals FROM blocks WHERE last_ms < ? AND ({MISSHAPEN}) LIMIT 1", (cutoff_ms,)).fetchone()
    if misshapen is not None:  # as when each was decoded: a damaged block stops the run rather than being miscounted
        decoded(path, misshapen[0], misshapen[1])
    ts_bytes = db.execute("SELECT COALESCE(SUM(length(ts)), 0) FROM blocks WHERE last_ms < ?", (cutoff_ms,)).fetchone()[0]
    db.execute("DELETE FROM blocks WHERE last_ms < ?", (cutoff_ms,))
    return int(ts_bytes) // SAMPLE_BYTES


def _trim_straddling(db: sqlite3.Connection, path: Path, cutoff_ms: int, batch: int) -> int:
    """Trim the blocks with samples on both sides of the cutoff, ``batch`` at a time in (series, block) order."""
    deleted = 0
    after: tuple[int, int] = (-1, -1)
    while True:
        rows = db.execute(
            "SELECT series_id, block, ts, vals FROM blocks WHERE first_ms < ? AND (series_id > ? OR (series_id = ? AND block > ?))"
            " ORDER BY series_id, block LIMIT ?",
            (cutoff_ms, after[0], after[0], after[1], batch),
        ).fetchall()
        for series_id, block, ts_blob, vals_blob in rows:
            ts, vs = decoded(path, ts_blob, vals_blob)
            kept_ts, kept_vs = trim(ts, vs, cutoff_ms)
            deleted += int(ts.size - kept_ts.size)
            if kept_ts.size:
                put_block(db, series_id, block, kept_ts, kept_vs)
            else:  # a row whose last_ms did not match its samples: emptied all the same
                db.execute("DELETE FROM blocks WHERE series_id = ? AND block = ?", (series_id, block))
        if len(rows) < batch:
            return deleted
        after = (int(rows[-1][0]), int(rows[-1][1]))
