"""The store's chunk-by-chunk write path: one signal's chunks, one transaction, kept or rolled back whole."""

from __future__ import annotations

import numpy as np
import pytest

from detector.sources.base import RawSeries
from detector.sources.prometheus_chunks import TimeRange
from detector.store.history import HistoryStore, StoreKey

SEED = 23
HOUR = 3600.0
HOUR_MS = 3_600_000
T0 = 1_772_236_800.0  # 2026-02-28T00:00:00Z, on the hourly grid
KEY = StoreKey("queue_depth", "sum by (queue) (queue_depth)", HOUR_MS)
HOURS = 1000  # not a multiple of the 256-step block: chunk borders fall inside blocks


def fleet(series: int = 3) -> list[RawSeries]:
    rng = np.random.default_rng(SEED)
    ts = T0 + HOUR * np.arange(HOURS)
    return [RawSeries({"queue": f"q{i}"}, ts, rng.normal(50.0, 9.0, HOURS).cumsum(), "test") for i in range(series)]


def in_chunks(whole: list[RawSeries], points: int) -> list[list[RawSeries]]:
    return [
        [RawSeries(s.labels, s.timestamps[at : at + points], s.values[at : at + points], s.where) for s in whole]
        for at in range(0, HOURS, points)
    ]


def everything() -> TimeRange:
    return TimeRange(int(T0 * 1000), int((T0 + HOUR * (HOURS - 1)) * 1000))


def stored(store: HistoryStore) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    with store.open() as session:
        return {s.labels["queue"]: (s.timestamps, s.values) for s in session.read(KEY, everything())}


def test_chunks_added_one_by_one_store_exactly_what_one_write_stores(tmp_path):
    whole = fleet()
    at_once, by_chunk = HistoryStore(tmp_path / "a.db", retention=400 * 86400), HistoryStore(tmp_path / "b.db", retention=400 * 86400)
    with at_once.open() as session:
        session.write(KEY, whole, everything())
    with by_chunk.open() as session, session.begin(KEY) as writer:
        for chunk in in_chunks(whole, 97):
            writer.add(chunk)
        writer.finish(everything())
    assert writer.samples == 3 * HOURS and writer.series == 3  # 11 chunks of the same 3 series
    a, b = stored(at_once), stored(by_chunk)
    assert a.keys() == b.keys() == {"q0", "q1", "q2"}
    for queue in a:
        assert np.array_equal(a[queue][0], b[queue][0]) and np.array_equal(a[queue][1], b[queue][1])
    with by_chunk.open() as session:
        assert session.coverage(KEY) == everything()


def test_a_discarded_signal_leaves_the_store_as_it_was(tmp_path):
    store = HistoryStore(tmp_path / "h.db", retention=400 * 86400)
    first, rest = in_chunks(fleet(), 500)
    with store.open() as session:
        session.write(KEY, first, TimeRange(int(T0 * 1000), int((T0 + HOUR * 499) * 1000)))
    with store.open() as session, session.begin(KEY) as writer:
        writer.add(rest)
        writer.discard()  # a later chunk failed
    kept = stored(store)
    assert {queue: ts.size for queue, (ts, _) in kept.items()} == {"q0": 500, "q1": 500, "q2": 500}
    with store.open() as session:
        assert session.coverage(KEY) == TimeRange(int(T0 * 1000), int((T0 + HOUR * 499) * 1000))


def test_an_error_while_a_signal_is_written_rolls_all_of_its_chunks_back(tmp_path):
    store = HistoryStore(tmp_path / "h.db", retention=400 * 86400)
    chunks = in_chunks(fleet(), 250)
    with pytest.raises(KeyboardInterrupt), store.open() as session, session.begin(KEY) as writer:
        writer.add(chunks[0])
        writer.add(chunks[1])
        raise KeyboardInterrupt  # Ctrl-C between two chunks
    assert stored(store) == {}
    with store.open() as session:
        assert session.coverage(KEY) is None
