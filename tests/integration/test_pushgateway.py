"""slowburn's own metrics pushed to a real Pushgateway 1.5 on 127.0.0.1."""

import pandas as pd
import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from detector.configuration.live_settings import PushgatewaySettings
from detector.core.evaluation import Evaluation
from detector.core.findings import Finding
from detector.core.series import SeriesKey, labels_of
from detector.errors import SourceError
from detector.service.self_metrics import SelfMetrics
from detector.sinks.pushgateway import PushgatewaySink
from detector.transport.http_client import build_session
from tests.integration.promstack import PUSHGATEWAY, free_port, missing_binaries, start_pushgateway

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(bool(missing_binaries(PUSHGATEWAY)), reason="prometheus-pushgateway is not installed"),
]
AT = pd.Timestamp("2026-02-01T00:00:00Z")


@pytest.fixture
def gateway():
    server = start_pushgateway()
    yield server
    server.stop()


def scrape(server):
    """(name, labels) -> value of everything the gateway exposes for job 'slowburn'."""
    text = requests.get(server.url + "/metrics", timeout=5).text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.labels.get("job") == "slowburn" and s.name.startswith("slowburn_")
    }


def sink(server, metrics, **settings):
    config = PushgatewaySettings(url=server.url, job="slowburn", grouping_key={"cluster": "eu-1"}, **settings)
    return PushgatewaySink(config, metrics.registry, build_session(config, section="pushgateway"))


def evaluation(*pvcs):
    findings = tuple(
        Finding(
            key=SeriesKey("pvc_used_bytes", labels_of({"persistentvolumeclaim": p})),
            kind="breach_forecast",
            severity="critical",
            evaluated_at=AT,
            summary="",
            eta=AT + pd.Timedelta(days=5),
        )
        for p in pvcs
    )
    return Evaluation(at=AT, findings=findings, series_evaluated=len(pvcs))


def test_the_gateway_holds_the_run_metrics_under_the_job_and_grouping_key(gateway):
    metrics = SelfMetrics()
    metrics.record(evaluation("data-0"), ["pvc_used_bytes"], duration=2.5, finished_at=AT, evaluated=True)
    report = sink(gateway, metrics).push(replace_group=True)
    assert report.ok
    found = scrape(gateway)
    key = (("cluster", "eu-1"), ("instance", ""), ("job", "slowburn"))
    assert found[("slowburn_run_duration_seconds", key)] == 2.5
    assert found[("slowburn_last_success_timestamp_seconds", key)] == AT.timestamp()
    severity = {dict(labels)["series"]: v for (name, labels), v in found.items() if name == "slowburn_risk_severity"}
    assert severity == {'{persistentvolumeclaim="data-0"}': 2.0}
    eta = [v for (name, _), v in found.items() if name == "slowburn_risk_eta_seconds"]
    assert eta == [5 * 86400.0]


def test_a_successful_run_replaces_the_group_so_cleared_series_disappear(gateway):
    first = SelfMetrics()
    first.record(evaluation("data-0", "data-1"), ["pvc_used_bytes"], duration=1, finished_at=AT, evaluated=True)
    sink(gateway, first).push(replace_group=True)
    second = SelfMetrics()
    second.record(evaluation("data-1"), ["pvc_used_bytes"], duration=1, finished_at=AT + pd.Timedelta(hours=1), evaluated=True)
    sink(gateway, second).push(replace_group=True)
    series = {dict(labels)["series"] for (name, labels) in scrape(gateway) if name == "slowburn_risk_severity"}
    assert series == {'{persistentvolumeclaim="data-1"}'}


def test_a_failed_run_keeps_the_last_known_risk_and_success_time_but_updates_the_run_metrics(gateway):
    good = SelfMetrics()
    good.record(evaluation("data-0"), ["pvc_used_bytes"], duration=1, finished_at=AT, evaluated=True)
    sink(gateway, good).push(replace_group=True)
    bad = SelfMetrics()
    later = AT + pd.Timedelta(hours=1)
    failed = Evaluation(at=later, findings=(), errors={"pvc_used_bytes": SourceError("connection refused")})
    bad.record(failed, ["pvc_used_bytes"], duration=0.2, finished_at=later, evaluated=False)
    assert sink(gateway, bad).push(replace_group=False).ok
    found = {name: v for (name, _), v in scrape(gateway).items()}
    assert found["slowburn_last_success_timestamp_seconds"] == AT.timestamp()
    assert found["slowburn_last_run_timestamp_seconds"] == later.timestamp()
    assert found["slowburn_risk_severity"] == 2.0
    assert found["slowburn_signal_failed"] == 1.0


def test_an_unreachable_gateway_is_a_failed_delivery_not_a_crash():
    metrics = SelfMetrics()
    config = PushgatewaySettings(url=f"http://127.0.0.1:{free_port()}", timeout=2)
    report = PushgatewaySink(config, metrics.registry, build_session(config, section="pushgateway")).push(replace_group=True)
    assert not report.ok and "unreachable" in report.problems[0]


def test_series_labels_arrive_as_real_labels_even_when_signals_have_different_label_names(gateway):
    webhook = Finding(
        key=SeriesKey("webhook_p99_seconds", labels_of({"name": "vpa.k8s.io", "job": "apiserver"})),
        kind="at_ceiling",
        severity="critical",
        evaluated_at=AT,
        summary="",
    )
    metrics = SelfMetrics()
    both = Evaluation(at=AT, findings=evaluation("data-0").findings + (webhook,), series_evaluated=2)
    metrics.record(both, ["pvc_used_bytes", "webhook_p99_seconds"], duration=1, finished_at=AT, evaluated=True)
    assert sink(gateway, metrics).push(replace_group=True).ok
    severity = [dict(labels) for (name, labels) in scrape(gateway) if name == "slowburn_risk_severity"]
    by_signal = {labels["signal"]: labels for labels in severity}
    assert by_signal["pvc_used_bytes"]["persistentvolumeclaim"] == "data-0"
    assert by_signal["webhook_p99_seconds"]["name"] == "vpa.k8s.io"
    assert by_signal["webhook_p99_seconds"]["exported_job"] == "apiserver"  # the push's own job label stays slowburn
    assert by_signal["webhook_p99_seconds"]["job"] == "slowburn"
