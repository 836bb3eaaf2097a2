"""Live limits source: list, read-only, the Kubernetes objects the limits are extracted from.

``read_cluster`` lists exactly ``RESOURCES`` (``deploy/rbac-limits.yaml`` grants exactly these, verb
``list`` only; a unit test keeps the two equal) through the official ``kubernetes`` client, page by
page (``limit``/``continue``), across all namespaces or the given ones. Each item becomes a read-only
``KubeObject`` in the API's JSON shape (camelCase keys) with ``kind``/``apiVersion`` set, its origin
``api:<resource>@rv=<resourceVersion>`` (``api:<namespace>/<resource>@rv=...`` per namespace).

Failures: a resource the service account may not list (403), or one the server does not serve (404),
is one problem line naming the resource and the RBAC rule to add, and the other resources still count;
401 or an unreachable server is a ``SourceError``; no usable kubeconfig or service account is a
``ConfigError``. Messages never contain the token, a password or a URL's credentials.
"""

from __future__ import annotations

import json
import os
from typing import Any, NamedTuple
from urllib.parse import urlsplit, urlunsplit

import urllib3
import yaml
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from detector.errors import ConfigError, SourceError
from detector.limits.model import KubeObject, ObjectBatch, frozen


class Resource(NamedTuple):
    """One listed resource: the RBAC rule it needs and the client method that lists it."""

    group: str  # API group; "" is the core group
    version: str
    resource: str  # plural, as in RBAC rules and URLs
    kind: str  # the kind of each item (items of a list carry none)
    namespaced: bool
    api: str  # class of kubernetes.client
    lister: str  # list_<lister>, list_namespaced_<lister>, list_<lister>_for_all_namespaces
    unowned_only: bool = False  # keep only objects without ownerReferences (bare pods)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


RESOURCES: tuple[Resource, ...] = (
    Resource(
        "admissionregistration.k8s.io",
        "v1",
        "mutatingwebhookconfigurations",
        "MutatingWebhookConfiguration",
        False,
        "AdmissionregistrationV1Api",
        "mutating_webhook_configuration",
    ),
    Resource(
        "admissionregistration.k8s.io",
        "v1",
        "validatingwebhookconfigurations",
        "ValidatingWebhookConfiguration",
        False,
        "AdmissionregistrationV1Api",
        "validating_webhook_configuration",
    ),
    Resource("apps", "v1", "deployments", "Deployment", True, "AppsV1Api", "deployment"),
    Resource("apps", "v1", "statefulsets", "StatefulSet", True, "AppsV1Api", "stateful_set"),
    Resource("apps", "v1", "daemonsets", "DaemonSet", True, "AppsV1Api", "daemon_set"),
    Resource("", "v1", "pods", "Pod", True, "CoreV1Api", "pod", unowned_only=True),
    Resource("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", True, "CoreV1Api", "persistent_volume_claim"),
)
"""What is listed, in this order. The ClusterRole in deploy/rbac-limits.yaml grants exactly these."""

DEFAULT_KUBECONFIG = "~/.kube/config"


