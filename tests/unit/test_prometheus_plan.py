"""When a pull counts its query's series first, and how the count cuts its chunks."""

from __future__ import annotations

import pandas as pd

from detector.configuration.live_settings import PrometheusSettings
from detector.configuration.schema import Signal
from detector.sources.prometheus_chunks import TimeRange
from detector.sources.prometheus_plan import PROBE_ABOVE_POINTS, SignalPlan, counts_series, fit_to_budget

HOUR_MS = 3_600_000
T0_MS = 1_772_236_800_000  # 2026-02-28T00:00:00Z


def plan_of(points: int) -> SignalPlan:
    span = TimeRange(T0_MS, T0_MS + (points - 1) * HOUR_MS)
    plan = SignalPlan(Signal(name="disk", query="disk_used", lookback="180d"), span, HOUR_MS)  # the window: only what the store lacks
    plan.ranges = [span]
    plan.split(11000, None)
    return plan


def test_a_pull_of_exactly_the_threshold_points_does_not_count_series():
    assert not counts_series(plan_of(PROBE_ABOVE_POINTS), 1_000_000)


def test_a_pull_of_one_point_more_than_the_threshold_counts_series():
    assert counts_series(plan_of(PROBE_ABOVE_POINTS + 1), 1_000_000)


def test_without_a_sample_budget_no_pull_counts_series():
    assert not counts_series(plan_of(4320), None)


def test_a_counted_pull_is_cut_so_no_chunk_holds_more_samples_than_the_budget():
    plan = plan_of(4320)
    fit_to_budget(plan, 1000, 1_000_000, 11000, None)
    assert [chunk.points(HOUR_MS) for chunk in plan.chunks] == [1000, 1000, 1000, 1000, 320]


def test_an_unknown_series_count_leaves_the_chunks_as_they_were():
    plan = plan_of(4320)
    fit_to_budget(plan, None, 1_000_000, 11000, None)
    assert [chunk.points(HOUR_MS) for chunk in plan.chunks] == [4320]


def test_more_series_than_the_budget_still_asks_one_point_per_chunk():
    plan = plan_of(3)
    fit_to_budget(plan, 5_000_000, 1_000_000, 11000, None)
    assert [chunk.points(HOUR_MS) for chunk in plan.chunks] == [1, 1, 1]
    assert pd.Timestamp(plan.chunks[0].start_ms, unit="ms", tz="UTC") == pd.Timestamp("2026-02-28", tz="UTC")


def test_by_default_a_first_pull_of_231_series_over_180_days_hourly_stays_one_answer():
    plan = plan_of(4320)
    fit_to_budget(plan, 231, PrometheusSettings(url="http://p:9090").max_samples_per_query or 0, 11000, None)  # 997,920 samples
    assert [chunk.points(HOUR_MS) for chunk in plan.chunks] == [4320]


def test_by_default_a_first_pull_of_232_series_over_180_days_hourly_is_cut_to_a_million_samples_an_answer():
    plan = plan_of(4320)
    fit_to_budget(plan, 232, PrometheusSettings(url="http://p:9090").max_samples_per_query or 0, 11000, None)  # 1,002,240 samples
    assert [chunk.points(HOUR_MS) for chunk in plan.chunks] == [4310, 10]  # 1,000,000 // 232 = 4310 points an answer


def test_the_sample_cap_can_be_lifted_with_null_or_set_in_the_config():
    assert PrometheusSettings.model_validate({"url": "http://p:9090", "max_samples_per_query": None}).max_samples_per_query is None
    assert PrometheusSettings.model_validate({"url": "http://p:9090", "max_samples_per_query": 5000}).max_samples_per_query == 5000
