"""A pull into the store takes one chunk at a time: written to the store before the next is asked for;
with ``max_samples_per_query`` a long pull counts the query's series first and cuts its chunks to fit.

A counting proxy in front of a real Prometheus records when each ``query_range`` arrives, and the
store's own SQLite connection records each block it writes (``set_trace_callback``); both go to one
list, so the order of asking and writing is what the test reads, not memory figures.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import pandas as pd

from detector.store.history import HistoryStore
from tests.integration.fault_proxy import FaultProxy, HtmlPage
from tests.integration.synthetic_source import SIGNALS, prometheus_source

SEED = 41
DAY = 86400.0


def recording_store(path: Any, events: list[str]) -> HistoryStore:
    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        connection = sqlite3.connect(*args, **kwargs)
        connection.set_trace_callback(
            lambda sql: events.append("wrote") if sql.lstrip().startswith("INSERT OR REPLACE INTO blocks") else None
        )
        return connection

    return HistoryStore(path, retention=400 * DAY, connect=connect)


def asked_and_wrote(prometheus_url: str, store: HistoryStore, events: list[str], end: pd.Timestamp, **limits: Any) -> Any:
    def on_request(params: dict[str, str]) -> None:
        if "start" in params:  # query_range, not the instant count of a young signal
            events.append("asked")

    with FaultProxy(prometheus_url, {}, on_request=on_request) as proxy:
        return prometheus_source(proxy.url, seed=SEED, store=store, **limits).pull_into_store(SIGNALS[:1], end=end)


def test_a_first_pull_writes_each_chunk_to_the_store_before_it_asks_for_the_next(prometheus, synthetic_history, tmp_path):
    events: list[str] = []
    end = synthetic_history.last + pd.Timedelta(hours=1)
    pulled = asked_and_wrote(
        prometheus.url, recording_store(tmp_path / "h.db", events), events, end, max_points_per_query=1000, concurrency=1
    )
    assert pulled.errors == {}
    asked = [i for i, event in enumerate(events) if event == "asked"]
    assert len(asked) == 5  # 180 days = 4,320 hours in chunks of 1,000
    assert all("wrote" in events[before:after] for before, after in zip(asked, asked[1:], strict=False))
    assert events[-1] == "wrote"


def test_the_chunks_written_one_by_one_read_back_as_the_whole_lookback_pulled_without_a_store(prometheus, synthetic_history, tmp_path):
    end = synthetic_history.last + pd.Timedelta(hours=1)
    store = HistoryStore(tmp_path / "h.db", retention=400 * DAY)
    pulled = prometheus_source(prometheus.url, seed=SEED, store=store, max_points_per_query=700, concurrency=3).pull_into_store(
        SIGNALS, end=end
    )
    assert pulled.errors == {} and pulled.samples > 0
    from_store = prometheus_source(prometheus.url, seed=SEED, store=store).fetch(SIGNALS, end=end)
    direct = prometheus_source(prometheus.url, seed=SEED).fetch(SIGNALS, end=end)
    assert from_store.errors == direct.errors == {}
    for signal in SIGNALS:
        assert from_store.of(signal.name).keys() == direct.of(signal.name).keys()
        for labels, series in direct.of(signal.name).items():
            pd.testing.assert_series_equal(from_store.of(signal.name)[labels], series, check_freq=False)


def requests_of(prometheus_url: str, store: HistoryStore, end: pd.Timestamp, **limits: Any) -> list[dict[str, str]]:
    """The GET parameters the proxy saw during one ``pull_into_store`` of the disk signal."""
    seen: list[dict[str, str]] = []
    with FaultProxy(prometheus_url, {}, on_request=seen.append) as proxy:
        pulled = prometheus_source(proxy.url, seed=SEED, store=store, **limits).pull_into_store(SIGNALS[:1], end=end)
    assert pulled.errors == {}
    return seen


def test_a_sample_budget_that_holds_every_series_for_the_whole_lookback_keeps_one_chunk(prometheus, synthetic_history, tmp_path):
    end = synthetic_history.last + pd.Timedelta(hours=1)
    seen = requests_of(prometheus.url, HistoryStore(tmp_path / "h.db", retention=400 * DAY), end, max_samples_per_query=4 * 4320)
    assert [params["query"] for params in seen] == ["count(sb_disk_used_bytes)", "sb_disk_used_bytes"]


def test_a_sample_budget_one_short_of_every_series_for_the_whole_lookback_cuts_two_chunks(prometheus, synthetic_history, tmp_path):
    end = synthetic_history.last + pd.Timedelta(hours=1)
    seen = requests_of(prometheus.url, HistoryStore(tmp_path / "h.db", retention=400 * DAY), end, max_samples_per_query=4 * 4320 - 1)
    ranges = [params for params in seen if "start" in params]
    assert len(ranges) == 2
    assert max((float(p["end"]) - float(p["start"])) / 3600 + 1 for p in ranges) * 4 <= 4 * 4320 - 1


def test_the_hourly_run_after_a_first_pull_never_counts_series(prometheus, synthetic_history, tmp_path):
    end = synthetic_history.last + pd.Timedelta(hours=1)
    store = HistoryStore(tmp_path / "h.db", retention=400 * DAY)
    requests_of(prometheus.url, store, end - pd.Timedelta(hours=1), max_samples_per_query=1000)
    later = requests_of(prometheus.url, store, end, max_samples_per_query=1000)
    assert [params["query"] for params in later] == ["sb_disk_used_bytes"]


def test_a_failed_series_count_leaves_the_usual_chunks(prometheus, synthetic_history, tmp_path):
    end = synthetic_history.last + pd.Timedelta(hours=1)
    seen: list[dict[str, str]] = []
    with FaultProxy(prometheus.url, {"count(sb_disk_used_bytes)": HtmlPage()}, on_request=seen.append) as proxy:
        pulled = prometheus_source(
            proxy.url, seed=SEED, store=HistoryStore(tmp_path / "h.db", retention=400 * DAY), max_samples_per_query=1000
        ).pull_into_store(SIGNALS[:1], end=end)
    assert pulled.errors == {} and pulled.samples > 0
    assert [params["query"] for params in seen] == ["count(sb_disk_used_bytes)", "sb_disk_used_bytes"]