def read_cluster(
    *,
    in_cluster: bool = False,
    kubeconfig: str | None = None,
    context: str | None = None,
    namespaces: tuple[str, ...] = (),
    api_client: Any = None,
    page_size: int = 500,
    timeout: float = 30.0,
) -> ObjectBatch:
    """List ``RESOURCES`` from the API server: ``page_size`` items per request (an int >= 1), ``timeout``
    seconds (> 0) to connect and to wait for each answer. The configuration comes from the pod's service
    account (``in_cluster``) or a kubeconfig (``kubeconfig``, else ``$KUBECONFIG``, else ``~/.kube/config``;
    ``context``, else its current context); an ``api_client`` (``kubernetes.client.ApiClient``) replaces
    both and is used as given, not closed. Webhook configurations are cluster-scoped: always cluster-wide."""
    if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1 or not timeout > 0:
        raise ConfigError(f"page_size must be >= 1 and timeout > 0 (got {page_size}, {timeout})", location="kubernetes")
    owned = api_client is None
    api = client.ApiClient(load_configuration(in_cluster=in_cluster, kubeconfig=kubeconfig, context=context)) if owned else api_client
    server = safe_url(api.configuration.host)
    secrets = _secrets(api.configuration)
    objects: list[KubeObject] = []
    problems: list[str] = []
    try:
        for resource in RESOURCES:
            for namespace in namespaces if resource.namespaced and namespaces else (None,):
                try:
                    items, version = _list_all(api, resource, namespace, page_size, timeout)
                except ApiException as err:
                    problems.append(_scrub(_problem(err, resource, namespace, server), secrets))
                    continue
                except ValueError as err:  # a 200 whose body is not JSON or not the expected list
                    first = (str(err).splitlines() or [type(err).__name__])[0][:200]
                    problems.append(_scrub(f"malformed response: list {_what(resource, namespace)}: {first}", secrets))
                    continue
                origin = f"api:{namespace + '/' if namespace else ''}{resource.resource}@rv={version}"
                objects.extend(
                    KubeObject(frozen(body), origin)
                    for body in (_as_dict(api, resource, item) for item in items)
                    if not (resource.unowned_only and (body.get("metadata") or {}).get("ownerReferences"))
                )
    except urllib3.exceptions.HTTPError as err:
        raise SourceError(f"cannot reach the Kubernetes API at {server}: {_reason(err, timeout)}", location="kubernetes") from None
    except ConfigException as err:  # refreshing an expired token (exec plugin, service account) failed
        raise ConfigError(f"cannot refresh the credentials: {_scrub(_first_line(err), secrets)}", location="kubernetes") from None
    finally:
        if owned:
            api.close()
    return ObjectBatch(tuple(objects), tuple(problems))


def load_configuration(*, in_cluster: bool = False, kubeconfig: str | None = None, context: str | None = None) -> Any:
    """A NEW ``kubernetes.client.Configuration`` (the client's global default is never touched)."""
    configuration = client.Configuration()
    configuration.retries = 1  # one retry of a dropped connection, not four timeouts
    if in_cluster:
        if kubeconfig or context:
            raise ConfigError("give in_cluster or a kubeconfig/context, not both", location="kubernetes")
        try:
            config.load_incluster_config(client_configuration=configuration)
        except ConfigException as err:
            raise ConfigError(
                f"no in-cluster service account ({err}): run in a pod whose service account token is "
                "mounted (automountServiceAccountToken: true), or give a kubeconfig",
                location="kubernetes",
            ) from None
        return configuration
    path = kubeconfig or os.environ.get("KUBECONFIG") or DEFAULT_KUBECONFIG
    try:
        config.load_kube_config(config_file=path, context=context, client_configuration=configuration, persist_config=False)
    except ConfigException as err:
        if "No configuration found" in str(err):
            raise ConfigError(
                "no kubeconfig found: give a kubeconfig, set KUBECONFIG, or run in the cluster (in_cluster)", location=path
            ) from None
        raise ConfigError(f"unusable kubeconfig: {_first_line(err)}", location=path) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"the kubeconfig is not valid YAML{where}", location=path) from None
    except OSError as err:
        raise ConfigError(f"cannot read the kubeconfig: {err.strerror or err}", location=path) from None
    return configuration


def safe_url(url: str) -> str:
    """``url`` without credentials, query or fragment: safe to print."""
    parts = urlsplit(url or "")
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", "")) or "(no server)"


def rbac_rule(resource: Resource) -> str:
    """The RBAC rule that allows listing ``resource``, as it is written in a (Cluster)Role."""
    return f'{{apiGroups: ["{resource.group}"], resources: ["{resource.resource}"], verbs: ["list"]}}'


def _list_all(
    api: Any, resource: Resource, namespace: str | None, page_size: int, timeout: float, restart: bool = True
) -> tuple[list[Any], str]:
    """Every item of one list, following ``continue`` tokens; and the list's resourceVersion. A token
    that expired meanwhile (410 Gone) restarts the list once, as the API documentation advises."""
    api_class = getattr(client, resource.api)(api)
    scope: dict[str, str]
    if not resource.namespaced:
        lister, scope = getattr(api_class, f"list_{resource.lister}"), {}
    elif namespace is None:
        lister, scope = getattr(api_class, f"list_{resource.lister}_for_all_namespaces"), {}
    else:
        lister, scope = getattr(api_class, f"list_namespaced_{resource.lister}"), {"namespace": namespace}
    items: list[Any] = []
    version, token, seen = "", None, set()
    try:
        while True:
            page = lister(**scope, limit=page_size, _request_timeout=(timeout, timeout), **({"_continue": token} if token else {}))
            items.extend(page.items or [])
            version = version or str(page.metadata.resource_version or "")
            token = page.metadata._continue
            if not token:
                return items, version
            if token in seen:
                raise ValueError("the server repeated a continue token")
            seen.add(token)
    except ApiException as err:
        if err.status == 410 and token is not None and restart:
            return _list_all(api, resource, namespace, page_size, timeout, restart=False)
        raise


