"""slowburn's own metrics: what a scrape or a push of its registry shows after a run."""

import base64

import numpy as np
import pandas as pd
import requests
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from detector.configuration.live_settings import PushgatewaySettings
from detector.configuration.schema import Config
from detector.core.evaluation import Evaluation
from detector.core.findings import Finding
from detector.core.series import SeriesKey, SeriesSet, labels_of
from detector.engine.evaluate import evaluate
from detector.errors import SourceError
from detector.service.self_metrics import SelfMetrics, series_selector
from detector.sinks.base import DeliveryReport
from detector.sinks.pushgateway import PushgatewaySink
from detector.transport.http_client import build_session
from tests.synthetic import fill_series, hourly_index, quiet_series

SEED = 7
AT = pd.Timestamp("2025-03-01T00:00:00Z")


def samples(metrics: SelfMetrics) -> dict[tuple[str, tuple], float]:
    text = generate_latest(metrics.registry).decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for family in text_string_to_metric_families(text) for s in family.samples}


def named(found, name):
    return {labels: value for (n, labels), value in found.items() if n == name}


def finding(labels, kind="breach_forecast", severity="warning", eta_days=None):
    eta = AT + pd.Timedelta(days=eta_days) if eta_days is not None else None
    return Finding(key=SeriesKey("disk_used_bytes", labels_of(labels)), kind=kind, severity=severity, evaluated_at=AT, summary="x", eta=eta)


def test_the_series_label_is_a_promql_selector_with_quotes_and_backslashes_escaped():
    assert series_selector(labels_of({"pvc": 'a"b\\c', "ns": "x"})) == '{ns="x",pvc="a\\"b\\\\c"}'
    assert series_selector(()) == "{}"


def test_before_any_successful_run_no_risk_series_and_no_last_success_are_exposed():
    found = samples(SelfMetrics())
    assert not named(found, "slowburn_last_success_timestamp_seconds")
    assert not named(found, "slowburn_risk_severity")


def test_findings_become_severity_and_eta_samples_labelled_by_signal_kind_and_series():
    metrics = SelfMetrics()
    evaluation = Evaluation(
        at=AT,
        findings=(
            finding({"pvc": "a"}, severity="critical", eta_days=3),
            finding({"pvc": "b"}, kind="step_change", severity="info"),
        ),
        series_evaluated=2,
    )
    metrics.record(evaluation, ["disk_used_bytes"], duration=1.5, finished_at=AT + pd.Timedelta(seconds=2), evaluated=True)
    found = samples(metrics)
    assert named(found, "slowburn_risk_severity") == {
        (("kind", "breach_forecast"), ("pvc", "a"), ("series", '{pvc="a"}'), ("signal", "disk_used_bytes")): 2.0,
        (("kind", "step_change"), ("pvc", "b"), ("series", '{pvc="b"}'), ("signal", "disk_used_bytes")): 0.0,
    }
    assert named(found, "slowburn_risk_eta_seconds") == {
        (("pvc", "a"), ("series", '{pvc="a"}'), ("signal", "disk_used_bytes")): 3 * 86400.0
    }
    assert found[("slowburn_last_success_timestamp_seconds", ())] == (AT + pd.Timedelta(seconds=2)).timestamp()
    assert found[("slowburn_run_duration_seconds", ())] == 1.5
    assert found[("slowburn_series_evaluated", ())] == 2.0
    assert found[("slowburn_findings", (("severity", "critical"),))] == 1.0


def test_a_series_that_vanished_from_the_next_evaluation_vanishes_from_the_metrics():
    metrics = SelfMetrics()
    metrics.record(
        Evaluation(at=AT, findings=(finding({"pvc": "a"}), finding({"pvc": "b"}))),
        ["disk_used_bytes"],
        duration=1,
        finished_at=AT,
        evaluated=True,
    )
    metrics.record(Evaluation(at=AT, findings=(finding({"pvc": "b"}),)), ["disk_used_bytes"], duration=1, finished_at=AT, evaluated=True)
    assert [dict(k)["series"] for k in named(samples(metrics), "slowburn_risk_severity")] == ['{pvc="b"}']


def test_a_run_that_evaluated_nothing_keeps_the_last_risk_and_success_time_and_counts_the_errors():
    metrics = SelfMetrics()
    metrics.record(Evaluation(at=AT, findings=(finding({"pvc": "a"}),)), ["disk_used_bytes"], duration=1, finished_at=AT, evaluated=True)
    failed = Evaluation(at=AT + pd.Timedelta(hours=1), findings=(), errors={"disk_used_bytes": SourceError("down")})
    later = AT + pd.Timedelta(hours=1)
    metrics.record(
        failed,
        ["disk_used_bytes"],
        duration=0.1,
        finished_at=later,
        evaluated=False,
        reports=[DeliveryReport("alertmanager", ok=False, pending=4)],
    )
    found = samples(metrics)
    assert len(named(found, "slowburn_risk_severity")) == 1
    assert found[("slowburn_last_success_timestamp_seconds", ())] == AT.timestamp()
    assert found[("slowburn_last_run_timestamp_seconds", ())] == later.timestamp()
    assert found[("slowburn_query_errors_total", ())] == 1.0
    assert found[("slowburn_signal_failed", (("signal", "disk_used_bytes"),))] == 1.0
    assert found[("slowburn_delivery_failures_total", (("sink", "alertmanager"),))] == 1.0
    assert found[("slowburn_alerts_pending", ())] == 4.0


