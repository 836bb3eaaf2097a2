"""Holes in the stored history: an empty answer between samples is recorded, re-requested a few at a
time and closed when samples arrive; empty history before a series began or after it stopped is not a hole."""

from __future__ import annotations

import numpy as np
import pytest

from detector.sources.base import RawSeries
from detector.sources.prometheus_chunks import TimeRange
from detector.store.history import HistoryStore, StoreKey
from detector.store.holes import HOLE_CHUNKS_PER_RUN, Hole, SeriesExtent, describe, new_holes, subtract, to_request

H = 3_600_000
DAY = 86_400.0
T0 = 1_772_236_800_000
KEY = StoreKey("disk", "q", H)


def span(first: int, last: int) -> TimeRange:
    return TimeRange(T0 + first * H, T0 + last * H)


def extent(*hours: int, labels: str = "a") -> SeriesExtent:
    ts = np.array([T0 + h * H for h in hours], dtype=np.int64)
    return SeriesExtent(labels, int(ts[0]), int(ts[-1]), ts)


@pytest.mark.parametrize(
    "hours, pulled, hole",
    [
        ((0, 1, 9, 10), span(2, 8), True),  # samples before and after, none inside
        ((0, 1, 5, 9, 10), span(2, 8), False),  # one sample inside
        ((2, 8), span(2, 8), False),  # samples at both ends of the range (inclusive)
        ((9, 10), span(2, 8), False),  # nothing before: the series began later
        ((0, 1), span(2, 8), False),  # nothing after: the series stopped (or this is the newest range)
        ((1, 9), span(2, 8), True),  # one step either side is enough
    ],
)
def test_a_hole_needs_samples_before_and_after_and_none_inside(hours, pulled, hole):
    assert bool(new_holes([pulled], [extent(*hours)])) is hole


def test_subtracting_a_range_leaves_the_grid_points_outside_it():
    assert subtract(span(0, 9), span(3, 5), H) == [span(0, 2), span(6, 9)]
    assert subtract(span(0, 9), span(0, 9), H) == []
    assert subtract(span(0, 9), span(-5, 0), H) == [span(1, 9)]
    assert subtract(span(0, 9), span(10, 12), H) == [span(0, 9)]


def test_holes_are_requested_newest_first_up_to_the_limit_inside_the_window_and_not_twice():
    holes = [Hole(span(10 * i, 10 * i + 4), label) for i in range(6) for label in ("a", "b")]
    window = span(5, 100)
    asked = to_request(holes, window, planned=[span(50, 60)])
    assert asked == [span(40, 44), span(30, 34), span(20, 24), span(10, 14)][:HOLE_CHUNKS_PER_RUN]
    assert to_request(holes, window, planned=[], limit=HOLE_CHUNKS_PER_RUN + 1)[-1] == span(10, 14)
    assert to_request(holes, span(2, 100), planned=[], limit=10)[-1] == span(2, 4)  # clipped to the window
    assert to_request(holes, window, planned=[], limit=0) == []


def test_the_note_counts_ranges_steps_and_series_inside_the_window():
    holes = [Hole(span(10, 14), "a"), Hole(span(10, 14), "b"), Hole(span(30, 31), "a"), Hole(span(-40, -30), "a")]
    text = describe(holes, span(0, 100), H)
    assert text.startswith(
        "2 range(s) of the stored history (7 step(s), the oldest from 2026-02-28T10:00 UTC) came back empty for 2 series"
    )
    assert describe(holes, span(50, 100), H) is None


def write(session, hours_by_series: dict[str, list[int]], pulled: list[TimeRange], coverage: TimeRange) -> None:
    raws = [RawSeries({"pvc": name}, (T0 + np.array(hours) * H) / 1000.0, np.ones(len(hours))) for name, hours in hours_by_series.items()]
    session.write(KEY, raws, coverage, pulled=pulled)


def test_the_store_records_an_empty_chunk_as_a_hole_and_closes_it_when_samples_arrive(tmp_path):
    store = HistoryStore(tmp_path / "h.db", retention=400 * DAY)
    every = list(range(0, 300))
    gappy = [h for h in every if not 100 <= h <= 199]
    chunks = [span(0, 99), span(100, 199), span(200, 299)]
    with store.open() as session:
        write(session, {"a": gappy, "b": every}, chunks, span(0, 299))
        assert session.holes(KEY) == [Hole(span(100, 199), '[["pvc", "a"]]')]
        write(session, {"a": list(range(100, 150))}, [span(100, 149)], span(0, 299))  # half of it arrives
        assert session.holes(KEY) == [Hole(span(150, 199), '[["pvc", "a"]]')]
        write(session, {"b": [150]}, [span(150, 199)], span(0, 299))  # asked again, still empty for a
        assert session.holes(KEY) == [Hole(span(150, 199), '[["pvc", "a"]]')]
        write(session, {"a": [170]}, [span(150, 199)], span(0, 299))  # one sample closes the range
        assert session.holes(KEY) == []


def test_a_hole_inside_one_long_stored_block_is_found_by_looking_inside_the_block(tmp_path):
    store = HistoryStore(tmp_path / "h.db", retention=400 * DAY)
    with store.open() as session:
        write(session, {"a": [0, 1, 2, 7, 8, 9]}, [span(0, 2), span(3, 6), span(7, 9)], span(0, 9))
        assert [h.span for h in session.holes(KEY)] == [span(3, 6)]
        write(session, {"a": [4]}, [span(3, 6)], span(0, 9))
        assert session.holes(KEY) == []


def test_holes_older_than_the_retention_are_forgotten(tmp_path):
    store = HistoryStore(tmp_path / "h.db", retention=100 * 3600)
    with store.open() as session:
        write(session, {"a": [0, 1, 8, 9, 300]}, [span(2, 7)], span(0, 300))
        assert len(session.holes(KEY)) == 1
        session.prune(T0 + 300 * H)
        assert session.holes(KEY) == []


def test_newest_steps_that_came_back_empty_are_not_recorded_as_stored(tmp_path):
    store = HistoryStore(tmp_path / "h.db", retention=400 * DAY)
    with store.open() as session:
        write(session, {"a": list(range(0, 90)), "b": list(range(0, 95))}, [span(0, 99)], span(0, 99))
        assert session.coverage(KEY) == span(0, 94)  # the newest sample received, not the window end
        write(session, {"a": list(range(93, 100))}, [span(93, 99)], span(0, 99))
        assert session.coverage(KEY) == span(0, 99)


def test_without_the_pulled_ranges_the_coverage_is_taken_as_given(tmp_path):
    store = HistoryStore(tmp_path / "h.db", retention=400 * DAY)
    with store.open() as session:
        write(session, {"a": list(range(0, 90))}, [], span(0, 99))
        assert session.coverage(KEY) == span(0, 99)
