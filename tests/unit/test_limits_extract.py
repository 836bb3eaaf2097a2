"""Limits from objects: webhook timeouts and policies with their API defaults, client QPS/burst from
flags or the versioned defaults table, memory limits, PVC and volume-claim-template sizes."""

from pathlib import Path

import pytest

from detector.limits.client_defaults import TABLE, client_limits, lookup, parse_version, split_image
from detector.limits.extract import extract_limits
from detector.limits.manifests import read_manifests
from detector.limits.model import KubeObject, ObjectBatch, frozen

TREE = Path(__file__).parent / "manifests"
GI = 2**30


def batch_of(*bodies, problems=()):
    return ObjectBatch(objects=tuple(KubeObject(frozen(b), f"test.yaml#{i}") for i, b in enumerate(bodies, 1)), problems=problems)


def deployment(image, args=(), command=(), name="app", namespace="ns", container="main", memory=None, kind="Deployment", **meta):
    spec = {"name": container, "image": image}
    if args:
        spec["args"] = list(args)
    if command:
        spec["command"] = list(command)
    if memory is not None:
        spec["resources"] = {"limits": {"memory": memory}}
    pod = {"containers": [spec]}
    body = {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name, "namespace": namespace, **meta}}
    body["spec"] = pod if kind == "Pod" else {"template": {"spec": pod}}
    return body


def webhook_config(api_version="admissionregistration.k8s.io/v1", kind="MutatingWebhookConfiguration", **hook):
    return {"apiVersion": api_version, "kind": kind, "metadata": {"name": "hooks"}, "webhooks": [{"name": "vpa.k8s.io", **hook}]}


def the(limits, kind, target=None):
    (found,) = [limit for limit in limits.limits if limit.kind == kind and (target is None or limit.target == target)]
    return found


VPA_AC = "registry.k8s.io/autoscaling/vpa-admission-controller"


# --- client QPS and burst -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["--kube-api-qps=30", "--kube-api-burst=60"],
        ["--kube-api-qps", "30", "--kube-api-burst", "60"],
        ["-kube-api-qps=30", "-kube-api-burst", "60"],
    ],
)
def test_flags_in_either_spelling_win_over_the_defaults_table(args):
    limits = extract_limits(batch_of(deployment(f"{VPA_AC}:1.2.0", args=args)), "test")
    assert (the(limits, "client_qps").value, the(limits, "client_qps").source) == (30.0, "flag")
    assert (the(limits, "client_burst").value, the(limits, "client_burst").source) == (60.0, "flag")


def test_flags_are_found_in_command_as_well_as_args_and_may_be_fractional():
    limits = extract_limits(batch_of(deployment(f"{VPA_AC}:1.2.0", command=["/admission-controller", "--kube-api-qps=5.5"])), "test")
    assert the(limits, "client_qps").value == 5.5 and the(limits, "client_qps").source == "flag"
    assert the(limits, "client_burst").value == 10.0 and the(limits, "client_burst").source == "default"


def test_a_flag_inside_a_shell_command_line_counts():
    limits = extract_limits(batch_of(deployment(f"{VPA_AC}:1.2.0", command=["sh", "-c", "exec /ac --kube-api-qps=25 --v=4"])), "test")
    assert the(limits, "client_qps").value == 25.0


def test_vpa_1_2_without_flags_runs_on_5_and_10_from_the_table():
    limits = extract_limits(
        batch_of(deployment(f"{VPA_AC}:1.2.0", name="vpa-admission-controller", namespace="kube-system", container="admission-controller")),
        "test",
    )
    qps, burst = the(limits, "client_qps"), the(limits, "client_burst")
    assert (qps.value, burst.value, qps.source, burst.source) == (5.0, 10.0, "default", "default")
    assert qps.object == "Deployment/kube-system/vpa-admission-controller" and qps.target == "admission-controller"
    assert dict(qps.labels)["image"] == f"{VPA_AC}:1.2.0" and dict(qps.labels)["version"] == "1.2.0"
    assert "before 1.5.0" in qps.detail


def test_vpa_1_5_without_flags_runs_on_50_and_100_from_the_table():
    limits = extract_limits(batch_of(deployment("registry.k8s.io/autoscaling/vpa-updater:1.5.0")), "test")
    assert (the(limits, "client_qps").value, the(limits, "client_burst").value) == (50.0, 100.0)


def test_the_version_boundary_is_compared_as_a_version_not_as_text():
    assert lookup(f"{VPA_AC}:1.4.9")[0].qps == 5.0
    assert lookup(f"{VPA_AC}:1.10.0")[0].qps == 50.0
    assert lookup(f"{VPA_AC}:v1.5.1")[0].qps == 50.0


def test_an_old_registry_or_a_mirror_matches_by_image_name():
    assert lookup("k8s.gcr.io/autoscaling/vpa-recommender:0.14.0")[0].qps == 5.0
    assert lookup("harbor.example.com:5000/platform/vpa-recommender:1.1.2")[0].burst == 10.0