def test_a_real_evaluation_exposes_a_slope_per_series_and_an_eta_only_where_a_ceiling_is_in_reach():
    rng = np.random.default_rng(SEED)
    index = hourly_index(150)
    data = SeriesSet(
        series={
            "disk_used_bytes": {
                labels_of({"pvc": "filling"}): pd.Series(fill_series(rng, 150, full_at_day=170), index=index),
                labels_of({"pvc": "quiet"}): pd.Series(np.minimum(quiet_series(rng, 150), 50.0), index=index),
            }
        }
    )
    config = Config.model_validate({"signals": [{"name": "disk_used_bytes", "ceiling": 100.0}]})
    at = index[-1] + pd.Timedelta(hours=1)
    evaluation = evaluate(config, data, at)
    metrics = SelfMetrics()
    metrics.record(evaluation, ["disk_used_bytes"], duration=1, finished_at=at, evaluated=True)
    found = samples(metrics)
    slopes = {dict(k)["series"]: v for k, v in named(found, "slowburn_trend_slope").items()}
    assert set(slopes) == {'{pvc="filling"}', '{pvc="quiet"}'}
    assert 0.1 < slopes['{pvc="filling"}'] < 0.5  # 50 units over 170 days: about 0.29 a day
    etas = {dict(k)["series"]: v / 86400 for k, v in named(found, "slowburn_risk_eta_seconds").items()}
    assert set(etas) == {'{pvc="filling"}'}
    assert 10 < etas['{pvc="filling"}'] < 35  # full on day 170, evaluated on day 150


class RecordingAdapter(requests.adapters.BaseAdapter):
    """A transport that answers 200 and records requests instead of opening a socket."""

    def __init__(self):
        super().__init__()
        self.requests = []

    def send(self, request, **kwargs):
        self.requests.append(request)
        response = requests.Response()
        response.status_code, response._content, response.url, response.request = 200, b"", request.url, request
        return response

    def close(self):
        pass


def test_pushes_go_through_the_configured_session_with_its_credentials_and_grouping_key():
    settings = PushgatewaySettings(
        url="http://pushgateway.test:9091",
        job="slowburn",
        grouping_key={"cluster": "eu-1"},
        basic_auth={"username": "pusher", "password_env": "PG_PASSWORD"},
    )
    session = build_session(settings, section="pushgateway", environ={"PG_PASSWORD": "s3cret"})
    adapter = RecordingAdapter()
    session.mount("http://", adapter)
    metrics = SelfMetrics()
    metrics.record(Evaluation(at=AT, findings=(finding({"pvc": "a"}),)), ["disk_used_bytes"], duration=1, finished_at=AT, evaluated=True)
    assert PushgatewaySink(settings, metrics.registry, session).push(replace_group=True).ok
    (sent,) = adapter.requests
    assert sent.method == "PUT" and sent.url == "http://pushgateway.test:9091/metrics/job/slowburn/cluster/eu-1"
    assert sent.headers["Authorization"] == "Basic " + base64.b64encode(b"pusher:s3cret").decode()
    assert b'slowburn_risk_severity{kind="breach_forecast",pvc="a",series="{pvc=\\"a\\"}",signal="disk_used_bytes"} 1.0' in sent.body
    PushgatewaySink(settings, metrics.registry, session).push(replace_group=False)
    assert adapter.requests[-1].method == "POST"


def test_series_labels_are_real_labels_and_ones_named_like_slowburn_or_target_labels_are_exported_():
    metrics = SelfMetrics()
    labels = {"job": "vpa", "instance": "10.0.0.1:8080", "kind": "x", "namespace": "kube-system"}
    metrics.record(Evaluation(at=AT, findings=(finding(labels),)), ["disk_used_bytes"], duration=1, finished_at=AT, evaluated=True)
    (sample_labels,) = named(samples(metrics), "slowburn_risk_severity")
    assert dict(sample_labels) == {
        "kind": "breach_forecast",
        "signal": "disk_used_bytes",
        "namespace": "kube-system",
        "exported_job": "vpa",
        "exported_instance": "10.0.0.1:8080",
        "exported_kind": "x",
        "series": '{instance="10.0.0.1:8080",job="vpa",kind="x",namespace="kube-system"}',
    }
