"""PrometheusSource when things go wrong: down, killed, slow, overloaded, broken answers, bad config.

Fault servers are ``LoopbackHTTPServer``s on 127.0.0.1 that misbehave first and then forward to the
real Prometheus, so a recovered pull can be compared with a direct one.
"""

from __future__ import annotations

import logging
import random
import shutil

import pandas as pd
import pytest
import requests

from detector.configuration.live_settings import PrometheusSettings
from detector.configuration.schema import Signal
from detector.errors import ConfigError, SourceError, StoreError
from detector.sources.prometheus import PrometheusSource
from detector.sources.prometheus_chunks import step_ms_of
from detector.store.history import HistoryStore, StoreKey
from tests.integration import promstack
from tests.integration.loopback_http import LoopbackHTTPServer, Recorded
from tests.integration.promstack import Traffic
from tests.integration.synthetic_source import SIGNALS, prometheus_source

SEED = 9
DAY = 86400.0


def source(
    url: str, *, sleeps: list[float] | None = None, store: HistoryStore | None = None, traffic: Traffic | None = None, **settings
) -> PrometheusSource:
    return prometheus_source(url, seed=SEED, sleeps=sleeps, store=store, traffic=traffic, **settings)


def forward(prometheus_url: str, request: Recorded) -> tuple[int, dict[str, str], bytes]:
    """Ask the real Prometheus the same question."""
    answer = requests.get(prometheus_url + request.path, params={k: v[0] for k, v in request.params.items()}, timeout=10)
    return answer.status_code, {"Content-Type": "application/json"}, answer.content


def end_of(history) -> pd.Timestamp:
    return history.last + pd.Timedelta(seconds=1)


def test_prometheus_down_at_start_gives_every_signal_an_error_and_stops_retrying_once_one_query_gave_up(synthetic_history):
    sleeps: list[float] = []
    url = f"http://127.0.0.1:{promstack.free_port()}"  # nothing listens there
    result = source(url, sleeps=sleeps, retries=2, concurrency=1).fetch(SIGNALS, end=end_of(synthetic_history))
    assert result.series == {}
    assert set(result.errors) == {s.name for s in SIGNALS}
    for name, error in result.errors.items():
        assert isinstance(error, SourceError)
        assert name in str(error) and "Connection refused" in str(error) and "3 attempts" in str(error)
        assert "Traceback" not in str(error) and "object at 0x" not in str(error)
    assert "not queried, the server is unreachable" in str(result.errors["queues"])
    assert len(sleeps) == 2  # the first signal's retries only: the verdict is shared


def test_prometheus_killed_mid_run_fails_the_unfinished_signals_and_keeps_the_store_usable(
    prometheus_tsdb, prometheus, synthetic_history, tmp_path
):
    tsdb = tmp_path / "tsdb"
    shutil.copytree(prometheus_tsdb, tsdb, ignore=shutil.ignore_patterns("lock", "wal", "chunks_head", "queries.active"))
    server = promstack.start_prometheus(tsdb)
    store = HistoryStore(tmp_path / "history.db", retention=400 * DAY)
    traffic = Traffic()
    # one request at a time, 200 points each: 22 chunks per signal; the server dies after 30 answers
    doomed = source(server.url, store=store, traffic=traffic, concurrency=1, max_points_per_query=200, retries=1)
    doomed.session.hooks["response"].append(lambda response, *a, **k: server.kill() if traffic.requests == 30 else None)
    try:
        result = doomed.fetch(SIGNALS, end=end_of(synthetic_history))
        assert set(result.series) == {"disk"}
        assert set(result.errors) == {"queues", "ratio"}
        assert all("cannot connect" in str(error) for error in result.errors.values())
        with store.open() as session:
            assert session.coverage(StoreKey("disk", "sb_disk_used_bytes", step_ms_of(3600))) is not None
            assert session.coverage(StoreKey("queues", "sb_queue_depth", step_ms_of(3600))) is None
        server = promstack.start_prometheus(tsdb)
        recovered = source(server.url, store=store).fetch(SIGNALS, end=end_of(synthetic_history))
    finally:
        server.stop()
    direct = source(prometheus.url).fetch(SIGNALS, end=end_of(synthetic_history))
    assert recovered.errors == {}
    for name in direct.series:
        for labels, series in direct.of(name).items():
            pd.testing.assert_series_equal(recovered.of(name)[labels], series, check_freq=False)


def test_a_server_slower_than_the_timeout_is_reported_as_a_timeout(synthetic_history):
    def stall(request: Recorded) -> tuple[int, dict[str, str], bytes]:
        server.stopping.wait(5)
        return 200, {}, b"{}"

    with LoopbackHTTPServer(stall) as server:
        result = source(server.url, timeout=0.3, retries=1).fetch(SIGNALS[:1], end=end_of(synthetic_history))
    # had the client waited for the stalled answer, it would have read "{}" and reported a different error
    assert "no answer within the timeout of 0.3 s (after 2 attempts)" in str(result.errors["disk"])
    assert [r.path for r in server.requests] == ["/api/v1/query"] + ["/api/v1/query_range"] * 2  # the series count is tried once


