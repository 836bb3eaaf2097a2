"""A trickling Alertmanager or Pushgateway never holds a run: each POST/PUT has an overall deadline,
and the alerts it could not deliver are kept for the next run. A loopback proxy in front of the real
servers sends their answers one byte at a time."""

from __future__ import annotations

import json
import threading

import pandas as pd
import pytest

from detector.configuration.live_settings import PushgatewaySettings
from detector.configuration.schema import Config
from detector.core.evaluation import Evaluation
from detector.service.self_metrics import SelfMetrics
from detector.sinks.alertmanager import AlertmanagerSink
from detector.sinks.pushgateway import PushgatewaySink
from detector.transport.http_client import build_session
from tests.integration.fault_proxy import FaultProxy, TrickleHeaders
from tests.integration.promstack import (
    ALERTMANAGER,
    PUSHGATEWAY,
    missing_binaries,
    start_alertmanager,
    start_pushgateway,
    write_alertmanager_config,
)
from tests.integration.test_alertmanager_sink import active, finding
from tests.integration.test_pushgateway import evaluation, scrape

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(bool(missing_binaries(ALERTMANAGER, PUSHGATEWAY)), reason="Alertmanager or Pushgateway is not installed"),
]
HANG_GUARD = 60.0  # seconds: only stops a hang, never a timing assertion
TTL = 3 * 3600.0
SLOW = TrickleHeaders(interval=0.5)  # the status line alone takes longer than the 1.5 s deadline
QUICK = TrickleHeaders(interval=0.005)  # trickled too, but complete well within the 30 s deadline
ALERTS = "/api/v2/alerts"
GROUP = "/metrics/job/slowburn/cluster/eu-1"


def within_guard(call):
    box = {}
    thread = threading.Thread(target=lambda: box.setdefault("result", call()), daemon=True)
    thread.start()
    thread.join(HANG_GUARD)
    assert "result" in box, "the sink never returned: a trickling server held the run"
    return box["result"]


def am_config(url: str, deadline: float) -> Config:
    return Config.model_validate(
        {
            "prometheus": {"url": "http://prometheus.example:9090"},
            "alertmanager": {"url": url, "min_severity": "warning", "timeout": 5, "deadline": deadline},
            "signals": [{"name": "pvc_used_bytes", "query": "kubelet_volume_stats_used_bytes", "ceiling": 100}],
        }
    )


def send(cfg: Config, state, pvc: str):
    now = pd.Timestamp.now(tz="UTC")
    session = build_session(cfg.alertmanager, section="alertmanager")
    sink = AlertmanagerSink(cfg, cfg.alertmanager, state, session, lambda: pd.Timestamp.now(tz="UTC"), TTL)
    return within_guard(lambda: sink.send(Evaluation(at=now, findings=(finding(pvc, now),))))


@pytest.fixture
def alertmanager(tmp_path):
    server = start_alertmanager(write_alertmanager_config(tmp_path / "am.yml", "http://127.0.0.1:9/hook"), storage_dir=tmp_path / "am")
    yield server
    server.stop()


@pytest.fixture
def gateway():
    server = start_pushgateway()
    yield server
    server.stop()


def test_a_trickling_alertmanager_fails_at_the_deadline_and_the_alert_is_kept_and_sent_next_run(alertmanager, tmp_path):
    state = tmp_path / "state.json"
    with FaultProxy(alertmanager.url, {ALERTS: SLOW}) as proxy:
        cfg = am_config(proxy.url, deadline=1.5)
        first = send(cfg, state, "data-0")
        kept = json.loads(state.read_text())["outbox"]
        proxy.faults.clear()
        second = send(cfg, state, "data-0")
    assert not first.ok and first.pending == 1
    assert any(
        "no complete answer within the deadline of 1.5 s (alertmanager.deadline); kept 1 alert(s) for the next run" in p
        for p in first.problems
    ), first.problems
    assert [len(alerts) for alerts in kept.values()] == [1]
    assert second.ok and second.pending == 0 and json.loads(state.read_text())["outbox"] == {}
    assert "data-0" in active(alertmanager)


def test_a_trickled_answer_that_completes_within_the_deadline_is_delivered(alertmanager, tmp_path):
    with FaultProxy(alertmanager.url, {ALERTS: QUICK}) as proxy:
        report = send(am_config(proxy.url, deadline=30), tmp_path / "state.json", "data-1")
    assert report.ok and report.delivered == 1 and report.pending == 0
    assert "data-1" in active(alertmanager)


def push(url: str, deadline: float, pvc: str):
    settings = PushgatewaySettings(url=url, job="slowburn", grouping_key={"cluster": "eu-1"}, timeout=5, deadline=deadline)
    metrics = SelfMetrics()
    metrics.record(evaluation(pvc), ["pvc_used_bytes"], duration=1, finished_at=pd.Timestamp("2026-02-01T00:00:00Z"), evaluated=True)
    sink = PushgatewaySink(settings, metrics.registry, build_session(settings, section="pushgateway"))
    return within_guard(lambda: sink.push(replace_group=True))


def pushed_series(gateway) -> set[str]:
    return {dict(labels)["series"] for (name, labels) in scrape(gateway) if name == "slowburn_risk_severity"}


def test_a_trickling_pushgateway_fails_at_the_deadline_with_one_problem_and_the_next_push_lands(gateway):
    with FaultProxy(gateway.url, {GROUP: SLOW}) as proxy:
        slow = push(proxy.url, 1.5, "data-0")
        proxy.faults.clear()
        then = push(proxy.url, 1.5, "data-1")
    assert not slow.ok
    assert slow.problems == (f"{proxy.url}: no complete answer within the deadline of 1.5 s (pushgateway.deadline)",)
    assert then.ok and pushed_series(gateway) == {'{persistentvolumeclaim="data-1"}'}


def test_a_trickled_pushgateway_answer_within_the_deadline_is_a_success(gateway):
    with FaultProxy(gateway.url, {GROUP: QUICK}) as proxy:
        report = push(proxy.url, 30, "data-2")
    assert report.ok and pushed_series(gateway) == {'{persistentvolumeclaim="data-2"}'}
