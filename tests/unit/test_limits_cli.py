"""`slowburn limits` and `run --manifests` on the bundled replicas' Kubernetes objects."""

import io
import json
from pathlib import Path

from detector.cli import main
from detector.core.environment import Environment

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = str(ROOT / "data" / "replicas" / "manifests")
REPLICAS = ["--config", str(ROOT / "config" / "replicas.yaml"), "--data", str(ROOT / "data" / "replicas")]


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(args), Environment(stdout=out, stderr=err, environ={}))
    return status, out.getvalue(), err.getvalue()


def test_limits_lists_the_incidents_hidden_limits_and_what_they_say(tmp_path):
    status, out, err = cli("limits", "--manifests", MANIFESTS, "--json", str(tmp_path / "limits.json"))
    assert status == 0, err
    document = json.loads((tmp_path / "limits.json").read_text())
    assert {"kind", "object", "target", "value", "source"} <= set(document["limits"][0])
    qps = {(x["object"], x["value"], x["source"]) for x in document["limits"] if x["kind"] == "client_qps"}
    assert ("Deployment/kube-system/vpa-admission-controller", 5.0, "default") in qps
    kinds = {(f["kind"], f["object"]) for f in document["findings"]}
    assert ("declared_drift", "StatefulSet/redis/redis") in kinds
    assert ("latent_default", "Deployment/kube-system/vpa-admission-controller") in kinds
    assert "webhook_timeout" in out and "30 s" in out


def test_limits_without_a_source_is_a_usage_error():
    status, _, err = cli("limits")
    assert status == 2 and "--manifests" in err


def test_run_with_the_manifests_takes_each_webhooks_own_timeout_and_reports_the_configuration_risks(tmp_path):
    status, _, err = cli("run", *REPLICAS, "--manifests", MANIFESTS, "--at", "2026-02-10T00:00:00Z", "--json", str(tmp_path / "run.json"))
    assert status == 0, err
    document = json.loads((tmp_path / "run.json").read_text())
    by_object = {(f["kind"], f["labels"].get("object")): f for f in document["findings"] if f["signal"] == "kubernetes"}
    assert by_object[("fail_open_risk", "MutatingWebhookConfiguration/vpa-webhook-config")]["severity"] in ("warning", "critical")
    admission = by_object[("latent_default", "Deployment/kube-system/vpa-admission-controller")]
    assert admission["severity"] == "warning" and "client_throttle_wait_seconds" in admission["summary"]  # its series is flagged
    assert by_object[("latent_default", "Deployment/kube-system/vpa-recommender")]["severity"] == "info"
    assert by_object[("declared_drift", "StatefulSet/redis/redis")]["severity"] == "warning"
    assert not any("default ceiling 30" in note for note in document["notes"])


def test_explain_with_the_manifests_judges_gatekeeper_against_its_own_3_second_timeout(tmp_path):
    series = 'webhook_p99_seconds{name="gatekeeper.sh",type="validating"}'
    status, out, err = cli("explain", *REPLICAS, "--manifests", MANIFESTS, "--series", series, "--json", str(tmp_path / "e.json"))
    assert status == 0, err
    gates = {g["name"]: g for g in json.loads((tmp_path / "e.json").read_text())["gates"]}
    assert gates["median of the last 24 h vs the ceiling"]["threshold"] == 3.0
    status, _, _ = cli("explain", *REPLICAS, "--series", series, "--json", str(tmp_path / "d.json"))
    gates = {g["name"]: g for g in json.loads((tmp_path / "d.json").read_text())["gates"]}
    assert gates["median of the last 24 h vs the ceiling"]["threshold"] == 30.0


def test_run_without_the_manifests_falls_back_to_the_typed_in_ceiling_and_says_so(tmp_path):
    status, _, err = cli("run", *REPLICAS, "--at", "2026-02-10T00:00:00Z", "--json", str(tmp_path / "run.json"))
    assert status == 0, err
    document = json.loads((tmp_path / "run.json").read_text())
    assert any("no Kubernetes objects were read" in note and "default ceiling 30" in note for note in document["notes"])
    assert not any(f["signal"] == "kubernetes" for f in document["findings"])


def test_the_table_never_cuts_a_series_identity():
    status, out, _ = cli("run", *REPLICAS, "--manifests", MANIFESTS, "--at", "2026-02-10T00:00:00Z")
    assert status == 0
    assert 'kubernetes{object="MutatingWebhookConfiguration/vpa-webhook-config",target="vpa.k8s.io"}' in out
