"""A Kubernetes API server stand-in on 127.0.0.1 that replays recorded list responses.

No real API server can be installed on these machines, so the real ``kubernetes`` client talks to a
``LoopbackHTTPServer`` answering like kube-apiserver does:

    replay = KubeReplay(token="t0ken", forbidden={"persistentvolumeclaims"})
    with LoopbackHTTPServer(replay) as server:
        kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", server.url, "t0ken")
        read_cluster(kubeconfig=str(kubeconfig))

- ``kube_responses/<resource>.json``: the full list as the API answered it without ``limit``
  (``kind: DeploymentList``, ``metadata.resourceVersion``, items without kind/apiVersion);
- ``limit`` cuts it into pages in etcd key order (``namespace/name``); every page but the last carries
  ``metadata.continue`` (a kube-apiserver style token: base64 of ``{"v","rv","start"}``) and
  ``remainingItemCount``; ``continue`` resumes after the previous page;
- ``/namespaces/<ns>/`` paths list one namespace; a resource in ``forbidden`` answers the 403 Status
  (recorded in ``status-403-<resource>.json``, else built the way kube-apiserver words it); a wrong or
  missing bearer token answers the recorded 401; ``expire_continue`` answers 410 Expired to the first
  continued request of those resources; anything else is the apiserver's 404.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from tests.integration.loopback_http import Recorded

RESPONSES = Path(__file__).parent / "kube_responses"
JSON = {"Content-Type": "application/json"}
ROUTE = re.compile(r"^/(?:api/v1|apis/(?P<group>[^/]+)/v1)(?:/namespaces/(?P<namespace>[^/]+))?/(?P<resource>[^/]+)$")
GROUPS = {
    "mutatingwebhookconfigurations": "admissionregistration.k8s.io",
    "validatingwebhookconfigurations": "admissionregistration.k8s.io",
    "deployments": "apps",
    "statefulsets": "apps",
    "daemonsets": "apps",
    "pods": "",
    "persistentvolumeclaims": "",
}
USER = "system:serviceaccount:slowburn:slowburn"


def recorded(name: str) -> dict:
    return json.loads((RESPONSES / name).read_text())


def status(code: int, reason: str, message: str, **extra: object) -> dict:
    """A ``Status`` object as kube-apiserver answers errors."""
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": extra.pop("metadata", {}),
        "status": "Failure",
        "message": message,
        "reason": reason,
        **extra,
        "code": code,
    }


def forbidden(resource: str, namespace: str | None) -> dict:
    if namespace is None and (RESPONSES / f"status-403-{resource}.json").exists():
        return recorded(f"status-403-{resource}.json")
    group = GROUPS[resource]
    scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    details = {"group": group, "kind": resource} if group else {"kind": resource}
    return status(
        403,
        "Forbidden",
        f'{resource} is forbidden: User "{USER}" cannot list resource "{resource}" in API group "{group}" {scope}',
        details=details,
    )


def continue_token(resource_version: str, start: str) -> str:
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": int(resource_version), "start": start + "\x00"}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def token_start(token: str) -> str:
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    return str(json.loads(raw)["start"])


def key_of(item: dict) -> str:
    meta = item["metadata"]
    return f"{meta['namespace']}/{meta['name']}" if meta.get("namespace") else meta["name"]


@dataclass
class KubeReplay:
    """The responder: ``LoopbackHTTPServer(KubeReplay(token=...))``. Settings may change between requests."""

    token: str
    forbidden: set[str] = field(default_factory=set)
    expire_continue: set[str] = field(default_factory=set)
    unauthorized: bool = False  # answer 401 to everything, whatever the token

    def __call__(self, request: Recorded) -> tuple[int, dict[str, str], bytes]:
        headers = {k.lower(): v for k, v in request.headers.items()}
        if self.unauthorized or headers.get("authorization") != f"Bearer {self.token}":
            return self.answer(recorded("status-401.json"))
        match = ROUTE.match(request.path)
        if request.method != "GET" or not match or match["resource"] not in GROUPS or GROUPS[match["resource"]] != (match["group"] or ""):
            return self.answer(status(404, "NotFound", "the server could not find the requested resource", details={}))
        resource, namespace = match["resource"], match["namespace"]
        if resource in self.forbidden:
            return self.answer(forbidden(resource, namespace))
        params = {k: v[0] for k, v in request.params.items()}
        listing = recorded(f"{resource}.json")
        if "continue" in params and resource in self.expire_continue:
            self.expire_continue.discard(resource)
            return self.answer(
                status(
                    410,
                    "Expired",
                    "The provided continue parameter is too old to display a consistent list result. "
                    "You can start a new list without the continue parameter.",
                    metadata={"continue": params["continue"]},
                )
            )
        items = sorted((i for i in listing["items"] if namespace in (None, i["metadata"].get("namespace"))), key=key_of)
        if "continue" in params:
            try:
                start = token_start(params["continue"])
            except (ValueError, KeyError):
                return self.answer(status(400, "BadRequest", "continue key is not valid: incorrect encoded start resourceVersion"))
            items = [i for i in items if key_of(i) >= start]
        limit = int(params.get("limit") or 0)
        page, rest = (items[:limit], items[limit:]) if limit > 0 else (items, [])
        meta = {"resourceVersion": listing["metadata"]["resourceVersion"]}
        if rest:
            meta["continue"] = continue_token(meta["resourceVersion"], key_of(page[-1]))
            meta["remainingItemCount"] = len(rest)
        return self.answer({**listing, "metadata": meta, "items": page}, code=200)

    @staticmethod
    def answer(body: dict, code: int | None = None) -> tuple[int, dict[str, str], bytes]:
        return code or int(body["code"]), dict(JSON), json.dumps(body).encode()


def write_kubeconfig(path: Path, server: str, token: str, *, context: str = "replay") -> Path:
    """A kubeconfig whose ``context`` points at ``server`` with a bearer ``token``."""
    path.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": context,
                "clusters": [{"name": "replay", "cluster": {"server": server}}],
                "users": [{"name": "slowburn", "user": {"token": token}}],
                "contexts": [{"name": context, "context": {"cluster": "replay", "user": "slowburn", "namespace": "monitoring"}}],
            },
            indent=2,
        )
    )
    return path
