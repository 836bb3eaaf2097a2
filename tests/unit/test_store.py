"""The SQLite history store: merge, retention, atomicity, locking and disk problems."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from detector.errors import StoreError
from detector.sources.base import RawSeries
from detector.sources.prometheus_chunks import TimeRange
from detector.store.history import HistoryStore, StoreKey

SEED = 11
HOUR = 3600.0
HOUR_MS = 3_600_000
DAY = 86_400.0
T0 = 1_772_236_800.0  # 2026-02-28T00:00:00Z, on the hourly grid
KEY = StoreKey("pvc_used_bytes", "max by (pvc) (kubelet_volume_stats_used_bytes)", HOUR_MS)
REPO = Path(__file__).resolve().parents[2]


def hourly(start: float, hours: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return start + HOUR * np.arange(hours), rng.normal(100.0, 5.0, hours).cumsum()


def span_of(ts: np.ndarray) -> TimeRange:
    return TimeRange(int(round(ts[0] * 1000)), int(round(ts[-1] * 1000)))


def by_labels(series: list[RawSeries]) -> dict[tuple, RawSeries]:
    return {tuple(sorted(s.labels.items())): s for s in series}


def test_written_samples_read_back_exactly_including_nan(tmp_path):
    ts, vs = hourly(T0, 500)
    vs[17] = np.nan
    store = HistoryStore(tmp_path / "h.db", retention=400 * DAY)
    with store.open() as session:
        written = session.write(KEY, [RawSeries({"pvc": "data-0"}, ts, vs)], span_of(ts))
        back = session.read(KEY, span_of(ts))
    assert written == 500 and len(back) == 1
    assert np.array_equal(back[0].timestamps, ts)
    assert np.array_equal(back[0].values, vs, equal_nan=True)
    assert dict(back[0].labels) == {"pvc": "data-0"}


def test_a_later_write_adds_new_points_and_replaces_overlapping_ones(tmp_path):
    ts, vs = hourly(T0, 300)
    store = HistoryStore(tmp_path / "h.db", retention=400 * DAY)
    with store.open() as session:
        session.write(KEY, [RawSeries({"pvc": "a"}, ts, vs)], span_of(ts))
    newer_ts = T0 + HOUR * np.arange(298, 310)  # two stored hours re-pulled, ten new
    newer_vs = np.arange(12, dtype=float) * 1000.0
    with store.open() as session:
        session.write(KEY, [RawSeries({"pvc": "a"}, newer_ts, newer_vs)], TimeRange(int(T0 * 1000), int(newer_ts[-1] * 1000)))
        back = session.read(KEY, TimeRange(int(T0 * 1000), int(newer_ts[-1] * 1000)))[0]
        coverage = session.coverage(KEY)
    assert np.array_equal(back.timestamps, T0 + HOUR * np.arange(310))
    assert np.array_equal(back.values[:298], vs[:298])
    assert np.array_equal(back.values[298:], newer_vs)
    assert coverage == TimeRange(int(T0 * 1000), int(newer_ts[-1] * 1000))


def test_reads_return_only_the_requested_span(tmp_path):
    ts, vs = hourly(T0, 1000)
    store = HistoryStore(tmp_path / "h.db", retention=400 * DAY)
    with store.open() as session:
        session.write(KEY, [RawSeries({"pvc": "a"}, ts, vs)], span_of(ts))
        back = session.read(KEY, span_of(ts[300:700]))[0]
    assert np.array_equal(back.timestamps, ts[300:700]) and np.array_equal(back.values, vs[300:700])


def test_a_changed_query_or_step_starts_a_separate_history(tmp_path):
    ts, vs = hourly(T0, 50)
    store = HistoryStore(tmp_path / "h.db", retention=400 * DAY)
    changed_query = StoreKey(KEY.signal, KEY.query + " * 2", KEY.step_ms)
    changed_step = StoreKey(KEY.signal, KEY.query, 300_000)
    with store.open() as session:
        session.write(KEY, [RawSeries({"pvc": "a"}, ts, vs)], span_of(ts))
        assert session.read(changed_query, span_of(ts)) == []
        assert session.read(changed_step, span_of(ts)) == []
        assert session.coverage(changed_query) is None


def test_series_of_one_signal_are_kept_apart_by_labels(tmp_path):
    rng = np.random.default_rng(SEED)
    ts = T0 + HOUR * np.arange(100)
    series = [RawSeries({"pvc": f"data-{i}", "namespace": "db"}, ts, rng.normal(size=100)) for i in range(20)]
    store = HistoryStore(tmp_path / "h.db", retention=400 * DAY)
    with store.open() as session:
        session.write(KEY, series, span_of(ts))
        back = by_labels(session.read(KEY, span_of(ts)))
    assert len(back) == 20
    for original in series:
        assert np.array_equal(back[tuple(sorted(original.labels.items()))].values, original.values)


def test_retention_deletes_old_samples_and_moves_the_coverage_start_onto_the_grid(tmp_path):
    ts, vs = hourly(T0, 24 * 60)  # 60 days
    store = HistoryStore(tmp_path / "h.db", retention=30 * DAY + 1800)  # cutoff half an hour off the grid
    now_ms = int(ts[-1] * 1000)
    with store.open() as session:
        session.write(KEY, [RawSeries({"pvc": "a"}, ts, vs)], span_of(ts))
        deleted = session.prune(now_ms)
        back = session.read(KEY, span_of(ts))[0]
        coverage = session.coverage(KEY)
    cutoff_s = (now_ms - (30 * DAY + 1800) * 1000) / 1000
    assert back.timestamps.min() >= cutoff_s
    assert np.array_equal(back.timestamps, ts[ts >= cutoff_s])
    assert deleted == int((ts < cutoff_s).sum())
    assert coverage.start_ms % HOUR_MS == 0 and coverage.start_ms / 1000 >= cutoff_s
    assert coverage.start_ms / 1000 == back.timestamps[0]


def test_history_older_than_the_retention_disappears_entirely(tmp_path):
    ts, vs = hourly(T0, 48)
    store = HistoryStore(tmp_path / "h.db", retention=10 * DAY)
    with store.open() as session:
        session.write(KEY, [RawSeries({"pvc": "gone"}, ts, vs)], span_of(ts))
        session.prune(int((T0 + 365 * DAY) * 1000))
        assert session.read(KEY, TimeRange(0, int(T0 * 1000) + 10**12)) == []
        assert session.coverage(KEY) is None


CRASHING_WRITER = textwrap.dedent("""
    import os, sys
    import numpy as np
    from detector.sources.base import RawSeries
    from detector.sources.prometheus_chunks import TimeRange
    from detector.store.history import HistoryStore, StoreKey

    key = StoreKey(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    ts = float(sys.argv[5]) + 3600.0 * np.arange(24 * 30)

    def series():
        for i in range(40):
            if i == 20:
                os._exit(9)  # killed in the middle of the transaction: no rollback, no cleanup
            yield RawSeries({"pvc": f"new-{i}"}, ts, np.full(ts.size, 1.0))

    with HistoryStore(sys.argv[1], 400 * 86400).open() as session:
        session.write(key, series(), TimeRange(0, int(ts[-1] * 1000)))
""")


def test_a_run_killed_mid_write_leaves_the_previous_history_readable_and_unchanged(tmp_path):
    path = tmp_path / "h.db"
    ts, vs = hourly(T0, 24 * 30)
    store = HistoryStore(path, retention=400 * DAY, lock_timeout=5)
    with store.open() as session:
        session.write(KEY, [RawSeries({"pvc": "old"}, ts, vs)], span_of(ts))
    done = subprocess.run(
        [sys.executable, "-c", CRASHING_WRITER, str(path), KEY.signal, KEY.query, str(KEY.step_ms), str(T0)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 9, done.stderr
    with store.open() as session:
        back = by_labels(session.read(KEY, TimeRange(0, int(ts[-1] * 1000))))
        coverage = session.coverage(KEY)
    assert list(back) == [(("pvc", "old"),)]
    assert np.array_equal(back[(("pvc", "old"),)].values, vs)
    assert coverage == span_of(ts)


def test_a_second_run_gets_a_clear_error_while_the_first_holds_the_store(tmp_path):
    first = HistoryStore(tmp_path / "h.db", retention=400 * DAY)
    second = HistoryStore(tmp_path / "h.db", retention=400 * DAY, lock_timeout=0.3)
    with first.open():
        started = time.monotonic()
        with pytest.raises(StoreError, match="store is locked by another run") as caught, second.open():
            pass
        waited = time.monotonic() - started
    assert waited >= 0.25  # it waited for the lock before giving up
    assert str(tmp_path / "h.db") in str(caught.value) and f"PID {os.getpid()}" in str(caught.value)
    with second.open() as session:  # released after the first run ends
        assert session.coverage(KEY) is None


LOCK_HOLDER = textwrap.dedent("""
    import sys, time
    from detector.store.history import HistoryStore
    with HistoryStore(sys.argv[1], 86400).open():
        print("locked", flush=True)
        time.sleep(120)
""")


def test_the_lock_of_a_killed_run_is_released(tmp_path):
    path = tmp_path / "h.db"
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, str(path)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(StoreError, match="locked"), HistoryStore(path, 86400, lock_timeout=0.1).open():
            pass
    finally:
        holder.kill()
        holder.wait(timeout=10)
        holder.stdout.close()
    with HistoryStore(path, 86400, lock_timeout=2).open() as session:
        assert session.coverage(KEY) is None


def test_a_store_path_below_a_regular_file_is_a_store_error_naming_the_path(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(StoreError) as caught, HistoryStore(blocker / "h.db", 86400).open():
        pass
    assert str(blocker) in str(caught.value)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores permission bits")
def test_a_read_only_directory_is_a_store_error_naming_the_path(tmp_path):
    directory = tmp_path / "ro"
    directory.mkdir()
    directory.chmod(0o555)
    try:
        with pytest.raises(StoreError) as caught, HistoryStore(directory / "h.db", 86400).open():
            pass
        assert str(directory) in str(caught.value)
    finally:
        directory.chmod(0o755)


def test_a_full_disk_is_a_store_error_and_keeps_what_was_stored(tmp_path):
    path = tmp_path / "h.db"
    ts, vs = hourly(T0, 200)
    store = HistoryStore(path, retention=400 * DAY, max_bytes=256 * 1024)
    with store.open() as session:
        session.write(KEY, [RawSeries({"pvc": "small"}, ts, vs)], span_of(ts))
    rng = np.random.default_rng(SEED)
    big = [RawSeries({"pvc": f"big-{i}"}, ts, rng.normal(size=ts.size)) for i in range(200)]
    with pytest.raises(StoreError, match="full") as caught, store.open() as session:
        session.write(KEY, big, span_of(ts))
    assert str(path) in str(caught.value)
    with store.open() as session:
        assert list(by_labels(session.read(KEY, span_of(ts)))) == [(("pvc", "small"),)]


def test_a_file_that_is_not_a_store_is_refused(tmp_path):
    path = tmp_path / "h.db"
    path.write_bytes(b"this is a text file, not SQLite" * 100)
    with pytest.raises(StoreError, match="not a slowburn history store|not a database") as caught, HistoryStore(path, 86400).open():
        pass
    assert str(path) in str(caught.value)


def test_a_hundred_series_of_180_days_are_read_back_whole(tmp_path):
    # how long 1,000 series take: python3 -m benchmarks.timings (store)
    ts = T0 + HOUR * np.arange(180 * 24)
    rng = np.random.default_rng(SEED)
    series = [RawSeries({"pod": f"p{i:04d}"}, ts, rng.normal(size=ts.size)) for i in range(100)]
    store = HistoryStore(tmp_path / "h.db", retention=400 * DAY)
    with store.open() as session:
        session.write(KEY, series, span_of(ts))
        back = by_labels(session.read(KEY, span_of(ts)))
    assert len(back) == 100 and sum(s.values.size for s in back.values()) == 100 * ts.size
    assert np.array_equal(back[(("pod", "p0042"),)].values, series[42].values)
