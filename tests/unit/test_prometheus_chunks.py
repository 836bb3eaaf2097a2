"""Planning of query_range calls: the window, what the store lacks, and chunks within server limits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from detector.sources.prometheus_chunks import (
    TimeRange,
    format_seconds,
    missing_ranges,
    plan_chunks,
    query_window,
    step_ms_of,
)

SEED = 20240601
HOUR_MS = 3_600_000
DAY = 86_400.0


def grid_points(chunks: list[TimeRange], step_ms: int) -> np.ndarray:
    """Every timestamp the chunks ask for (query_range includes both ends)."""
    return np.concatenate([np.arange(c.start_ms, c.end_ms + 1, step_ms) for c in chunks])


def test_a_180_day_hourly_window_fits_one_default_chunk():
    window = query_window(pd.Timestamp("2026-02-28T00:00:00Z"), 180 * DAY, 3600)
    chunks = plan_chunks(window, HOUR_MS, max_points=11000)
    assert chunks == [window]
    assert window.points(HOUR_MS) == 180 * 24


def test_the_window_holds_only_grid_points_strictly_before_end():
    end = pd.Timestamp("2026-02-28T12:00:00Z")
    window = query_window(end, 2 * 3600, 3600)
    assert pd.Timestamp(window.end_ms, unit="ms", tz="UTC") == pd.Timestamp("2026-02-28T11:00:00Z")
    assert pd.Timestamp(window.start_ms, unit="ms", tz="UTC") == pd.Timestamp("2026-02-28T10:00:00Z")


def test_an_end_between_grid_points_keeps_the_last_point_before_it():
    window = query_window(pd.Timestamp("2026-02-28T12:34:56Z"), 3 * 3600, 3600)
    assert pd.Timestamp(window.end_ms, unit="ms", tz="UTC") == pd.Timestamp("2026-02-28T12:00:00Z")
    assert window.points(HOUR_MS) == 3


def test_the_grid_is_anchored_at_epoch_multiples_even_for_odd_steps():
    step = 7 * 60
    window = query_window(pd.Timestamp("2026-02-28T12:34:56Z"), 2 * DAY, step)
    step_ms = step_ms_of(step)
    assert window.start_ms % step_ms == 0 and window.end_ms % step_ms == 0


def test_a_naive_end_is_read_as_utc():
    aware = query_window(pd.Timestamp("2026-02-28T12:00:00Z"), DAY, 3600)
    naive = query_window(pd.Timestamp("2026-02-28T12:00:00"), DAY, 3600)
    assert aware == naive


def test_a_lookback_shorter_than_one_step_has_no_window():
    assert query_window(pd.Timestamp("2026-02-28T12:30:00Z"), 60, 3600) is None


def test_chunks_respect_the_point_limit_and_never_share_a_sample():
    window = query_window(pd.Timestamp("2026-02-28T00:00:00Z"), 180 * DAY, 3600)
    chunks = plan_chunks(window, HOUR_MS, max_points=1000)
    assert len(chunks) == 5
    assert all(c.points(HOUR_MS) <= 1000 for c in chunks)
    for before, after in zip(chunks, chunks[1:], strict=False):
        assert after.start_ms - before.end_ms == HOUR_MS
    points = grid_points(chunks, HOUR_MS)
    assert np.array_equal(points, np.arange(window.start_ms, window.end_ms + 1, HOUR_MS))


def test_chunks_respect_a_range_limit_like_mimirs_32_days():
    step_ms = step_ms_of(300)
    window = query_window(pd.Timestamp("2026-02-28T00:00:00Z"), 180 * DAY, 300)
    chunks = plan_chunks(window, step_ms, max_points=1_000_000, max_range_seconds=32 * DAY)
    assert all(c.end_ms - c.start_ms <= 32 * DAY * 1000 for c in chunks)
    assert len(chunks) == 6  # 180 / 32 rounded up
    assert np.array_equal(grid_points(chunks, step_ms), np.arange(window.start_ms, window.end_ms + 1, step_ms))


def test_a_range_limit_below_one_step_asks_for_one_point_per_call():
    span = TimeRange(0, 4 * HOUR_MS)
    chunks = plan_chunks(span, HOUR_MS, max_points=11000, max_range_seconds=60)
    assert chunks == [TimeRange(h * HOUR_MS, h * HOUR_MS) for h in range(5)]


def test_random_spans_and_limits_are_covered_exactly_once():
    rng = np.random.default_rng(SEED)
    for _ in range(200):
        step_ms = int(rng.choice([15_000, 60_000, 300_000, HOUR_MS, 7 * 60_000]))
        start = int(rng.integers(0, 10**6)) * step_ms
        span = TimeRange(start, start + int(rng.integers(0, 20_000)) * step_ms)
        max_points = int(rng.integers(1, 12_000))
        max_range = None if rng.random() < 0.5 else float(rng.uniform(1, 40 * DAY))
        chunks = plan_chunks(span, step_ms, max_points, max_range)
        points = grid_points(chunks, step_ms)
        assert np.array_equal(points, np.arange(span.start_ms, span.end_ms + 1, step_ms))
        assert all(c.points(step_ms) <= max_points for c in chunks)
        if max_range is not None:
            assert all(c.end_ms - c.start_ms <= max(max_range * 1000, 0) for c in chunks)


def test_without_stored_history_the_whole_window_is_pulled():
    window = TimeRange(0, 100 * HOUR_MS)
    ranges, coverage = missing_ranges(window, HOUR_MS, None)
    assert ranges == [window] and coverage == window


def test_with_stored_history_only_the_new_hours_and_a_small_overlap_are_pulled():
    stored = TimeRange(0, 100 * HOUR_MS)
    window = TimeRange(5 * HOUR_MS, 105 * HOUR_MS)
    ranges, coverage = missing_ranges(window, HOUR_MS, stored, overlap_steps=2)
    assert ranges == [TimeRange(98 * HOUR_MS, 105 * HOUR_MS)]
    assert coverage == TimeRange(0, 105 * HOUR_MS)


def test_a_window_already_stored_well_before_its_end_needs_no_request():
    stored = TimeRange(0, 100 * HOUR_MS)
    ranges, coverage = missing_ranges(TimeRange(10 * HOUR_MS, 90 * HOUR_MS), HOUR_MS, stored, overlap_steps=2)
    assert ranges == [] and coverage == stored


def test_a_longer_lookback_pulls_the_older_part_the_store_lacks():
    stored = TimeRange(50 * HOUR_MS, 100 * HOUR_MS)
    ranges, coverage = missing_ranges(TimeRange(0, 103 * HOUR_MS), HOUR_MS, stored, overlap_steps=2)
    assert ranges == [TimeRange(0, 49 * HOUR_MS), TimeRange(98 * HOUR_MS, 103 * HOUR_MS)]
    assert coverage == TimeRange(0, 103 * HOUR_MS)


def test_a_window_far_from_the_stored_range_replaces_the_coverage():
    stored = TimeRange(0, 10 * HOUR_MS)
    window = TimeRange(500 * HOUR_MS, 600 * HOUR_MS)
    ranges, coverage = missing_ranges(window, HOUR_MS, stored)
    assert ranges == [window] and coverage == window


def test_pulled_ranges_plus_the_stored_range_cover_every_window_point():
    rng = np.random.default_rng(SEED + 1)
    for _ in range(300):
        a, b = sorted(int(x) for x in rng.integers(0, 300, size=2))
        c, d = sorted(int(x) for x in rng.integers(0, 300, size=2))
        stored, window = TimeRange(a * HOUR_MS, b * HOUR_MS), TimeRange(c * HOUR_MS, d * HOUR_MS)
        ranges, coverage = missing_ranges(window, HOUR_MS, stored, overlap_steps=2)
        pulled = set(grid_points(ranges, HOUR_MS).tolist()) if ranges else set()
        assert len(pulled) == sum(r.points(HOUR_MS) for r in ranges), "ranges overlap"
        have = pulled | set(range(a * HOUR_MS, b * HOUR_MS + 1, HOUR_MS))
        assert set(range(c * HOUR_MS, d * HOUR_MS + 1, HOUR_MS)) <= have
        assert coverage.start_ms <= window.start_ms and coverage.end_ms >= window.end_ms


@pytest.mark.parametrize(("ms", "text"), [(1_717_200_000_000, "1717200000"), (1_500, "1.5"), (3_600_250, "3600.25")])
def test_milliseconds_are_sent_as_decimal_seconds(ms, text):
    assert format_seconds(ms) == text
