"""The instant ``count(query)`` that tells a too-young signal from an absent one: its answer, its
retries and its errors, against a scripted transport; and the skipped state it leads to."""

from __future__ import annotations

import pandas as pd
import pytest
import requests

from detector.configuration.schema import Config
from detector.core.coverage import young_signal
from detector.core.series import SeriesSet
from detector.engine.evaluate import evaluate
from detector.errors import SourceError, status_for_failures
from tests.unit.test_promql_client import client_with

AT_MS = 1_772_236_800_000
VECTOR = {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1772236800, "3"]}]}}
EMPTY = {"status": "success", "data": {"resultType": "vector", "result": []}}


def test_the_count_of_series_now_is_read_from_the_instant_answer_and_the_query_is_wrapped_in_count():
    client, adapter = client_with([(200, VECTOR, {})])
    assert client.series_count("up{job='api'}", AT_MS, signal="up") == 3
    (sent,) = adapter.requests
    assert sent.path_url.startswith("/api/v1/query?") and "count%28up" in sent.path_url and sent.path_url.endswith("&time=1772236800")


def test_an_empty_vector_means_no_series_now():
    client, _ = client_with([(200, EMPTY, {})])
    assert client.series_count("up", AT_MS - 1, signal="up") == 0


def test_a_503_is_retried_like_a_range_query_and_then_answered():
    sleeps: list[float] = []
    client, adapter = client_with([(503, b"busy", {}), (200, VECTOR, {})], sleeps=sleeps)
    assert client.series_count("up", AT_MS, signal="up") == 3 and len(adapter.requests) == 2 and len(sleeps) == 1


@pytest.mark.parametrize("body", [b"<html>proxy</html>", {"status": "success", "data": {"result": [{"value": "x"}]}}])
def test_a_malformed_instant_answer_is_a_source_error_naming_the_signal(body):
    client, _ = client_with([(200, body, {})], retries=0)
    with pytest.raises(SourceError, match=r"signal up: malformed response to an instant query"):
        client.series_count("up", AT_MS, signal="up")


def test_an_unreachable_server_is_a_source_error_after_the_retries():
    client, adapter = client_with([requests.ConnectionError("refused")], retries=1)
    with pytest.raises(SourceError, match=r"connection lost: refused \(after 2 attempts\)"):
        client.series_count("up", AT_MS, signal="up")
    assert len(adapter.requests) == 2


def test_a_young_signal_is_skipped_with_the_day_it_becomes_judgeable_and_no_error():
    config = Config.model_validate({"signals": [{"name": "new", "query": "new_metric", "lookback": "30d"}]})
    at = pd.Timestamp("2026-02-28T00:27:00Z")
    ready = pd.Timestamp("2026-03-21T01:00:00Z")
    data = SeriesSet(notes=[young_signal("new", 2, ready, 3600.0, "http://prom signal new")])
    evaluation = evaluate(config, data, at)
    (status,) = evaluation.coverage
    assert status.state == "skipped" and status.judgeable_from == ready
    assert status.reason == "too young: 2 series have samples but none on the 1 h grid yet; judged from 2026-03-21T01:00:00Z"
    assert status.to_dict()["judgeable_from"] == "2026-03-21T01:00:00Z"
    assert status_for_failures(evaluation.errors, 1) == 0
