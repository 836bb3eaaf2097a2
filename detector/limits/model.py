"""What a limits source yields: Kubernetes objects with where they came from, and the limits in them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class KubeObject:
    """One Kubernetes object as a read-only mapping, and where it was read (``file:document`` or ``api``)."""

    body: Mapping[str, Any]
    origin: str

    @property
    def kind(self) -> str:
        return str(self.body.get("kind", ""))

    @property
    def namespace(self) -> str | None:
        meta = self.body.get("metadata") or {}
        return meta.get("namespace")

    @property
    def name(self) -> str:
        meta = self.body.get("metadata") or {}
        return str(meta.get("name", ""))

    @property
    def ref(self) -> str:
        """``Kind/namespace/name``, or ``Kind/name`` when cluster-scoped."""
        return f"{self.kind}/{self.namespace}/{self.name}" if self.namespace else f"{self.kind}/{self.name}"


def frozen(value: Any) -> Any:
    """A deep read-only copy of parsed YAML/JSON (mappings become MappingProxyType, lists tuples)."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: frozen(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(frozen(v) for v in value)
    return value


@dataclass(frozen=True)
class Limit:
    """One configured (or defaulted) limit. ``kind``: webhook_timeout (s), webhook_failure_policy
    ("Fail"/"Ignore"), client_qps, client_burst, memory_limit, pvc_request, pvc_capacity,
    volume_claim_template (bytes). ``source``: spec, flag, default (the versioned client table),
    api_default (the API's default for an unset field) or status. ``value`` is a float in the kind's
    unit, or a string for ``webhook_failure_policy``. ``object`` is ``Kind/namespace/name``; ``labels`` are extra identity
    (e.g. the owning StatefulSet of a PVC, the image and version of a client)."""

    kind: str
    object: str
    target: str
    value: float | str
    source: str
    namespace: str | None = None
    detail: str = ""  # e.g. "vpa admission-controller 1.2.0: default 5 (client-go)"
    labels: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "object": self.object,
            "target": self.target,
            "value": self.value,
            "source": self.source,
            "namespace": self.namespace,
            "detail": self.detail,
            "labels": dict(self.labels),
        }


@dataclass(frozen=True)
class LimitSet:
    """Limits found, with the problems met while reading (one per bad file or forbidden resource)."""

    limits: tuple[Limit, ...] = ()
    problems: tuple[str, ...] = ()
    objects: int = 0
    origin: str = ""  # "manifests DIR" or "cluster"

    def of_kind(self, kind: str) -> tuple[Limit, ...]:
        return tuple(limit for limit in self.limits if limit.kind == kind)

    def to_dict(self) -> dict[str, Any]:
        return {"limits": [limit.to_dict() for limit in self.limits], "problems": list(self.problems), "objects": self.objects}


@dataclass(frozen=True)
class ObjectBatch:
    """Objects read by a source, and the located problems met (the rest still count)."""

    objects: tuple[KubeObject, ...] = ()
    problems: tuple[str, ...] = field(default_factory=tuple)