def _as_dict(api: Any, resource: Resource, item: Any) -> dict[str, Any]:
    """The item in the API's JSON shape, with the ``kind``/``apiVersion`` list items lack; managedFields
    (bookkeeping, often the largest part) dropped."""
    body = api.sanitize_for_serialization(item)
    (body.get("metadata") or {}).pop("managedFields", None)
    return {"apiVersion": resource.api_version, "kind": resource.kind, **body}


def _what(resource: Resource, namespace: str | None) -> str:
    where = f'in namespace "{namespace}"' if namespace else "at cluster scope"
    return f"{resource.resource} ({resource.group or 'core'}) {where}"


def _problem(err: ApiException, resource: Resource, namespace: str | None, server: str) -> str:
    """One line for an HTTP error of one list; 401 and transport failures raise instead."""
    status = int(err.status or 0)
    message = _status_message(err)
    if status == 401:
        raise SourceError("unauthorized: check the token / kubeconfig", location=f"Kubernetes API {server}") from None
    if status == 0:
        raise SourceError(f"cannot talk to the Kubernetes API at {server}: {_first_line(err.reason)}", location="kubernetes") from None
    if status == 403:
        role = "a Role in that namespace (or the ClusterRole)" if namespace else "the ClusterRole"
        user = message.split('User "', 1)[1].split('"', 1)[0] if 'User "' in message else ""
        return f"forbidden: list {_what(resource, namespace)}: add to {role}: {rbac_rule(resource)}" + (f" (user {user})" if user else "")
    if status == 404:
        return f"not found: list {_what(resource, namespace)}: the server does not serve {resource.api_version} {resource.resource}"
    return f"HTTP {status}: list {_what(resource, namespace)}: {message or err.reason or 'no message'}"


def _status_message(err: ApiException) -> str:
    """The ``message`` of the Status object the API server answers errors with (one line, short)."""
    try:
        status = json.loads(err.body or "")
    except ValueError:
        return ""
    return _first_line(status.get("message", "")) if isinstance(status, dict) else ""


def _reason(err: urllib3.exceptions.HTTPError, timeout: float) -> str:
    cause = getattr(err, "reason", None) or err
    if isinstance(cause, urllib3.exceptions.NewConnectionError):  # before TimeoutError: a subclass of it
        text = str(cause).lower()
        if "refused" in text:
            return "connection refused"
        if isinstance(cause, getattr(urllib3.exceptions, "NameResolutionError", ())) or "resolve" in text:
            return "cannot resolve the host name"
        return "cannot connect"
    if isinstance(cause, urllib3.exceptions.TimeoutError):
        return f"no answer within {timeout:g} s"
    if isinstance(cause, urllib3.exceptions.SSLError):
        return "TLS error (check certificate-authority / insecure-skip-tls-verify in the kubeconfig)"
    return f"connection failed ({type(cause).__name__})"


def _first_line(value: object) -> str:
    return (str(value).strip().splitlines() or [""])[0][:300]


def _secrets(configuration: Any) -> tuple[str, ...]:
    """Values that must never appear in a message: tokens, the password, credentials in the URL."""
    values = [str(v) for v in (getattr(configuration, "api_key", None) or {}).values()]
    values += [v.split(" ", 1)[1] for v in values if " " in v]  # "Bearer <token>" -> "<token>"
    values += [str(getattr(configuration, "password", "") or "")]
    values += [urlsplit(configuration.host or "").netloc.rpartition("@")[0]]
    return tuple(v for v in values if len(v) >= 4)


def _scrub(text: str, secrets: tuple[str, ...]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text
