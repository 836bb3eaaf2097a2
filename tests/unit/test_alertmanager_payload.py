"""A finding becomes an Alertmanager alert a person can act on, and no label can break the post."""

import re
from urllib.parse import parse_qs, urlsplit

import pandas as pd

from detector.configuration.schema import Config
from detector.core.findings import KINDS, DriverLink, Finding
from detector.core.series import SeriesKey, labels_of
from detector.sinks.alert_payload import ALERTNAMES, build_alert, identity_of

AT = pd.Timestamp("2025-03-01T00:00:00Z")
GIB = 2**30
VALID_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
QUERY = 'max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_used_bytes{job="kubelet"})'


def config(**extra):
    document = {
        "labels": {"team": "platform"},
        "annotations": {"runbook_url": "https://runbooks/global", "dashboard": "https://grafana/d/slowburn"},
        "prometheus": {"url": "http://prometheus.example:9090"},
        "signals": [
            {
                "name": "pvc_used_bytes",
                "query": QUERY,
                "ceiling": 100 * GIB,
                "description": "bytes used on each PVC",
                "labels": {"tier": "storage"},
                "annotations": {"runbook_url": "https://runbooks/disk"},
                "lookback": "120d",
            },
            {"name": "vpa_objects", "query": "sum(vpa_recommender_vpa_objects_count)"},
        ],
    }
    document.update(extra)
    return Config.model_validate(document)


def finding(labels=None, kind="breach_forecast", severity="warning", **fields):
    values = dict(
        key=SeriesKey(
            "pvc_used_bytes", labels_of(labels if labels is not None else {"namespace": "redis", "persistentvolumeclaim": "data-redis-0"})
        ),
        kind=kind,
        severity=severity,
        evaluated_at=AT,
        summary="pvc_used_bytes up 2x since 2025-01-06; reaches the 100 GiB ceiling around 2025-04-02",
        onset=pd.Timestamp("2025-01-06T00:00:00Z"),
        eta=pd.Timestamp("2025-04-02T00:00:00Z"),
        eta_lower=pd.Timestamp("2025-03-20T00:00:00Z"),
        eta_upper=pd.Timestamp("2025-04-30T00:00:00Z"),
        ceiling=100 * GIB,
        current=80 * GIB,
        baseline=40 * GIB,
        magnitude=2.0,
        slope_per_day=0.6 * GIB,
        slope_interval=(0.4 * GIB, 0.8 * GIB),
        driver=DriverLink("vpa_objects", (), pd.Timestamp("2025-02-03T00:00:00Z"), 3.0, 0, 0.81),
    )
    values.update(fields)
    return Finding(**values)


def test_every_kind_has_its_own_alertname_that_alertmanager_accepts():
    names = {build_alert(finding(kind=kind), config(), None).labels["alertname"] for kind in KINDS}
    assert len(names) == len(KINDS)
    assert all(VALID_NAME.fullmatch(name) for name in names)
    assert names == set(ALERTNAMES.values())


def test_labels_carry_signal_severity_series_labels_and_configured_labels():
    labels = build_alert(finding(), config(), None).labels
    assert labels == {
        "alertname": "SlowburnBreachForecast",
        "signal": "pvc_used_bytes",
        "severity": "warning",
        "namespace": "redis",
        "persistentvolumeclaim": "data-redis-0",
        "team": "platform",
        "tier": "storage",
    }


def test_annotations_give_times_in_rfc3339_and_the_signal_runbook_over_the_global_one():
    annotations = build_alert(finding(), config(), None).annotations
    assert annotations["onset"] == "2025-01-06T00:00:00Z"
    assert annotations["eta"] == "2025-04-02T00:00:00Z"
    assert annotations["eta_lower"] == "2025-03-20T00:00:00Z"
    assert annotations["eta_upper"] == "2025-04-30T00:00:00Z"
    assert annotations["runbook_url"] == "https://runbooks/disk"
    assert annotations["dashboard"] == "https://grafana/d/slowburn"
    assert annotations["summary"].startswith("pvc_used_bytes up 2x")


