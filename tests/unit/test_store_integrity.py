"""A damaged history store is refused with exit 8 and the advice of what to move away, never analysed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from detector.errors import ExitStatus, StoreError
from detector.sources.base import RawSeries
from detector.sources.prometheus_chunks import TimeRange
from detector.store.blocks import block_problem, encode
from detector.store.history import HistoryStore, StoreKey

HOUR = 3600.0
DAY = 86_400.0
T0 = 1_772_236_800.0
KEY = StoreKey("disk", "sb_disk_used_bytes", 3_600_000)
TS = T0 + HOUR * np.arange(2000)
SPAN = TimeRange(int(TS[0] * 1000), int(TS[-1] * 1000))


def filled(path: Path) -> HistoryStore:
    store = HistoryStore(path, retention=400 * DAY)
    with store.open() as session:
        session.write(KEY, [RawSeries({"pvc": f"data-{i}"}, TS, np.arange(TS.size) + i * 1.0) for i in range(20)], SPAN)
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return store


def overwrite_page(path: Path, table: str, data: bytes, offset: int = 8) -> None:
    connection = sqlite3.connect(path)
    root = connection.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    connection.close()
    with open(path, "r+b") as handle:
        handle.seek((root - 1) * 4096 + offset)
        handle.write(data)


def test_a_store_sqlite_finds_malformed_is_refused_on_open_although_it_can_still_be_read(tmp_path):
    path = tmp_path / "h.db"
    filled(path)
    overwrite_page(path, "blocks_by_last", b"\x07" * 64)
    with HistoryStore(path, 400 * DAY).open(check=False) as session:
        assert len(session.read(KEY, SPAN)) == 20  # what the old code analysed
    with pytest.raises(StoreError) as caught, HistoryStore(path, 400 * DAY).open():
        pass
    message = str(caught.value)
    assert caught.value.exit_status == ExitStatus.STORE and "\n" not in message
    assert message.startswith(f"{path}: the history store is damaged (SQLite quick_check: On tree page")
    assert "move h.db and any h.db-wal and h.db-shm beside it away" in message


def test_a_healthy_store_is_checked_on_the_first_open_only_and_again_when_asked(tmp_path, monkeypatch):
    path = tmp_path / "h.db"
    store = filled(path)
    checks = []
    monkeypatch.setattr("detector.store.history.quick_check", lambda connection, where: checks.append(where))
    store = HistoryStore(path, 400 * DAY)
    for _ in range(3):
        with store.open():
            pass
    assert checks == [path]
    store.check_integrity()  # serve's scheduled check
    assert checks == [path, path]


def test_damage_found_by_a_scheduled_check_is_a_store_error(tmp_path):
    path = tmp_path / "h.db"
    store = filled(path)
    with store.open():
        pass
    overwrite_page(path, "blocks_by_last", b"\x07" * 64)
    with pytest.raises(StoreError, match="damaged"):
        store.check_integrity()


def test_a_block_whose_samples_are_garbage_is_refused_when_read(tmp_path):
    path = tmp_path / "h.db"
    filled(path)
    connection = sqlite3.connect(path)
    connection.execute("UPDATE blocks SET ts = ? WHERE block = (SELECT min(block) FROM blocks)", (np.random.default_rng(3).bytes(2048),))
    connection.commit()
    connection.close()
    with (
        pytest.raises(StoreError, match="damaged \\(a block of samples is unreadable"),
        HistoryStore(path, 400 * DAY).open() as session,
    ):  # quick_check cannot see inside a value
        session.read(KEY, SPAN)


@pytest.mark.parametrize(
    "ts, vals, first, last, problem",
    [
        (np.arange(3), np.zeros(3), 0, 2, None),
        (np.arange(1), np.zeros(1), 0, 0, None),
        (np.arange(3), np.zeros(2), None, None, "24 bytes of timestamps and 16 bytes of values"),
        (np.arange(0), np.zeros(0), None, None, "0 bytes"),
        (np.array([0, 2, 1]), np.zeros(3), None, None, "out of order"),
        (np.array([0, 1, 1]), np.zeros(3), None, None, "out of order"),
        (np.arange(3), np.zeros(3), 0, 3, "timestamps 0..2 where the row says 0..3"),
    ],
)
def test_a_block_is_accepted_only_in_the_shape_encode_writes(ts, vals, first, last, problem):
    ts_blob, vals_blob = encode(ts, vals)
    found = block_problem(ts_blob, vals_blob, first, last)
    assert (found is None) if problem is None else (problem in found)


def test_blobs_of_an_odd_length_are_not_a_block():
    assert "7 bytes" in block_problem(b"\x00" * 7, b"\x00" * 7)
    assert "expected bytes" in block_problem("text", b"")


def test_a_long_lived_store_checks_itself_again_once_a_day_not_before(tmp_path, monkeypatch):
    path = tmp_path / "h.db"
    filled(path)
    checks = []
    monkeypatch.setattr("detector.store.history.quick_check", lambda connection, where: checks.append(where))
    now = [1000.0]
    store = HistoryStore(path, 400 * DAY, clock=lambda: now[0])  # serve keeps one store for its lifetime
    with store.open():
        pass
    now[0] += DAY - 1
    with store.open():
        pass
    assert len(checks) == 1
    now[0] += 1  # a day after the last check
    with store.open():
        pass
    assert len(checks) == 2