def test_an_unversioned_tag_takes_the_newest_row_and_says_so():
    row, detail = lookup(f"{VPA_AC}:latest")
    assert row.qps == 50.0 and "'latest' is not a version" in detail
    row, detail = lookup(f"{VPA_AC}@sha256:0123abcd")
    assert row.qps == 50.0 and "no tag" in detail


def test_kube_controller_manager_and_scheduler_have_their_own_defaults():
    kcm, scheduler = lookup("registry.k8s.io/kube-controller-manager:v1.30.2")[0], lookup("registry.k8s.io/kube-scheduler:v1.30.2")[0]
    assert (kcm.qps, kcm.burst) == (20.0, 30.0)
    assert (scheduler.qps, scheduler.burst) == (50.0, 100.0)


def test_every_row_cites_where_its_numbers_come_from():
    assert all(row.source and "@" in row.source for row in TABLE)


def test_an_unknown_image_counts_only_when_it_names_the_flags():
    assert client_limits("example.com/operator:2.0", ["/operator", "--leader-elect"]) is None
    limits = extract_limits(batch_of(deployment("example.com/operator:2.0", args=["--kube-api-qps=100"])), "test")
    assert the(limits, "client_qps").value == 100.0 and not [limit for limit in limits.limits if limit.kind == "client_burst"]


def test_a_flag_that_is_not_a_number_is_a_problem_and_the_default_stands():
    limits = extract_limits(batch_of(deployment(f"{VPA_AC}:1.2.0", args=["--kube-api-qps=fast"])), "test")
    assert the(limits, "client_qps").value == 5.0
    assert limits.problems == ("test.yaml#1: Deployment/ns/app: containers[0]: --kube-api-qps='fast' is not a number",)


def test_images_split_into_repository_and_tag_even_behind_a_registry_port():
    assert split_image("localhost:5000/vpa-updater:1.2.0") == ("localhost:5000/vpa-updater", "1.2.0")
    assert split_image("localhost:5000/vpa-updater") == ("localhost:5000/vpa-updater", None)
    assert parse_version("v1.29.3-gke.100") == (1, 29, 3) and parse_version("latest") is None


# --- which objects count ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["Deployment", "StatefulSet", "DaemonSet", "Pod"])
def test_containers_of_every_workload_kind_and_bare_pods_are_read(kind):
    limits = extract_limits(batch_of(deployment(f"{VPA_AC}:1.2.0", kind=kind, memory="256Mi")), "test")
    assert the(limits, "memory_limit").value == 256 * 2**20 and the(limits, "client_qps").object == f"{kind}/ns/app"


def test_a_pod_owned_by_a_replicaset_is_left_to_its_owner():
    owned = deployment(f"{VPA_AC}:1.2.0", kind="Pod", ownerReferences=[{"kind": "ReplicaSet", "name": "app-5d8f", "controller": True}])
    assert extract_limits(batch_of(owned), "test").limits == ()


def test_init_containers_are_not_clients_of_the_workload():
    body = deployment("busybox:1.36")
    body["spec"]["template"]["spec"]["initContainers"] = [{"name": "init", "image": f"{VPA_AC}:1.2.0"}]
    assert extract_limits(batch_of(body), "test").limits == ()


def test_unknown_kinds_are_skipped_silently():
    limits = extract_limits(
        batch_of({"apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscaler", "metadata": {"name": "x"}}), "test"
    )
    assert (limits.limits, limits.problems, limits.objects) == ((), (), 1)


# --- webhooks -----------------------------------------------------------------------------------------


def test_an_unset_webhook_timeout_is_10_s_and_fail_under_v1():
    limits = extract_limits(batch_of(webhook_config()), "test")
    timeout, policy = the(limits, "webhook_timeout"), the(limits, "webhook_failure_policy")
    assert (timeout.value, timeout.source, timeout.target) == (10.0, "api_default", "vpa.k8s.io")
    assert (policy.value, policy.source) == ("Fail", "api_default")
    assert timeout.object == "MutatingWebhookConfiguration/hooks" and dict(timeout.labels)["type"] == "admit"


def test_an_unset_webhook_timeout_is_30_s_and_ignore_under_v1beta1_and_the_detail_says_why():
    limits = extract_limits(batch_of(webhook_config("admissionregistration.k8s.io/v1beta1", "ValidatingWebhookConfiguration")), "test")
    timeout, policy = the(limits, "webhook_timeout"), the(limits, "webhook_failure_policy")
    assert (timeout.value, timeout.source, policy.value, policy.source) == (30.0, "api_default", "Ignore", "api_default")
    assert "v1beta1" in timeout.detail and "v1beta1" in policy.detail
    assert dict(timeout.labels)["type"] == "validating"


