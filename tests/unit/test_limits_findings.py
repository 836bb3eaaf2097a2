"""Limits as ceilings and the findings from configuration alone, on hand-made limit sets."""

import numpy as np
import pandas as pd
import pytest

from detector.configuration.schema import Config
from detector.core.series import SeriesSet
from detector.engine.evaluate import evaluate
from detector.limits.ceilings import apply_limits, ceiling_signal_name
from detector.limits.configuration import configuration_findings, declared_vs_live
from detector.limits.model import Limit, LimitSet
from tests.synthetic import hourly_index

AT = pd.Timestamp("2026-01-01T00:00:00Z")
GIB = 2.0**30


def webhook_limits(timeout=30.0, policy="Ignore", name="vpa.k8s.io"):
    ref = "MutatingWebhookConfiguration/vpa-webhook-config"
    return LimitSet((Limit("webhook_timeout", ref, name, timeout, "spec"), Limit("webhook_failure_policy", ref, name, policy, "spec")))


def p99_config(**ceiling):
    return Config.model_validate({"signals": [{"name": "p99", "ceiling": {"limit": "webhook_timeout", **ceiling}}]})


def p99_data(days=120, names=("vpa.k8s.io",), growth=0.0):
    index = hourly_index(days)
    t = np.arange(len(index)) / 24.0
    rng = np.random.default_rng(5)
    values = {(("name", n),): pd.Series((1.0 + growth * t) * np.exp(rng.normal(0, 0.05, len(t))), index=index) for n in names}
    return SeriesSet(series={"p99": values})


def test_each_series_gets_the_limit_of_its_own_webhook_as_its_ceiling():
    limits = LimitSet(
        (*webhook_limits(30.0).limits, Limit("webhook_timeout", "ValidatingWebhookConfiguration/g", "gatekeeper.sh", 10.0, "api_default"))
    )
    config, data = apply_limits(p99_config(), p99_data(names=("vpa.k8s.io", "gatekeeper.sh")), limits)
    ceilings = data.of(ceiling_signal_name("p99"))
    assert ceilings[(("name", "vpa.k8s.io"),)].iloc[-1] == 30.0
    assert ceilings[(("name", "gatekeeper.sh"),)].iloc[-1] == 10.0
    assert config.signals[0].ceiling_signal == ceiling_signal_name("p99")


def test_a_series_with_no_matching_limit_takes_the_default_with_a_note_or_none():
    _, data = apply_limits(p99_config(default=30), p99_data(names=("other",)), webhook_limits())
    assert data.of(ceiling_signal_name("p99"))[(("name", "other"),)].iloc[-1] == 30.0
    assert any("default ceiling 30" in n.message for n in data.notes)
    _, data = apply_limits(p99_config(), p99_data(names=("other",)), webhook_limits())
    assert data.of(ceiling_signal_name("p99"))[(("name", "other"),)].isna().all()
    assert any("analysed without a ceiling" in n.message for n in data.notes)


def test_a_container_name_shared_by_two_workloads_takes_the_limit_of_the_pods_own_workload():
    limits = LimitSet(
        (
            Limit("memory_limit", "Deployment/shop/api", "app", 4 * GIB, "spec", "shop"),
            Limit("memory_limit", "Deployment/shop/worker", "app", 0.5 * GIB, "spec", "shop"),
        )
    )
    config = Config.model_validate({"signals": [{"name": "mem", "ceiling": {"limit": "memory_limit"}}]})
    index = hourly_index(30)
    series = {
        (("container", "app"), ("namespace", "shop"), ("pod", "api-5d8f-abc")): pd.Series(2 * GIB, index=index),
        (("container", "app"), ("namespace", "shop")): pd.Series(2 * GIB, index=index),
    }
    _, data = apply_limits(config, SeriesSet(series={"mem": series}), limits)
    ceilings = data.of(ceiling_signal_name("mem"))
    assert ceilings[(("container", "app"), ("namespace", "shop"), ("pod", "api-5d8f-abc"))].iloc[-1] == 4 * GIB
    assert ceilings[(("container", "app"), ("namespace", "shop"))].isna().all()  # cannot tell: none, with a note
    assert any("several objects" in n.message for n in data.notes)