def test_server_errors_are_retried_until_the_answer_arrives(prometheus, synthetic_history):
    failures = {"left": 2}

    def flaky(request: Recorded) -> tuple[int, dict[str, str], bytes]:
        if failures["left"]:
            failures["left"] -= 1
            return 503, {"Content-Type": "text/plain"}, b"overloaded"
        return forward(prometheus.url, request)

    sleeps: list[float] = []
    with LoopbackHTTPServer(flaky) as server:
        # the series count a first pull asks first is tried once (it would take the first failure): not the subject here
        result = source(server.url, sleeps=sleeps, max_samples_per_query=None).fetch(SIGNALS[:1], end=end_of(synthetic_history))
        received = len(server.requests)
    direct = source(prometheus.url).fetch(SIGNALS[:1], end=end_of(synthetic_history))
    assert result.errors == {} and received == 3 and len(sleeps) == 2
    assert result.of("disk").keys() == direct.of("disk").keys()
    for labels, series in direct.of("disk").items():
        pd.testing.assert_series_equal(result.of("disk")[labels], series, check_freq=False)


def test_rate_limiting_waits_as_long_as_retry_after_asks(prometheus, synthetic_history):
    answered = {"count": 0}

    def limited(request: Recorded) -> tuple[int, dict[str, str], bytes]:
        answered["count"] += 1
        if answered["count"] == 1:
            body = b'{"status":"error","errorType":"too_many_requests","error":"per-tenant limit"}'
            return 429, {"Retry-After": "3", "Content-Type": "application/json"}, body
        return forward(prometheus.url, request)

    sleeps: list[float] = []
    with LoopbackHTTPServer(limited) as server:  # no series count first: its one try would take the 429
        result = source(server.url, sleeps=sleeps, max_samples_per_query=None).fetch(SIGNALS[:1], end=end_of(synthetic_history))
    assert result.errors == {} and len(result.of("disk")) == 4
    assert len(sleeps) == 1 and sleeps[0] >= 3.0


def test_malformed_json_fails_only_the_signal_that_got_it(prometheus, synthetic_history):
    def broken_for_ratio(request: Recorded) -> tuple[int, dict[str, str], bytes]:
        if request.params["query"] == ["sb_ratio"]:
            return 200, {"Content-Type": "application/json"}, b'{"status":"success","data":{"resultType":"matrix","result":[{'
        return forward(prometheus.url, request)

    with LoopbackHTTPServer(broken_for_ratio) as server:
        result = source(server.url).fetch(SIGNALS, end=end_of(synthetic_history))
    assert set(result.errors) == {"ratio"} and set(result.series) == {"disk", "queues"}
    assert "ratio" in str(result.errors["ratio"]) and "malformed response" in str(result.errors["ratio"])


def test_a_promql_syntax_error_fails_one_signal_while_the_others_load(prometheus, synthetic_history):
    broken = Signal(name="typo", query="sum by (pvc (sb_disk_used_bytes)", lookback="180d")
    result = source(prometheus.url).fetch((*SIGNALS, broken), end=end_of(synthetic_history))
    assert set(result.errors) == {"typo"} and set(result.series) == {s.name for s in SIGNALS}
    message = str(result.errors["typo"])
    assert "typo" in message and "HTTP 400" in message and "bad_data" in message and "parse error" in message


def test_a_query_matching_nothing_is_an_error_for_that_signal(prometheus, synthetic_history):
    empty = Signal(name="nothing", query='sb_disk_used_bytes{pvc="no-such-claim"}', lookback="180d")
    result = source(prometheus.url).fetch((SIGNALS[0], empty), end=end_of(synthetic_history))
    assert set(result.errors) == {"nothing"} and "matched nothing" in str(result.errors["nothing"])


def test_a_wrong_url_path_is_reported_with_a_hint(prometheus, synthetic_history):
    result = source(prometheus.url + "/prometheus").fetch(SIGNALS[:1], end=end_of(synthetic_history))
    assert "HTTP 404" in str(result.errors["disk"]) and "check prometheus.url" in str(result.errors["disk"])


def test_a_missing_bearer_token_file_is_a_config_error_before_any_request(tmp_path):
    settings = PrometheusSettings(url="http://127.0.0.1:1", bearer_token_file=str(tmp_path / "no-such-token"))
    with pytest.raises(ConfigError) as caught:
        PrometheusSource(settings, store=None)
    assert "prometheus.bearer_token_file" in str(caught.value) and "no-such-token" in str(caught.value)


def test_the_bearer_token_is_sent_but_never_logged_or_reported(synthetic_history, tmp_path, caplog):
    secret = "tok-3f9a7c1e5b"
    token_file = tmp_path / "token"
    token_file.write_text(secret + "\n")

    def unhappy(request: Recorded) -> tuple[int, dict[str, str], bytes]:
        return 503, {}, b"upstream connect error"

    caplog.set_level(logging.DEBUG)
    with LoopbackHTTPServer(unhappy) as server:
        settings = PrometheusSettings(url=server.url, bearer_token_file=str(token_file), retries=2)
        result = PrometheusSource(settings, sleep=lambda s: None, rng=random.Random(SEED)).fetch(SIGNALS[:1], end=end_of(synthetic_history))
        headers = [r.headers.get("Authorization") for r in server.requests]
    assert headers == [f"Bearer {secret}"] * (1 + 3)  # the series count (one try), then the range query and its 2 retries
    assert "HTTP 503" in str(result.errors["disk"])
    assert "retry" in caplog.text
    assert secret not in caplog.text and secret not in str(result.errors["disk"])


def test_a_store_held_by_another_run_fails_the_whole_fetch(prometheus, synthetic_history, tmp_path):
    path = tmp_path / "history.db"
    with HistoryStore(path, retention=400 * DAY).open(), pytest.raises(StoreError, match="locked by another run"):
        source(prometheus.url, store=HistoryStore(path, retention=400 * DAY, lock_timeout=0.2)).fetch(
            SIGNALS, end=end_of(synthetic_history)
        )
