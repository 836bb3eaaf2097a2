"""The live limits source through the real ``kubernetes`` client.

No real API server can be installed here, so the real client talks to a loopback server on
127.0.0.1 replaying recorded API responses (``kube_loopback.KubeReplay``, ``kube_responses/``):
list responses with ``resourceVersion``, pagination with ``limit``/``continue``, a 403 Status for a
permission the service account lacks, a 401 for a bad token.
"""

from __future__ import annotations

import socket

import pytest
from kubernetes import client, config

from detector.errors import ConfigError, SourceError
from detector.limits.cluster import RESOURCES, read_cluster
from tests.integration.kube_loopback import KubeReplay, write_kubeconfig
from tests.integration.loopback_http import LoopbackHTTPServer

pytestmark = pytest.mark.integration

TOKEN = "sb-test-token-3f9a7c1e5d"
KINDS = ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "Deployment", "StatefulSet", "DaemonSet", "Pod")


@pytest.fixture
def replay():
    return KubeReplay(token=TOKEN, forbidden={"persistentvolumeclaims"})


@pytest.fixture
def api(replay):
    with LoopbackHTTPServer(replay) as server:
        yield server


@pytest.fixture
def kubeconfig(api, tmp_path):
    return str(write_kubeconfig(tmp_path / "kubeconfig", api.url, TOKEN))


def refs(batch):
    return {obj.ref for obj in batch.objects}


def texts(batch):
    return list(batch.problems)


def test_every_page_is_read_and_each_list_keeps_its_resource_version(api, kubeconfig):
    batch = read_cluster(kubeconfig=kubeconfig, page_size=2)
    assert {
        "Deployment/kube-system/vpa-admission-controller",
        "Deployment/kube-system/vpa-recommender",
        "Deployment/kube-system/vpa-updater",
    } <= refs(batch)  # vpa-updater is on page 2
    continued = [r for r in api.requests if r.path == "/apis/apps/v1/deployments" and "continue" in r.params]
    assert len(continued) == 1 and all(r.params["limit"] == ["2"] for r in api.requests)
    origins = {obj.kind: obj.origin for obj in batch.objects}
    assert origins["Deployment"] == "api:deployments@rv=48213903"
    assert origins["MutatingWebhookConfiguration"] == "api:mutatingwebhookconfigurations@rv=48213901"


