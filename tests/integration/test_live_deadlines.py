"""A slow, cut-off or disguised answer never wedges a run: deadlines per query and per run, retries
for 200 answers that are not JSON. A loopback proxy in front of the real Prometheus misbehaves on
one query; the others are answered by Prometheus itself."""

from __future__ import annotations

import threading

import pandas as pd
import pytest

from tests.integration.fault_proxy import FaultProxy, HtmlPage, Trickle, TrickleHeaders, Truncate
from tests.integration.promstack import missing_binaries
from tests.integration.synthetic_source import SIGNALS, prometheus_source

pytestmark = [pytest.mark.integration, pytest.mark.skipif(bool(missing_binaries()), reason="Prometheus tools are not installed")]
SEED = 5
HANG_GUARD = 60.0  # seconds: only stops a hang, never a timing assertion


def fetch_in_thread(source, signals, end):
    """Fetch on a thread; fail the test (instead of hanging it) when the fetch never returns."""
    box = {}
    thread = threading.Thread(target=lambda: box.setdefault("result", source.fetch(signals, end=end)), daemon=True)
    thread.start()
    thread.join(HANG_GUARD)
    assert "result" in box, "the fetch never returned: a trickling server wedged the run"
    return box["result"]


def end_of(history) -> pd.Timestamp:
    return history.last + pd.Timedelta(seconds=1)


def assert_same_series(result, direct, name):
    assert result.of(name).keys() == direct.of(name).keys()
    for labels, series in direct.of(name).items():
        pd.testing.assert_series_equal(result.of(name)[labels], series, check_freq=False)


def test_a_trickling_answer_fails_its_signal_at_the_query_deadline_and_the_others_load(prometheus, synthetic_history):
    with FaultProxy(prometheus.url, {"sb_ratio": Trickle(interval=0.1)}) as proxy:
        source = prometheus_source(proxy.url, seed=SEED, timeout=5, query_deadline=1.5, retries=0)
        result = fetch_in_thread(source, SIGNALS, end_of(synthetic_history))
    direct = prometheus_source(prometheus.url, seed=SEED).fetch(SIGNALS, end=end_of(synthetic_history))
    assert set(result.errors) == {"ratio"}
    assert "query deadline of 1.5 s passed (prometheus.query_deadline)" in str(result.errors["ratio"])
    for name in ("disk", "queues"):
        assert_same_series(result, direct, name)


def test_trickled_headers_are_cut_at_the_query_deadline_too_and_the_query_thread_ends(prometheus, synthetic_history):
    import threading as threads

    with FaultProxy(prometheus.url, {"sb_ratio": TrickleHeaders(interval=1.0)}) as proxy:
        source = prometheus_source(proxy.url, seed=SEED, timeout=5, query_deadline=1.5, retries=0)
        result = fetch_in_thread(source, SIGNALS, end_of(synthetic_history))
        assert not [t for t in threads.enumerate() if t.name.startswith("prometheus-")], "a query thread outlived its deadline"
    assert set(result.errors) == {"ratio"} and set(result.series) == {"disk", "queues"}
    assert "query deadline of 1.5 s passed (prometheus.query_deadline)" in str(result.errors["ratio"])


def test_a_run_past_its_deadline_keeps_the_signals_it_has_and_fails_the_rest(prometheus, synthetic_history):
    with FaultProxy(prometheus.url, {"sb_queue_depth": Trickle(interval=0.1)}) as proxy:
        source = prometheus_source(proxy.url, seed=SEED, timeout=5, query_deadline=600, retries=0)
        source.run_deadline = 2.0
        result = fetch_in_thread(source, SIGNALS, end_of(synthetic_history))
    assert set(result.errors) == {"queues"} and set(result.series) == {"disk", "ratio"}
    assert "run deadline of 2 s passed (schedule.run_deadline)" in str(result.errors["queues"])


def test_an_answer_that_arrives_before_the_deadline_is_used(prometheus, synthetic_history):
    source = prometheus_source(prometheus.url, seed=SEED, query_deadline=30)
    source.run_deadline = 60.0
    result = fetch_in_thread(source, SIGNALS, end_of(synthetic_history))
    assert result.errors == {} and set(result.series) == {s.name for s in SIGNALS}