def test_a_written_timeout_and_policy_are_taken_from_the_spec():
    limits = extract_limits(batch_of(webhook_config(timeoutSeconds=30, failurePolicy="Ignore")), "test")
    assert (the(limits, "webhook_timeout").value, the(limits, "webhook_timeout").source) == (30.0, "spec")
    assert (the(limits, "webhook_failure_policy").value, the(limits, "webhook_failure_policy").source) == ("Ignore", "spec")


def test_a_timeout_that_is_not_a_number_is_a_problem_naming_the_field():
    limits = extract_limits(batch_of(webhook_config(timeoutSeconds="soon")), "test")
    assert limits.problems == (
        "test.yaml#1: MutatingWebhookConfiguration/hooks: webhooks[0].timeoutSeconds: 'soon' is not a number of seconds from 1 to 30",
    )
    assert the(limits, "webhook_failure_policy").value == "Fail"


@pytest.mark.parametrize(("timeout", "kept"), [(1, True), (30, True), (0, False), (31, False), (float("nan"), False)])
def test_a_timeout_outside_the_apis_1_to_30_seconds_is_a_problem(timeout, kept):
    limits = extract_limits(batch_of(webhook_config(timeoutSeconds=timeout)), "test")
    assert bool(limits.of_kind("webhook_timeout")) is kept and bool(limits.problems) is not kept


def test_a_failure_policy_other_than_fail_or_ignore_is_a_problem():
    limits = extract_limits(batch_of(webhook_config(failurePolicy=[1])), "test")
    assert not limits.of_kind("webhook_failure_policy") and "not Fail or Ignore" in limits.problems[0]


# --- memory, PVCs and templates ----------------------------------------------------------------------------


def test_a_bad_memory_quantity_is_a_problem_naming_object_and_field_and_the_rest_still_counts():
    limits = extract_limits(
        batch_of(deployment("shop/backend:1", memory="2Gb"), deployment("shop/backend:1", name="ok", memory="2Gi")), "test"
    )
    assert [limit.object for limit in limits.limits] == ["Deployment/ns/ok"]
    (problem,) = limits.problems
    assert problem.startswith("test.yaml#1: Deployment/ns/app: containers[0].resources.limits.memory: '2Gb' is not")


def redis(template_size="10Gi"):
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "redis", "namespace": "redis"},
        "spec": {
            "replicas": 3,
            "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {"resources": {"requests": {"storage": template_size}}}}],
        },
    }


def pvc(name, request, capacity=None, namespace="redis"):
    body = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"resources": {"requests": {"storage": request}}},
    }
    if capacity is not None:
        body["status"] = {"capacity": {"storage": capacity}}
    return body


def test_a_statefulset_template_is_a_limit_targeted_at_the_template_name():
    template = the(extract_limits(batch_of(redis()), "test"), "volume_claim_template")
    assert (template.object, template.target, template.value, template.source) == ("StatefulSet/redis/redis", "data", 10 * GI, "spec")
    assert dict(template.labels)["replicas"] == "3"


def test_pvcs_give_request_and_capacity_and_name_their_statefulset_and_template():
    limits = extract_limits(batch_of(redis(), pvc("data-redis-0", "20Gi", "20Gi")), "test")
    request, capacity = the(limits, "pvc_request"), the(limits, "pvc_capacity")
    assert (request.value, request.source, capacity.value, capacity.source) == (20 * GI, "spec", 20 * GI, "status")
    assert request.target == "data-redis-0" and request.namespace == "redis"
    assert dict(capacity.labels)["statefulset"] == "StatefulSet/redis/redis" and dict(capacity.labels)["template"] == "data"


def test_a_pvc_of_a_statefulset_in_another_namespace_has_no_owner():
    limits = extract_limits(batch_of(redis(), pvc("data-redis-0", "20Gi", namespace="other")), "test")
    assert "statefulset" not in dict(the(limits, "pvc_request").labels)


def test_a_pending_pvc_without_status_has_only_a_request():
    limits = extract_limits(batch_of(pvc("scratch", "1Gi")), "test")
    assert [limit.kind for limit in limits.limits] == ["pvc_request"]


# --- the fixture tree end to end ---------------------------------------------------------------------------


def test_a_malformed_file_does_not_hide_the_limits_of_the_other_files():
    limits = extract_limits(read_manifests(TREE), f"manifests {TREE}")
    assert len(limits.problems) == 1 and "broken.yaml:12" in limits.problems[0]
    assert the(limits, "client_qps", "recommender").value == 20.0
    assert the(limits, "webhook_timeout", "legacy.example.com").value == 30.0
    assert the(limits, "volume_claim_template", "data").value == 8 * GI
    assert dict(the(limits, "pvc_capacity", "data-redis-0").labels)["origin"] == f"{TREE}/pvcs.json#1.items[0]"
    assert limits.origin == f"manifests {TREE}" and limits.objects == 10