def test_items_are_read_only_dicts_in_the_api_json_shape_with_kind_and_api_version(kubeconfig):
    batch = read_cluster(kubeconfig=kubeconfig)
    by_ref = {obj.ref: obj for obj in batch.objects}
    webhook = by_ref["MutatingWebhookConfiguration/vpa-webhook-config"].body
    assert webhook["apiVersion"] == "admissionregistration.k8s.io/v1"
    assert (webhook["webhooks"][0]["timeoutSeconds"], webhook["webhooks"][0]["failurePolicy"]) == (30, "Ignore")
    redis = by_ref["StatefulSet/db/redis"].body
    assert redis["apiVersion"] == "apps/v1"
    assert redis["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] == "10Gi"
    deployment = by_ref["Deployment/kube-system/vpa-admission-controller"].body
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"].endswith("vpa-admission-controller:1.2.0")
    assert "managedFields" not in deployment["metadata"]
    with pytest.raises(TypeError):
        deployment["spec"]["replicas"] = 2  # type: ignore[index]


def test_only_bare_pods_are_kept(kubeconfig):
    pods = {obj.ref for obj in read_cluster(kubeconfig=kubeconfig).objects if obj.kind == "Pod"}
    assert pods == {"Pod/default/debug-shell"}


def test_a_forbidden_resource_names_the_rbac_rule_and_the_others_still_count(kubeconfig):
    batch = read_cluster(kubeconfig=kubeconfig)
    assert texts(batch) == [
        "forbidden: list persistentvolumeclaims (core) at cluster scope: add to the ClusterRole: "
        '{apiGroups: [""], resources: ["persistentvolumeclaims"], verbs: ["list"]} '
        "(user system:serviceaccount:slowburn:slowburn)"
    ]
    assert {obj.kind for obj in batch.objects} == set(KINDS)
    assert "Traceback" not in " ".join(texts(batch))


def test_with_every_permission_the_pvcs_are_read_too(replay, kubeconfig):
    replay.forbidden.clear()
    batch = read_cluster(kubeconfig=kubeconfig)
    assert not batch.problems
    assert {f"PersistentVolumeClaim/db/data-redis-{i}" for i in range(3)} <= refs(batch)
    assert {obj.kind for obj in batch.objects} == set(KINDS) | {"PersistentVolumeClaim"}


def test_given_namespaces_are_listed_one_by_one_and_webhooks_cluster_wide(api, replay, kubeconfig):
    replay.forbidden = {"daemonsets"}
    batch = read_cluster(kubeconfig=kubeconfig, namespaces=("db", "default"))
    assert refs(batch) == {
        "MutatingWebhookConfiguration/vpa-webhook-config",
        "ValidatingWebhookConfiguration/cert-manager-webhook",
        "StatefulSet/db/redis",
        "Pod/default/debug-shell",
        "PersistentVolumeClaim/db/data-redis-0",
        "PersistentVolumeClaim/db/data-redis-1",
        "PersistentVolumeClaim/db/data-redis-2",
    }
    assert {r.path for r in api.requests} >= {
        "/apis/apps/v1/namespaces/db/statefulsets",
        "/api/v1/namespaces/default/pods",
        "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations",
    }
    assert {obj.origin for obj in batch.objects if obj.kind == "StatefulSet"} == {"api:db/statefulsets@rv=48213904"}
    assert texts(batch)[0].startswith(
        'forbidden: list daemonsets (apps) in namespace "db": add to a Role in that namespace '
        '(or the ClusterRole): {apiGroups: ["apps"], resources: ["daemonsets"], verbs: ["list"]}'
    )
    assert len(texts(batch)) == 2


def test_an_expired_continue_token_restarts_the_list_once(api, replay, kubeconfig):
    replay.expire_continue = {"deployments"}
    batch = read_cluster(kubeconfig=kubeconfig, page_size=2)
    assert sum(obj.kind == "Deployment" for obj in batch.objects) == 3  # no duplicates from the first try
    assert len([r for r in api.requests if r.path == "/apis/apps/v1/deployments"]) == 4


def test_unauthorized_is_one_source_error_without_the_token(replay, kubeconfig):
    replay.unauthorized = True
    with pytest.raises(SourceError) as caught:
        read_cluster(kubeconfig=kubeconfig)
    assert "unauthorized: check the token / kubeconfig" in str(caught.value)
    assert TOKEN not in str(caught.value)


def test_a_wrong_token_is_unauthorized(api, tmp_path):
    kubeconfig = write_kubeconfig(tmp_path / "wrong", api.url, "not-the-token")
    with pytest.raises(SourceError, match="unauthorized"):
        read_cluster(kubeconfig=str(kubeconfig))


def test_the_token_never_appears_in_a_problem(replay, kubeconfig):
    replay.forbidden = {r.resource for r in RESOURCES}
    batch = read_cluster(kubeconfig=kubeconfig)
    assert not batch.objects and len(batch.problems) == len(RESOURCES)
    assert all(p.startswith("forbidden: list ") for p in batch.problems)
    assert not any(TOKEN in p for p in batch.problems)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_refused_connection_is_a_source_error_naming_the_server_without_credentials(tmp_path):
    port = free_port()
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", f"http://admin:hunter22@127.0.0.1:{port}", TOKEN)
    with pytest.raises(SourceError) as caught:
        read_cluster(kubeconfig=str(kubeconfig), timeout=2)
    message = str(caught.value)
    assert f"http://127.0.0.1:{port}" in message and "connection refused" in message
    assert TOKEN not in message and "hunter22" not in message


def test_a_server_that_never_answers_is_a_source_error_within_the_timeout(tmp_path):
    def hang(request):
        server.stopping.wait(10)
        return 200, {}, b""

    with LoopbackHTTPServer(hang) as server:
        kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", server.url, TOKEN)
        with pytest.raises(SourceError, match=r"no answer within 0.3 s"):
            read_cluster(kubeconfig=str(kubeconfig), timeout=0.3)


def test_a_missing_kubeconfig_is_a_config_error(tmp_path, monkeypatch):
    monkeypatch.delenv("KUBECONFIG", raising=False)
    with pytest.raises(ConfigError, match="no kubeconfig found") as caught:
        read_cluster(kubeconfig=str(tmp_path / "absent"))
    assert str(tmp_path / "absent") in str(caught.value)


def test_an_unknown_context_or_a_malformed_kubeconfig_is_a_located_config_error(kubeconfig, tmp_path):
    with pytest.raises(ConfigError, match="unusable kubeconfig"):
        read_cluster(kubeconfig=kubeconfig, context="production")
    broken = tmp_path / "broken"
    broken.write_text("clusters: [\n")
    with pytest.raises(ConfigError, match=r"not valid YAML at line 2"):
        read_cluster(kubeconfig=str(broken))


def test_in_cluster_outside_a_pod_is_a_config_error(monkeypatch):
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_PORT", raising=False)
    with pytest.raises(ConfigError, match="no in-cluster service account"):
        read_cluster(in_cluster=True)


def test_an_injected_api_client_is_used_and_the_global_configuration_is_left_alone(api, kubeconfig):
    before = client.Configuration.get_default_copy().host
    configuration = client.Configuration()
    config.load_kube_config(config_file=kubeconfig, client_configuration=configuration, persist_config=False)
    with client.ApiClient(configuration) as injected:
        batch = read_cluster(api_client=injected)
    assert "Deployment/kube-system/vpa-updater" in refs(batch)
    read_cluster(kubeconfig=kubeconfig)
    assert client.Configuration.get_default_copy().host == before


def test_a_server_error_or_a_broken_body_is_a_problem_per_resource_not_a_traceback(tmp_path):
    answers = {
        "/apis/apps/v1/deployments": (
            500,
            b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",'
            b'"message":"etcdserver: request timed out","reason":"InternalError","code":500}',
        ),
        "/apis/apps/v1/statefulsets": (200, b"<html>proxy error</html>"),
    }
    empty = b'{"kind":"List","apiVersion":"v1","metadata":{"resourceVersion":"7"},"items":[]}'

    def respond(request):
        code, body = answers.get(request.path, (200, empty))
        return code, {"Content-Type": "application/json"}, body

    with LoopbackHTTPServer(respond) as server:
        batch = read_cluster(kubeconfig=str(write_kubeconfig(tmp_path / "kubeconfig", server.url, TOKEN)))
    server_error, broken = batch.problems
    assert server_error == "HTTP 500: list deployments (apps) at cluster scope: etcdserver: request timed out"
    assert broken.startswith("malformed response: list statefulsets (apps) at cluster scope: ") and "\n" not in broken


@pytest.mark.parametrize("settings", [{"page_size": 0}, {"page_size": 2.5}, {"timeout": 0}])
def test_a_nonsensical_page_size_or_timeout_is_a_config_error(kubeconfig, settings):
    with pytest.raises(ConfigError):
        read_cluster(kubeconfig=kubeconfig, **settings)


def test_a_run_reads_the_limits_from_the_cluster_and_a_forbidden_resource_is_a_note_not_a_failure(kubeconfig, tmp_path):
    """`run` with `kubernetes: {kubeconfig}`: the real client against the loopback API server."""
    import io
    import json
    from pathlib import Path

    import yaml

    from detector.cli import main
    from detector.core.environment import Environment

    root = Path(__file__).resolve().parents[2]
    document = yaml.safe_load((root / "config" / "replicas.yaml").read_text())
    document["kubernetes"] = {"kubeconfig": kubeconfig}
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(document))
    out, err = io.StringIO(), io.StringIO()
    status = main(
        [
            "run",
            "--config",
            str(config),
            "--data",
            str(root / "data" / "replicas"),
            "--at",
            "2026-02-10T00:00:00Z",
            "--json",
            str(tmp_path / "run.json"),
        ],
        Environment(stdout=out, stderr=err, environ={}),
    )
    assert status == 0, err.getvalue()
    result = json.loads((tmp_path / "run.json").read_text())
    assert any(f["kind"] == "fail_open_risk" for f in result["findings"])
    assert any("persistentvolumeclaims" in note and "add to the ClusterRole" in note for note in result["notes"])
    assert TOKEN not in out.getvalue() + err.getvalue() + (tmp_path / "run.json").read_text()