def test_missing_times_are_empty_annotations_not_the_text_none():
    annotations = build_alert(
        finding(kind="sustained_drift", eta=None, eta_lower=None, eta_upper=None, onset=None), config(), None
    ).annotations
    assert [annotations[k] for k in ("onset", "eta", "eta_lower", "eta_upper")] == ["", "", "", ""]
    assert "None" not in annotations["description"]


def test_the_description_states_onset_eta_interval_magnitude_and_driver():
    text = build_alert(finding(), config(), None).annotations["description"]
    assert "bytes used on each PVC" in text
    assert "2025-01-06" in text  # onset
    assert "2025-04-02" in text and "2025-03-20" in text and "2025-04-30" in text and "80%" in text
    assert "80 GiB" in text and "40 GiB" in text and "2x" in text
    assert "vpa_objects" in text and "2025-02-03" in text and "r=0.81" in text


def test_the_generator_url_opens_the_signal_query_over_its_lookback_in_the_prometheus_graph_page():
    url = build_alert(finding(), config(), "http://prometheus.example:9090/").generator_url
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("http", "prometheus.example:9090", "/graph")
    query = parse_qs(parts.query)
    assert query["g0.expr"] == [QUERY]
    assert query["g0.range_input"] == ["120d"]


def test_without_a_prometheus_base_or_a_query_there_is_no_generator_url():
    assert build_alert(finding(), config(), None).generator_url == ""
    no_query = config(signals=[{"name": "pvc_used_bytes", "ceiling": 1.0}])
    assert build_alert(finding(), no_query, "http://prometheus.example:9090").generator_url == ""


def test_invalid_label_names_are_rewritten_and_reported_instead_of_failing_the_post():
    draft = build_alert(finding({"k8s.io/pvc": "a", "0day": "b", "ok": "c"}), config(labels={"my-team": "x"}), None)
    assert all(VALID_NAME.fullmatch(name) for name in draft.labels)
    assert draft.labels["k8s_io_pvc"] == "a" and draft.labels["_0day"] == "b" and draft.labels["my_team"] == "x"
    assert len(draft.notes) == 3 and any("k8s.io/pvc" in note for note in draft.notes)


def test_a_series_label_named_like_a_reserved_or_configured_label_moves_to_exported_and_keeps_its_value():
    draft = build_alert(finding({"severity": "sev2", "team": "db", "pvc": "x"}), config(), None)
    assert draft.labels["severity"] == "warning" and draft.labels["exported_severity"] == "sev2"
    assert draft.labels["team"] == "platform" and draft.labels["exported_team"] == "db"
    assert len(draft.notes) == 2


def test_two_series_that_differ_only_in_a_shadowed_label_stay_two_alerts():
    a = build_alert(finding({"severity": "sev1", "pvc": "x"}), config(), None)
    b = build_alert(finding({"severity": "sev2", "pvc": "x"}), config(), None)
    assert a.labels != b.labels and a.identity != b.identity


def test_values_that_are_not_valid_utf8_are_repaired_and_empty_values_left_out():
    draft = build_alert(finding({"pvc": "bad\udcff", "empty": ""}), config(), None)
    draft.labels["pvc"].encode("utf-8")  # would raise on a lone surrogate
    assert "empty" not in draft.labels


def test_identity_is_the_same_for_the_same_signal_labels_and_kind_only():
    base = identity_of(finding())
    assert identity_of(finding(severity="critical", summary="other text")) == base
    assert identity_of(finding(kind="step_change")) != base
    assert identity_of(finding({"namespace": "redis", "persistentvolumeclaim": "data-redis-1"})) != base


def test_a_finding_of_a_signal_that_is_no_longer_configured_still_builds():
    draft = build_alert(finding(), config(signals=[{"name": "other", "query": "up"}]), "http://p:9090")
    assert draft.labels["signal"] == "pvc_used_bytes" and draft.generator_url == ""