@pytest.mark.parametrize("fault", [Truncate(times=2), HtmlPage(times=2)], ids=["truncated body", "html page"])
def test_a_cut_off_or_html_answer_is_retried_and_the_good_answer_after_it_is_used(prometheus, synthetic_history, fault):
    sleeps: list[float] = []
    with FaultProxy(prometheus.url, {"sb_disk_used_bytes": fault}) as proxy:
        result = prometheus_source(proxy.url, seed=SEED, sleeps=sleeps, retries=3).fetch(SIGNALS[:1], end=end_of(synthetic_history))
        asked = proxy.seen["sb_disk_used_bytes"]
    direct = prometheus_source(prometheus.url, seed=SEED).fetch(SIGNALS[:1], end=end_of(synthetic_history))
    assert result.errors == {} and asked == 3 and len(sleeps) == 2
    assert_same_series(result, direct, "disk")


@pytest.mark.parametrize(
    "fault, message",
    [
        (Truncate(times=99), "malformed response: incomplete JSON (the answer was cut off) (after 3 attempts)"),
        (HtmlPage(times=99), "malformed response: an HTML page instead of JSON: <html><head><title>502 Bad Gateway"),
    ],
    ids=["truncated body", "html page"],
)
def test_an_answer_that_stays_broken_fails_its_signal_after_the_bounded_retries(prometheus, synthetic_history, fault, message):
    sleeps: list[float] = []
    with FaultProxy(prometheus.url, {"sb_ratio": fault}) as proxy:
        result = prometheus_source(proxy.url, seed=SEED, sleeps=sleeps, retries=2).fetch(SIGNALS, end=end_of(synthetic_history))
        asked = proxy.seen["sb_ratio"]
    assert set(result.errors) == {"ratio"} and asked == 3 and len(sleeps) == 2
    assert message in str(result.errors["ratio"]) and "ratio" in str(result.errors["ratio"])


def write_config(path, prometheus_url, **schedule):
    import yaml

    path.write_text(
        yaml.safe_dump(
            {
                "prometheus": {"url": prometheus_url, "retries": 0, "timeout": 30, "query_deadline": 600},
                "schedule": {"cron": "0 0 1 1 *", **schedule},
                "signals": [{"name": s.name, "query": s.query, "lookback": "180d"} for s in SIGNALS],
            }
        )
    )
    return path


def test_run_against_a_trickling_prometheus_ends_at_its_deadline_with_the_other_signals_and_exits(prometheus, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    with FaultProxy(prometheus.url, {"sb_ratio": Trickle(interval=0.1)}) as proxy:
        config = write_config(tmp_path / "c.yaml", proxy.url, run_deadline="3s")
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "detector",
                "run",
                "--config",
                str(config),
                "--state",
                str(tmp_path / "s.json"),
                "--json",
                str(tmp_path / "out.json"),
            ],
            cwd=Path(__file__).resolve().parents[2],
            capture_output=True,
            text=True,
            timeout=HANG_GUARD,
        )
    import json

    document = json.loads((tmp_path / "out.json").read_text())
    assert done.returncode == 5, done.stdout + done.stderr  # PARTIAL: one signal failed, two evaluated
    assert list(document["errors"]) == ["ratio"] and "run deadline of 3 s passed" in document["errors"]["ratio"]


def test_serve_against_a_trickling_prometheus_finishes_its_run_at_the_deadline_instead_of_wedging(prometheus, tmp_path):
    import signal

    from tests.integration.test_serve import Serve

    with FaultProxy(prometheus.url, {"sb_ratio": Trickle(interval=0.1)}) as proxy:
        serve = Serve(write_config(tmp_path / "c.yaml", proxy.url, run_deadline="3s"), tmp_path / "state.json")
        try:
            body = serve.wait_for_health("ok")
            metrics = serve.get("/metrics").text
            live = serve.get("/livez")
            code, _, err = serve.stop(signal.SIGTERM)
        finally:
            serve.kill()
    assert body["last_run"]["status"] == "PARTIAL" and live.status_code == 200
    assert 'slowburn_signal_failed{signal="ratio"} 1.0' in metrics and 'slowburn_signal_failed{signal="disk"} 0.0' in metrics
    assert "run finished: PARTIAL" in err and code == 0