def test_several_matching_limits_give_the_tightest_with_a_note():
    limits = LimitSet(
        (Limit("webhook_timeout", "A/a", "vpa.k8s.io", 30.0, "spec"), Limit("webhook_timeout", "A/a", "vpa.k8s.io", 10.0, "spec"))
    )
    _, data = apply_limits(p99_config(), p99_data(), limits)
    assert data.of(ceiling_signal_name("p99"))[(("name", "vpa.k8s.io"),)].iloc[-1] == 10.0
    assert any("the tightest, 10" in n.message for n in data.notes)


def test_evaluate_without_limits_uses_the_default_ceiling():
    data = p99_data(growth=0.2)
    evaluation = evaluate(p99_config(default=30), data, hourly_index(120)[-1] + pd.Timedelta(hours=1))
    assert {f.ceiling for f in evaluation.findings if f.kind == "breach_forecast"} == {30.0}


def test_a_fail_open_webhook_whose_latency_reaches_its_timeout_is_a_fail_open_risk():
    limits = webhook_limits(policy="Ignore")
    config, data = apply_limits(p99_config(), p99_data(growth=0.2), limits)
    evaluation = evaluate(config, data, hourly_index(120)[-1] + pd.Timedelta(hours=1))
    (risk,) = [f for f in configuration_findings(limits, p99_config(), evaluation, AT) if f.kind == "fail_open_risk"]
    assert risk.severity in ("warning", "critical") and "failurePolicy: Ignore" in risk.summary
    strict = webhook_limits(policy="Fail")
    assert not [f for f in configuration_findings(strict, p99_config(), evaluation, AT) if f.kind == "fail_open_risk"]


def qps(value, source="default", target="admission-controller"):
    ref = "Deployment/kube-system/vpa-admission-controller"
    return LimitSet(
        (Limit("client_qps", ref, target, value, source, "kube-system", "vpa 1.2.0"), Limit("client_burst", ref, target, 10.0, source))
    )


@pytest.mark.parametrize(("value", "source", "flagged"), [(5.0, "default", True), (5.1, "default", False), (5.0, "flag", False)])
def test_a_client_on_a_default_qps_of_five_or_less_is_a_latent_default(value, source, flagged):
    found = [f for f in configuration_findings(qps(value, source), p99_config(), None, AT) if f.kind == "latent_default"]
    assert bool(found) is flagged
    if flagged:
        assert found[0].severity == "info" and "5 / burst 10" in found[0].summary


def pvcs(template_gib, sizes_gib):
    sts = "StatefulSet/redis/redis"
    limits = [Limit("volume_claim_template", sts, "data", template_gib * GIB, "spec", "redis")]
    for i, size in enumerate(sizes_gib):
        labels = (("statefulset", sts), ("template", "data"))
        limits.append(
            Limit(
                "pvc_capacity",
                f"PersistentVolumeClaim/redis/data-redis-{i}",
                f"data-redis-{i}",
                size * GIB,
                "status",
                "redis",
                labels=labels,
            )
        )
    return LimitSet(tuple(limits))


def test_a_template_smaller_than_its_resized_pvcs_is_declared_drift():
    (drift,) = configuration_findings(pvcs(10, [20, 20, 20]), p99_config(), None, AT)
    assert drift.kind == "declared_drift" and "gets 10 GiB" in drift.summary
    assert configuration_findings(pvcs(20, [20, 20, 20]), p99_config(), None, AT) == []


def test_pvcs_of_one_statefulset_with_different_sizes_are_declared_drift():
    (drift,) = configuration_findings(pvcs(30, [20, 10, 20]), p99_config(), None, AT)
    assert "differ" in drift.summary


def test_a_limit_that_differs_between_the_manifests_and_the_cluster_is_declared_drift():
    (drift,) = declared_vs_live(webhook_limits(timeout=30.0), webhook_limits(timeout=10.0), AT)
    assert "10" in drift.summary and "30" in drift.summary
    assert declared_vs_live(webhook_limits(), webhook_limits(), AT) == []


def test_a_manifest_without_a_namespace_is_compared_with_the_live_object_of_the_same_kind_and_name():
    declared = LimitSet((Limit("memory_limit", "Deployment/api", "app", 1 * GIB, "spec", None),))
    live = LimitSet((Limit("memory_limit", "Deployment/shop/api", "app", 2 * GIB, "spec", "shop"),))
    (drift,) = declared_vs_live(declared, live, AT)
    assert drift.kind == "declared_drift"
