"""Retention of the history store: exactly the samples older than the cutoff go, the rest stays byte for byte,
whole old blocks are deleted without being read and the blocks straddling the cutoff are trimmed in batches."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from detector.core.time_range import TimeRange
from detector.errors import StoreError
from detector.sources.base import RawSeries
from detector.store.blocks import BLOCK_STEPS
from detector.store.history import HistoryStore, StoreKey
from detector.store.prune import delete_before

SEED = 23
HOUR_MS = 3_600_000
BLOCK_MS = BLOCK_STEPS * HOUR_MS
T0_MS = 1_772_236_800_000 // BLOCK_MS * BLOCK_MS  # a block boundary near 2026-02-28
KEY = StoreKey("disk", "disk_used", HOUR_MS)

Rows = dict[tuple[int, int], tuple[int, int, bytes, bytes]]


def filled_store(path: Path, series: int = 7, hours: int = 4 * BLOCK_STEPS) -> dict[str, np.ndarray]:
    """``series`` hourly series starting at different hours, each with a few missing hours and a NaN; their timestamps (ms) by label."""
    rng = np.random.default_rng(SEED)
    written: dict[str, np.ndarray] = {}
    raws = []
    for i in range(series):
        ts_ms = T0_MS + HOUR_MS * np.arange(17 * i, hours)
        ts_ms = np.delete(ts_ms, rng.choice(ts_ms.size, size=5, replace=False))
        values = rng.normal(100.0, 5.0, ts_ms.size).cumsum()
        values[rng.integers(ts_ms.size)] = np.nan
        raws.append(RawSeries({"pvc": f"data-{i}"}, ts_ms / 1000.0, values))
        written[f"data-{i}"] = ts_ms
    with HistoryStore(path, retention=400 * 86400).open() as session:
        session.write(KEY, raws, TimeRange(T0_MS, T0_MS + (hours - 1) * HOUR_MS))
    return written


def rows_of(path: Path) -> Rows:
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT series_id, block, first_ms, last_ms, ts, vals FROM blocks").fetchall()
    return {(sid, block): (first, last, ts, vals) for sid, block, first, last, ts, vals in rows}


def pruned(path: Path, cutoff_ms: int, batch: int) -> int:
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("BEGIN IMMEDIATE")
        deleted = delete_before(db, path, cutoff_ms, batch)
        db.execute("COMMIT")
    finally:
        db.close()
    return deleted


def assert_exactly_the_older_samples_went(before: Rows, after: Rows, cutoff_ms: int) -> None:
    """Blocks wholly at or after the cutoff are untouched, older ones gone, straddling ones keep the very bytes of their newer samples."""
    for key, (first, last, ts_blob, vals_blob) in before.items():
        if first >= cutoff_ms:
            assert after[key] == before[key]
        elif last < cutoff_ms:
            assert key not in after
        else:
            ts = np.frombuffer(ts_blob, dtype="<i8")
            keep_from = int(np.searchsorted(ts, cutoff_ms, side="left"))
            assert after[key] == (int(ts[keep_from]), last, ts_blob[8 * keep_from :], vals_blob[8 * keep_from :])
    assert set(after) <= set(before)


@pytest.mark.parametrize("batch", [1, 2, 3, 512])
def test_a_prune_deletes_exactly_the_samples_before_the_cutoff_whatever_the_batch(tmp_path, batch):
    path = tmp_path / "h.db"
    written = filled_store(path)
    before = rows_of(path)
    cutoff_ms = T0_MS + 2 * BLOCK_MS + 100 * HOUR_MS + 1  # mid-block, one ms past a grid point
    deleted = pruned(path, cutoff_ms, batch)
    assert deleted == sum(int((ts < cutoff_ms).sum()) for ts in written.values())
    assert_exactly_the_older_samples_went(before, rows_of(path), cutoff_ms)
    assert sum(1 for first, last, *_ in before.values() if first < cutoff_ms <= last) == 7  # each series straddles once


def test_a_sample_at_the_cutoff_is_kept_and_one_a_millisecond_older_is_deleted(tmp_path):
    at_path, past_path = tmp_path / "at.db", tmp_path / "past.db"
    filled_store(at_path, series=1)
    filled_store(past_path, series=1)
    grid_point = T0_MS + 300 * HOUR_MS
    assert pruned(at_path, grid_point, 512) + 1 == pruned(past_path, grid_point + 1, 512)
    first_kept_at = min(first for first, *_ in rows_of(at_path).values())
    first_kept_past = min(first for first, *_ in rows_of(past_path).values())
    assert first_kept_at == grid_point and first_kept_past == grid_point + HOUR_MS


def test_a_block_whose_newest_sample_is_just_before_the_cutoff_goes_whole_and_one_at_the_cutoff_keeps_that_sample(tmp_path):
    whole_path, one_path = tmp_path / "whole.db", tmp_path / "one.db"
    filled_store(whole_path, series=1)
    filled_store(one_path, series=1)
    newest_of_first_block = max(last for (_, block), (_, last, *_) in rows_of(one_path).items() if block == T0_MS // BLOCK_MS)
    pruned(whole_path, newest_of_first_block + 1, 512)
    pruned(one_path, newest_of_first_block, 512)
    assert T0_MS // BLOCK_MS not in {block for _, block in rows_of(whole_path)}
    (kept,) = [row for (_, block), row in rows_of(one_path).items() if block == T0_MS // BLOCK_MS]
    assert kept[:2] == (newest_of_first_block, newest_of_first_block) and len(kept[2]) == 8


def test_a_cutoff_on_a_block_boundary_deletes_the_older_blocks_and_leaves_the_next_untouched(tmp_path):
    path = tmp_path / "h.db"
    written = filled_store(path)
    before = rows_of(path)
    cutoff_ms = T0_MS + 2 * BLOCK_MS
    assert pruned(path, cutoff_ms, 2) == sum(int((ts < cutoff_ms).sum()) for ts in written.values())
    after = rows_of(path)
    assert after == {key: row for key, row in before.items() if row[0] >= cutoff_ms}


def test_the_session_prune_leaves_the_same_store_as_the_batched_deletion(tmp_path):
    by_session, by_batches = tmp_path / "session.db", tmp_path / "batches.db"
    filled_store(by_session)
    filled_store(by_batches)
    cutoff_ms = T0_MS + 2 * BLOCK_MS + 100 * HOUR_MS + 1
    retention_s = 30 * 86400
    with HistoryStore(by_session, retention=retention_s).open() as session:
        deleted = session.prune(cutoff_ms + retention_s * 1000)
    assert deleted == pruned(by_batches, cutoff_ms, 1)
    assert rows_of(by_session) == rows_of(by_batches)


def test_a_damaged_block_older_than_the_cutoff_stops_the_prune_and_changes_nothing(tmp_path):
    path = tmp_path / "h.db"
    filled_store(path, series=2)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE blocks SET ts = substr(ts, 1, 12) WHERE block = ?", (T0_MS // BLOCK_MS,))
    before = rows_of(path)
    with pytest.raises(StoreError, match="damaged"), HistoryStore(path, retention=86400).open(check=False) as session:
        session.prune(T0_MS + 3 * BLOCK_MS + 86400 * 1000)
    assert rows_of(path) == before
