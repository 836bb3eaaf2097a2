"""The limits configured in Kubernetes objects: webhook timeouts and failure policies, client QPS and
burst, container memory limits, PVC sizes and StatefulSet volume-claim-template sizes.

Unknown kinds are skipped. A bad value in one object (a quantity that does not parse, a timeout that is
not a number) is one problem naming the object and the field; the other values still count.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from detector.limits.client_defaults import ClientSetting, client_limits
from detector.limits.model import KubeObject, Limit, LimitSet, ObjectBatch
from detector.limits.quantity import parse_quantity

WEBHOOK_KINDS = {"MutatingWebhookConfiguration": "admit", "ValidatingWebhookConfiguration": "validating"}
# where the pod template sits in each workload kind
POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
# API defaults of an unset field, by admissionregistration.k8s.io version (kubernetes/kubernetes
# pkg/apis/admissionregistration/{v1,v1beta1}/defaults.go: v1 10 s / Fail, v1beta1 30 s / Ignore)
WEBHOOK_DEFAULTS = {"v1": (10.0, "Fail"), "v1beta1": (30.0, "Ignore")}

_Templates = dict[tuple[str | None, str], tuple[str, str]]


@dataclass
class _Collector:
    """Limits and problems gathered while walking one batch (private, never returned)."""

    limits: list[Limit] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def add(
        self,
        obj: KubeObject,
        kind: str,
        target: str,
        value: float | str,
        source: str,
        detail: str = "",
        labels: Mapping[str, str] | None = None,
    ) -> None:
        extra = {**(labels or {}), "origin": obj.origin}
        self.limits.append(
            Limit(
                kind=kind,
                object=obj.ref,
                target=target,
                value=value,
                source=source,
                namespace=obj.namespace,
                detail=detail,
                labels=tuple(sorted(extra.items())),
            )
        )

    def problem(self, obj: KubeObject, where: str, what: str) -> None:
        self.problems.append(f"{obj.origin}: {obj.ref}: {where}: {what}")

    def quantity(self, obj: KubeObject, where: str, raw: Any) -> float | None:
        try:
            return parse_quantity(raw)
        except ValueError as exc:
            self.problem(obj, where, str(exc))
            return None


def extract_limits(batch: ObjectBatch, origin: str) -> LimitSet:
    """Every limit in ``batch``; ``origin`` says where the batch came from (``manifests DIR``, ``cluster``)."""
    out = _Collector()
    objects = [obj for obj in batch.objects if not _owned_by_workload(obj)]
    templates = _statefulset_templates(objects)
    for obj in objects:
        if obj.kind in WEBHOOK_KINDS:
            _webhooks(obj, out)
        elif obj.kind == "PersistentVolumeClaim":
            _pvc(obj, templates, out)
        if obj.kind in POD_SPEC_PATHS:
            _containers(obj, out)
        if obj.kind == "StatefulSet":
            _claim_templates(obj, out)
    return LimitSet(limits=tuple(out.limits), problems=(*batch.problems, *out.problems), objects=len(batch.objects), origin=origin)


def _webhooks(obj: KubeObject, out: _Collector) -> None:
    api_version = str(obj.body.get("apiVersion", ""))
    timeout_default, policy_default = WEBHOOK_DEFAULTS.get(api_version.rsplit("/", 1)[-1], WEBHOOK_DEFAULTS["v1"])
    beta = api_version.endswith("/v1beta1")
    note = f" ({api_version} defaults to 30 s and Ignore; v1 to 10 s and Fail)" if beta else ""
    for index, hook in enumerate(_list(obj.body.get("webhooks"))):
        name = str(_get(hook, "name") or f"webhooks[{index}]")
        labels = {"type": WEBHOOK_KINDS[obj.kind]}
        timeout = _get(hook, "timeoutSeconds")
        if timeout is None:
            out.add(
                obj, "webhook_timeout", name, timeout_default, "api_default", f"timeoutSeconds unset: {timeout_default:g} s{note}", labels
            )
        elif isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and 1 <= timeout <= 30:
            out.add(obj, "webhook_timeout", name, float(timeout), "spec", f"timeoutSeconds: {timeout}", labels)
        else:
            out.problem(obj, f"webhooks[{index}].timeoutSeconds", f"{timeout!r} is not a number of seconds from 1 to 30")
        policy = _get(hook, "failurePolicy")
        if policy is None:
            out.add(
                obj, "webhook_failure_policy", name, policy_default, "api_default", f"failurePolicy unset: {policy_default}{note}", labels
            )
        elif policy in ("Fail", "Ignore"):
            out.add(obj, "webhook_failure_policy", name, str(policy), "spec", f"failurePolicy: {policy}", labels)
        else:
            out.problem(obj, f"webhooks[{index}].failurePolicy", f"{policy!r} is not Fail or Ignore")


def _containers(obj: KubeObject, out: _Collector) -> None:
    spec = _path(obj.body, POD_SPEC_PATHS[obj.kind])
    for index, container in enumerate(_list(_get(spec, "containers"))):
        name = str(_get(container, "name") or f"containers[{index}]")
        image = str(_get(container, "image") or "")
        where = f"containers[{index}]"
        memory = _path(container, ("resources", "limits", "memory"))
        if memory is not None:
            value = out.quantity(obj, f"{where}.resources.limits.memory", memory)
            if value is not None:
                out.add(obj, "memory_limit", name, value, "spec", f"resources.limits.memory: {memory}", {"image": image})
        argv = [str(word) for key in ("command", "args") for word in _list(_get(container, key))]
        client = client_limits(image, argv)
        if client is None:
            continue
        for problem in client.problems:
            out.problem(obj, where, problem)
        labels = {"image": image, "version": client.version, **({"component": client.component} if client.component else {})}
        for kind, setting in (("client_qps", client.qps), ("client_burst", client.burst)):
            if isinstance(setting, ClientSetting):
                out.add(obj, kind, name, setting.value, setting.source, setting.detail, labels)


def _claim_templates(obj: KubeObject, out: _Collector) -> None:
    replicas = _path(obj.body, ("spec", "replicas"))
    for index, template in enumerate(_list(_path(obj.body, ("spec", "volumeClaimTemplates")))):
        name = str(_path(template, ("metadata", "name")) or f"volumeClaimTemplates[{index}]")
        raw = _path(template, ("spec", "resources", "requests", "storage"))
        if raw is None:
            continue
        value = out.quantity(obj, f"spec.volumeClaimTemplates[{index}].spec.resources.requests.storage", raw)
        if value is not None:
            labels = {"statefulset": obj.ref, **({"replicas": str(replicas)} if replicas is not None else {})}
            out.add(obj, "volume_claim_template", name, value, "spec", f"requests.storage: {raw}", labels)


def _pvc(obj: KubeObject, templates: _Templates, out: _Collector) -> None:
    labels = _pvc_owner(obj, templates)
    for kind, path, source in (
        ("pvc_request", ("spec", "resources", "requests", "storage"), "spec"),
        ("pvc_capacity", ("status", "capacity", "storage"), "status"),
    ):
        raw = _path(obj.body, path)
        if raw is None:
            continue
        value = out.quantity(obj, ".".join(path), raw)
        if value is not None:
            out.add(obj, kind, obj.name, value, source, f"{'.'.join(path)}: {raw}", labels)


def _pvc_owner(obj: KubeObject, templates: _Templates) -> dict[str, str]:
    """``statefulset`` (its ``Kind/namespace/name``), ``template`` and ``ordinal`` when the PVC is named
    ``<template>-<statefulset>-<ordinal>`` after a StatefulSet of the same namespace in the batch."""
    match = re.fullmatch(r"(.+)-(\d+)", obj.name)
    owner = templates.get((obj.namespace, match[1])) if match else None
    if match is None or owner is None:
        return {}
    return {"statefulset": owner[0], "template": owner[1], "ordinal": match[2]}


def _statefulset_templates(objects: list[KubeObject]) -> _Templates:
    """(namespace, ``<template>-<statefulset>``) -> (the StatefulSet's ``Kind/namespace/name``, template)."""
    found: _Templates = {}
    for obj in objects:
        if obj.kind != "StatefulSet":
            continue
        for template in _list(_path(obj.body, ("spec", "volumeClaimTemplates"))):
            name = _path(template, ("metadata", "name"))
            if name:
                found.setdefault((obj.namespace, f"{name}-{obj.name}"), (obj.ref, str(name)))
    return found


def _owned_by_workload(obj: KubeObject) -> bool:
    """A Pod of a ReplicaSet, a ReplicaSet of a Deployment, a Job of a CronJob: its owner is counted."""
    if obj.kind not in POD_SPEC_PATHS:
        return False
    owners = _list(_path(obj.body, ("metadata", "ownerReferences")))
    return any(_get(owner, "controller") is True and _get(owner, "kind") in POD_SPEC_PATHS for owner in owners)


def _get(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, Mapping) else None


def _path(value: Any, keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = _get(value, key)
    return value


def _list(value: Any) -> Iterator[Any]:
    return iter(value) if isinstance(value, (list, tuple)) else iter(())