def test_a_cluster_that_cannot_be_read_holds_the_configuration_alerts_and_the_run_goes_on(tmp_path):
    """A refused connection: the run evaluates every signal, exits 5 (partial) and marks `kubernetes` failed,
    so the alert sinks hold (not resolve) the configuration alerts of earlier runs."""
    import pandas as pd

    from detector.configuration.schema import Config
    from detector.core.evaluation import Evaluation
    from detector.limits.load import load_limits, with_configuration_findings

    port = socket.socket()
    port.bind(("127.0.0.1", 0))
    address = port.getsockname()[1]
    port.close()
    kubeconfig = str(write_kubeconfig(tmp_path / "kubeconfig", f"http://127.0.0.1:{address}", TOKEN))
    config = Config.model_validate({"signals": [{"name": "x"}], "kubernetes": {"kubeconfig": kubeconfig}})
    known = load_limits(config)
    assert known.failure is not None and known.problems
    evaluation = with_configuration_findings(Evaluation(at=pd.Timestamp("2026-01-01", tz="UTC"), findings=()), known, config)
    assert "kubernetes" in evaluation.failed_signals
    assert TOKEN not in str(known.failure) and all(TOKEN not in p for p in known.problems)


def test_limits_from_both_the_manifests_and_the_cluster_lists_both_and_compares_them(kubeconfig, tmp_path):
    import io
    import json
    from pathlib import Path

    from detector.cli import main
    from detector.core.environment import Environment

    manifests = Path(__file__).resolve().parents[2] / "data" / "replicas" / "manifests"
    out, err = io.StringIO(), io.StringIO()
    status = main(
        ["limits", "--manifests", str(manifests), "--live", "--kubeconfig", kubeconfig, "--json", str(tmp_path / "l.json")],
        Environment(stdout=out, stderr=err, environ={}),
    )
    document = json.loads((tmp_path / "l.json").read_text())
    assert status == 5, err.getvalue()  # PVCs are forbidden in this replay: partial, named
    assert {row["read_from"] for row in document["limits"]} == {"cluster", "manifests"}
    assert any("add to the ClusterRole" in p for p in document["problems"])
    assert TOKEN not in out.getvalue() + err.getvalue()
