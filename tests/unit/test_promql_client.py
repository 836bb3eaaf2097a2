"""Retries, backoff and error messages of one query_range call, against a scripted fake transport.

No network and no real sleeps: the session's adapter answers from a script and the sleeper records.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timezone
from email.utils import format_datetime

import pytest
import requests
from requests.adapters import HTTPAdapter

from detector.errors import SourceError
from detector.sources.prometheus_chunks import TimeRange
from detector.sources.promql_client import PromQLClient, safe_url
from detector.sources.retry_policy import RetryPolicy, parse_retry_after

SEED = 7
NOW = 1_772_236_800.0  # 2026-02-28T00:00:00Z
SPAN = TimeRange(1_772_150_400_000, 1_772_157_600_000)
HOUR_MS = 3_600_000
OK_BODY = {
    "status": "success",
    "data": {
        "resultType": "matrix",
        "result": [
            {"metric": {"__name__": "up", "job": "api"}, "values": [[1772150400, "1"], [1772154000, "0.5"], [1772157600, "NaN"]]},
        ],
    },
}


class ScriptedAdapter(HTTPAdapter):
    """Answers each request with the next scripted item: an exception to raise or (status, body, headers)."""

    def __init__(self, script: list) -> None:
        super().__init__()
        self.script = list(script)
        self.requests: list[requests.PreparedRequest] = []

    def send(self, request, **kwargs):  # noqa: D401 - requests' adapter signature
        self.requests.append(request)
        item = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(item, BaseException):
            raise item
        status, body, headers = item
        response = requests.Response()
        response.status_code = status
        response._content = body if isinstance(body, bytes) else json.dumps(body).encode()
        response.headers.update(headers)
        response.url = request.url
        response.request = request
        return response


def client_with(script: list, *, retries: int = 3, sleeps: list | None = None, seed: int = SEED) -> tuple[PromQLClient, ScriptedAdapter]:
    adapter = ScriptedAdapter(script)
    session = requests.Session()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    client = PromQLClient(
        "http://prom.example:9090",
        session,
        timeout=5.0,
        retry=RetryPolicy(retries=retries, base_delay=0.5, max_delay=10.0),
        sleep=(sleeps.append if sleeps is not None else (lambda s: None)),
        rng=random.Random(seed),
        now=lambda: NOW,
    )
    return client, adapter


def error_body(kind: str, message: str) -> dict:
    return {"status": "error", "errorType": kind, "error": message}


def test_a_successful_answer_becomes_raw_series_with_float_values():
    client, adapter = client_with([(200, OK_BODY, {})])
    series, notes = client.query_range("up", SPAN, HOUR_MS, signal="up_ratio")
    assert len(series) == 1 and dict(series[0].labels) == {"__name__": "up", "job": "api"}
    assert series[0].timestamps.tolist() == [1772150400.0, 1772154000.0, 1772157600.0]
    assert series[0].values[:2].tolist() == [1.0, 0.5]
    sent = requests.utils.urlparse(adapter.requests[0].url)
    assert sent.path == "/api/v1/query_range"
    assert "start=1772150400" in sent.query and "end=1772157600" in sent.query and "step=3600" in sent.query


def test_server_errors_are_retried_with_growing_jittered_waits_then_succeed():
    sleeps: list[float] = []
    client, adapter = client_with(
        [(503, b"busy", {}), (502, b"bad gateway", {}), (500, error_body("internal", "x"), {}), (200, OK_BODY, {})], sleeps=sleeps
    )
    series, _ = client.query_range("up", SPAN, HOUR_MS, signal="s")
    assert len(series) == 1 and len(adapter.requests) == 4
    assert 0.25 <= sleeps[0] <= 0.5 and 0.5 <= sleeps[1] <= 1.0 and 1.0 <= sleeps[2] <= 2.0


def test_the_same_seed_gives_the_same_waits():
    script = [(503, b"", {})] * 3 + [(200, OK_BODY, {})]
    first: list[float] = []
    second: list[float] = []
    client_with(script, sleeps=first)[0].query_range("up", SPAN, HOUR_MS, signal="s")
    client_with(script, sleeps=second)[0].query_range("up", SPAN, HOUR_MS, signal="s")
    assert first == second and len(set(first)) == 3


def test_backoff_never_exceeds_the_cap():
    policy = RetryPolicy(retries=20, base_delay=1.0, max_delay=4.0)
    rng = random.Random(SEED)
    waits = [policy.backoff(attempt, rng) for attempt in range(20)]
    assert max(waits) <= 4.0 and min(waits[5:]) >= 2.0


def test_rate_limiting_honours_retry_after_in_seconds():
    sleeps: list[float] = []
    client, _ = client_with([(429, error_body("too_many", "slow down"), {"Retry-After": "7"}), (200, OK_BODY, {})], sleeps=sleeps)
    client.query_range("up", SPAN, HOUR_MS, signal="s")
    assert sleeps and sleeps[0] >= 7.0


def test_retry_after_as_an_http_date_is_read_against_the_injected_clock():
    when = format_datetime(datetime.fromtimestamp(NOW + 12, tz=timezone.utc), usegmt=True)
    assert parse_retry_after(when, NOW) == pytest.approx(12.0)
    assert parse_retry_after("soon", NOW) is None


def test_a_retry_after_beyond_the_limit_fails_at_once_with_the_server_message():
    client, adapter = client_with([(429, error_body("too_many", "quota exhausted"), {"Retry-After": "86400"})])
    with pytest.raises(SourceError, match="HTTP 429.*quota exhausted"):
        client.query_range("up", SPAN, HOUR_MS, signal="s")
    assert len(adapter.requests) == 1


def test_a_promql_error_is_not_retried_and_names_the_signal_and_the_server_message():
    client, adapter = client_with([(400, error_body("bad_data", "1:5: parse error: unclosed left parenthesis"), {})])
    with pytest.raises(SourceError) as caught:
        client.query_range("sum(", SPAN, HOUR_MS, signal="webhook_p99")
    assert len(adapter.requests) == 1
    text = str(caught.value)
    assert "webhook_p99" in text and "bad_data" in text and "unclosed left parenthesis" in text


def test_too_many_points_suggests_lowering_the_limit():
    client, _ = client_with([(400, error_body("bad_data", "exceeded maximum resolution of 11,000 points per timeseries"), {})])
    with pytest.raises(SourceError, match="max_points_per_query"):
        client.query_range("up", SPAN, HOUR_MS, signal="s")


def test_connection_errors_are_retried_then_reported_with_the_number_of_attempts():
    sleeps: list[float] = []
    client, adapter = client_with([requests.exceptions.ConnectionError("Connection refused")], retries=2, sleeps=sleeps)
    with pytest.raises(SourceError, match="cannot connect: Connection refused.*3 attempts"):
        client.query_range("up", SPAN, HOUR_MS, signal="s")
    assert len(adapter.requests) == 3 and len(sleeps) == 2


def test_a_timeout_is_retried_and_reported_as_a_timeout():
    client, adapter = client_with([requests.exceptions.ReadTimeout("read timed out"), (200, OK_BODY, {})])
    series, _ = client.query_range("up", SPAN, HOUR_MS, signal="s")
    assert len(series) == 1 and len(adapter.requests) == 2
    client, _ = client_with([requests.exceptions.ReadTimeout("read timed out")], retries=1)
    with pytest.raises(SourceError, match="no answer within the timeout of 5 s"):
        client.query_range("up", SPAN, HOUR_MS, signal="s")


def test_a_truncated_body_is_retried_like_a_server_error_then_fails_with_a_clear_message():
    sleeps: list[float] = []
    client, adapter = client_with([(200, b'{"status": "success", "data": {', {})], retries=2, sleeps=sleeps)
    with pytest.raises(SourceError, match=r"malformed response: incomplete JSON \(the answer was cut off\) \(after 3 attempts\)"):
        client.query_range("up", SPAN, HOUR_MS, signal="s")
    assert len(adapter.requests) == 3 and len(sleeps) == 2


def test_an_html_page_with_status_200_is_retried_and_the_good_answer_after_it_is_used():
    page = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    client, adapter = client_with([(200, page, {"Content-Type": "text/html"}), (200, OK_BODY, {})])
    series, _ = client.query_range("up", SPAN, HOUR_MS, signal="s")
    assert len(adapter.requests) == 2 and len(series) == 1


def test_an_html_page_that_never_goes_away_is_named_in_the_error():
    page = b"<html><title>Sign in</title></html>"
    client, adapter = client_with([(200, page, {})], retries=1)
    with pytest.raises(SourceError, match="an HTML page instead of JSON: <html><title>Sign in"):
        client.query_range("up", SPAN, HOUR_MS, signal="s")
    assert len(adapter.requests) == 2


def test_a_non_matrix_answer_is_a_malformed_response_and_not_retried():
    client, adapter = client_with([(200, {"status": "success", "data": {"resultType": "vector", "result": []}}, {})])
    with pytest.raises(SourceError, match="malformed response.*matrix"):
        client.query_range("up", SPAN, HOUR_MS, signal="s")
    assert len(adapter.requests) == 1


def test_a_wrong_path_prefix_hints_at_the_url():
    client, _ = client_with([(404, b"404 page not found", {})])
    with pytest.raises(SourceError, match="HTTP 404.*check prometheus.url"):
        client.query_range("up", SPAN, HOUR_MS, signal="s")


def test_server_warnings_become_notes():
    body = dict(OK_BODY, warnings=["partial response: store gateway down"])
    client, _ = client_with([(200, body, {})])
    _, notes = client.query_range("up", SPAN, HOUR_MS, signal="s")
    assert [n.message for n in notes] == ["server warning: partial response: store gateway down"]


def test_credentials_in_the_url_never_reach_messages():
    assert safe_url("https://alice:s3cret@prom.example:9090/prefix") == "https://prom.example:9090/prefix"
    adapter = ScriptedAdapter([(400, error_body("bad_data", "nope"), {})])
    session = requests.Session()
    session.mount("https://", adapter)
    client = PromQLClient(
        "https://alice:s3cret@prom.example:9090",
        session,
        timeout=1.0,
        retry=RetryPolicy(retries=0),
        sleep=lambda s: None,
        rng=random.Random(SEED),
        now=lambda: NOW,
    )
    with pytest.raises(SourceError) as caught:
        client.query_range("up", SPAN, HOUR_MS, signal="s")
    assert "s3cret" not in str(caught.value) and "prom.example:9090" in str(caught.value)


def deadline_client(script: list, query_deadline: float, clock: list) -> tuple[PromQLClient, ScriptedAdapter]:
    """A client whose sleeps advance the injected monotonic clock."""
    adapter = ScriptedAdapter(script)
    session = requests.Session()
    session.mount("http://", adapter)

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    client = PromQLClient(
        "http://prom.example:9090",
        session,
        timeout=5.0,
        retry=RetryPolicy(retries=5, base_delay=1.0, max_delay=1.0),
        sleep=sleep,
        rng=random.Random(SEED),
        now=lambda: NOW,
        query_deadline=query_deadline,
        monotonic=lambda: clock[0],
    )
    return client, adapter


def test_retries_stop_when_the_next_wait_would_pass_the_query_deadline():
    clock = [0.0]
    client, adapter = deadline_client([(503, b"overloaded", {})], query_deadline=2.5, clock=clock)
    with pytest.raises(
        SourceError, match=r"HTTP 503: overloaded \(after \d attempt\(s\); query deadline of 2.5 s passed \(prometheus.query_deadline\)\)"
    ):
        client.query_range("up", SPAN, HOUR_MS, signal="s")
    assert 1 < len(adapter.requests) < 6 and clock[0] < 2.5


def test_retries_within_the_query_deadline_reach_the_good_answer():
    clock = [0.0]
    client, adapter = deadline_client(
        [(503, b"overloaded", {}), (503, b"overloaded", {}), (200, OK_BODY, {})], query_deadline=30, clock=clock
    )
    series, _ = client.query_range("up", SPAN, HOUR_MS, signal="s")
    assert len(series) == 1 and len(adapter.requests) == 3


def test_a_run_deadline_earlier_than_the_query_deadline_wins():
    from detector.sources.promql_client import Deadline

    clock = [0.0]
    client, adapter = deadline_client([(200, OK_BODY, {})], query_deadline=30, clock=clock)
    clock[0] = 10.0
    with pytest.raises(SourceError, match="run deadline passed"):
        client.query_range("up", SPAN, HOUR_MS, signal="s", until=Deadline(10.0, "run deadline passed"))
    assert adapter.requests == []


def test_once_one_query_gave_up_connecting_the_others_fail_without_a_request():
    from detector.sources.query_deadline import Reachability

    reach = Reachability()
    client, adapter = client_with(
        [requests.exceptions.ConnectionError("Failed to establish a new connection: [Errno 111] Connection refused")], retries=1
    )
    with pytest.raises(SourceError, match="cannot connect: Connection refused"):
        client.query_range("up", SPAN, HOUR_MS, signal="first", reach=reach)
    asked = len(adapter.requests)
    with pytest.raises(SourceError, match="signal second: not queried, the server is unreachable: cannot connect: Connection refused"):
        client.query_range("up", SPAN, HOUR_MS, signal="second", reach=reach)
    assert asked == 2 and len(adapter.requests) == asked
