"""PrometheusSource against a real Prometheus holding months of backfilled history."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd

from detector.core.series import SeriesSet
from detector.sources.export import ExportSource
from detector.sources.prometheus import PrometheusSource
from detector.sources.prometheus_chunks import OVERLAP_STEPS
from detector.store.history import HistoryStore
from tests.integration import promstack
from tests.integration.promstack import BackfillSeries, Traffic
from tests.integration.replica_backfill import REPLICA_DIR, backfilled_signals
from tests.integration.synthetic_source import SIGNALS, prometheus_source

SEED = 5
DAY = 86400.0


def source(url: str, *, store: HistoryStore | None = None, traffic: Traffic | None = None, **limits) -> PrometheusSource:
    return prometheus_source(url, seed=SEED, store=store, traffic=traffic, **limits)


def expected_series(item: BackfillSeries, end: pd.Timestamp, lookback: float) -> pd.Series:
    """What was backfilled inside ``[end - lookback, end)``, without NaN values."""
    stamps = pd.to_datetime(np.asarray(item.timestamps) * 1e9, utc=True)
    full = pd.Series(np.asarray(item.values, float), index=stamps)
    inside = full[(full.index >= end - pd.Timedelta(seconds=lookback)) & (full.index < end)]
    return inside.dropna()


def assert_same_sets(a: SeriesSet, b: SeriesSet) -> None:
    assert a.series.keys() == b.series.keys()
    for name in a.series:
        assert a.series[name].keys() == b.series[name].keys(), name
        for labels, series in a.series[name].items():
            pd.testing.assert_series_equal(series, b.series[name][labels], check_freq=False)


def test_a_chunked_pull_returns_exactly_the_backfilled_timestamps_and_values(prometheus, synthetic_history):
    end = synthetic_history.last + pd.Timedelta(hours=1)
    result = source(prometheus.url, max_points_per_query=1000).fetch(SIGNALS, end=end)
    assert result.errors == {}
    for signal, metric in zip(SIGNALS, ("sb_disk_used_bytes", "sb_queue_depth", "sb_ratio"), strict=True):
        got = result.of(signal.name)
        backfilled = synthetic_history.of(metric)
        assert len(got) == len(backfilled)
        for item in backfilled:
            series = got[tuple(sorted(item.labels.items()))]  # identity without __name__
            want = expected_series(item, end, signal.lookback)
            assert (series.index[1:] - series.index[:-1] == pd.Timedelta(hours=1)).all()
            assert series.index[0] == want.index[0] and series.index[-1] == want.index[-1]
            present = series.dropna()
            assert np.array_equal(present.index.asi8, want.index.asi8)
            assert np.array_equal(present.to_numpy(), want.to_numpy())  # bit-exact floats


def test_tiny_chunks_and_range_limits_give_the_same_series_as_one_query(prometheus, synthetic_history):
    end = synthetic_history.last + pd.Timedelta(minutes=1)
    whole = source(prometheus.url).fetch(SIGNALS, end=end)
    chunked = source(prometheus.url, max_points_per_query=97, max_range_per_query="5d", concurrency=8).fetch(SIGNALS, end=end)
    assert whole.errors == {} and chunked.errors == {}
    assert_same_sets(whole, chunked)


def test_a_second_run_with_the_store_pulls_only_the_new_hours(prometheus, synthetic_history, tmp_path):
    store = HistoryStore(tmp_path / "history.db", retention=400 * DAY)
    earlier = synthetic_history.last - pd.Timedelta(days=10) + pd.Timedelta(seconds=1)
    now = synthetic_history.last + pd.Timedelta(seconds=1)
    first_traffic, second_traffic = Traffic(), Traffic()
    first = source(prometheus.url, store=store, traffic=first_traffic).fetch(SIGNALS, end=earlier)
    second = source(prometheus.url, store=store, traffic=second_traffic).fetch(SIGNALS, end=now)
    assert first.errors == {} and second.errors == {}
    series_count = len(synthetic_history.series)
    assert second_traffic.requests == len(SIGNALS)
    new_hours = 10 * 24
    assert second_traffic.samples == series_count * (new_hours + OVERLAP_STEPS + 1)
    assert first_traffic.samples > 10 * second_traffic.samples
    assert_same_sets(second, source(prometheus.url).fetch(SIGNALS, end=now))


def test_the_store_keeps_history_that_the_server_no_longer_has(prometheus, synthetic_history, prometheus_tools, tmp_path):
    store = HistoryStore(tmp_path / "history.db", retention=400 * DAY)
    now = synthetic_history.last + pd.Timedelta(seconds=1)
    source(prometheus.url, store=store).fetch(SIGNALS, end=now - pd.Timedelta(days=5))
    cutoff = synthetic_history.last.timestamp() - 30 * DAY  # a server that keeps only 30 days
    recent = [
        BackfillSeries(s.name, s.labels, s.timestamps[s.timestamps >= cutoff], s.values[s.timestamps >= cutoff])
        for s in synthetic_history.series
    ]
    short_tsdb = promstack.backfill([s for s in recent if s.timestamps.size], tmp_path / "short-tsdb")
    with promstack.start_prometheus(short_tsdb) as short_server:
        from_store = source(short_server.url, store=store).fetch(SIGNALS, end=now)
        from_short_server_alone = source(short_server.url).fetch(SIGNALS, end=now)
    assert from_store.errors == {}
    assert_same_sets(from_store, source(prometheus.url).fetch(SIGNALS, end=now))
    disk = next(iter(from_store.of("disk").values()))
    short = next(iter(from_short_server_alone.of("disk").values()))
    assert disk.index[0] < short.index[0] - pd.Timedelta(days=100)
    shutil.rmtree(short_tsdb, ignore_errors=True)


def test_the_shifted_replicas_load_from_prometheus_exactly_as_from_their_files(replica_prometheus, replica_history):
    signals = backfilled_signals(replica_history.config.signals)
    live = source(replica_prometheus.url).fetch(signals, end=replica_history.last + pd.Timedelta(hours=1))
    offline = ExportSource(REPLICA_DIR).fetch(replica_history.config.signals)
    assert live.errors == {}
    shift = pd.Timedelta(seconds=replica_history.shift_seconds)
    span = max(s.index[-1] - s.index[0] for by in live.series.values() for s in by.values())
    assert span >= pd.Timedelta(days=180)
    for name, by_labels in offline.series.items():
        assert live.of(name).keys() == by_labels.keys(), name
        for labels, series in by_labels.items():
            moved = series.set_axis(series.index + shift)
            pd.testing.assert_series_equal(live.of(name)[labels], moved, check_freq=False, obj=f"{name}{labels}")
