"""Findings from configuration alone: latent defaults, fail-open webhooks about to time out, and
declared sizes that drifted from what runs (a StatefulSet template smaller than its resized PVCs).

Same ``Finding`` shape and Alertmanager path as the time-series findings; the series identity is
``kubernetes{object="Kind/namespace/name",target="..."}``.
"""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

from detector.configuration.schema import Config
from detector.core.evaluation import Evaluation
from detector.core.findings import Finding, Kind, Severity, at_least
from detector.core.series import SeriesKey
from detector.core.units import format_value
from detector.limits.model import Limit, LimitSet
from detector.policy.gates import Gate, flag, gate
from detector.policy.thresholds import DEFAULT_POLICY, DetectionPolicy

SIGNAL = "kubernetes"


def configuration_findings(
    limits: LimitSet, config: Config, evaluation: Evaluation | None, at: pd.Timestamp, policy: DetectionPolicy = DEFAULT_POLICY
) -> list[Finding]:
    found = [*_latent_defaults(limits, evaluation, at, policy), *_fail_open(limits, config, evaluation, at), *_template_drift(limits, at)]
    return sorted(found, key=lambda f: (-f.rank, f.key.labels, f.kind))


def key_of(limit: Limit) -> SeriesKey:
    return SeriesKey(SIGNAL, (("object", limit.object), ("target", limit.target)))


def _latent_defaults(limits: LimitSet, evaluation: Evaluation | None, at: pd.Timestamp, policy: DetectionPolicy) -> list[Finding]:
    out = []
    bursts = {(b.object, b.target): b for b in limits.of_kind("client_burst")}
    for qps in limits.of_kind("client_qps"):
        if qps.source != "default" or not isinstance(qps.value, (int, float)):
            continue
        low = gate("client QPS on its default", float(qps.value), "<=", policy.configuration.low_client_qps, "requests/s")
        if not low.passed:
            continue
        burst = bursts.get((qps.object, qps.target))
        rising = _rising_tied_series(qps, evaluation)
        gates = (low, flag("a signal tied to this client is flagged", bool(rising), ", ".join(rising)))
        limit_text = f"{qps.value:g}" + (f" / burst {burst.value:g}" if burst is not None and isinstance(burst.value, (int, float)) else "")
        summary = (
            f"{qps.object} container {qps.target} runs on the default client QPS {limit_text} ({qps.detail or 'built-in default'}); "
            f"set its QPS/burst flags explicitly" + (f"; {', '.join(rising)} already worsening" if rising else "")
        )
        out.append(
            Finding(
                key=key_of(qps),
                kind=Kind.LATENT_DEFAULT,
                severity=Severity.WARNING if rising else Severity.INFO,
                evaluated_at=at,
                summary=summary,
                current=float(qps.value),
                gates=gates,
            )
        )
    return out


def _rising_tied_series(limit: Limit, evaluation: Evaluation | None) -> list[str]:
    """Series flagged warning or worse whose labels name the limit's object or container."""
    if evaluation is None:
        return []
    names = {limit.object.rsplit("/", 1)[-1], limit.target}
    return sorted(
        {
            str(f.key)
            for f in at_least(evaluation.findings, Severity.WARNING)
            if f.key.signal != SIGNAL and names & {value for _, value in f.key.labels}
        }
    )


def _fail_open(limits: LimitSet, config: Config, evaluation: Evaluation | None, at: pd.Timestamp) -> list[Finding]:
    if evaluation is None:
        return []
    out = []
    timeouts = {(t.object, t.target): t for t in limits.of_kind("webhook_timeout")}
    tied = {s.name for s in config.signals if s.ceiling_limit is not None and s.ceiling_limit.limit == "webhook_timeout"}
    for policy_limit in limits.of_kind("webhook_failure_policy"):
        if policy_limit.value != "Ignore":
            continue
        timeout = timeouts.get((policy_limit.object, policy_limit.target))
        for f in at_least(evaluation.findings, Severity.WARNING):
            if (
                f.key.signal not in tied
                or dict(f.key.labels).get("name") != policy_limit.target
                or f.kind not in (Kind.BREACH_FORECAST, Kind.AT_CEILING)
            ):
                continue
            gates: tuple[Gate, ...] = (flag("failurePolicy is Ignore", True, policy_limit.source), *f.gates)
            limit_text = (
                format_value(float(timeout.value), f.key.signal)
                if timeout is not None and isinstance(timeout.value, (int, float))
                else "its"
            )
            when = (
                f"is at the {limit_text} timeout"
                if f.kind == Kind.AT_CEILING
                else f"reaches the {limit_text} timeout" + (f" around {f.eta:%Y-%m-%d}" if f.eta is not None else "")
            )
            summary = (
                f"webhook {policy_limit.target} fails open (failurePolicy: Ignore): {f.key.signal} {when}; "
                "slow answers will silently skip the webhook (mutations lost, no error)"
            )
            out.append(
                Finding(
                    key=key_of(policy_limit),
                    kind=Kind.FAIL_OPEN_RISK,
                    severity=f.severity,
                    evaluated_at=at,
                    summary=summary,
                    eta=f.eta,
                    eta_lower=f.eta_lower,
                    eta_upper=f.eta_upper,
                    ceiling=f.ceiling,
                    current=f.current,
                    gates=gates,
                )
            )
    return out


def _template_drift(limits: LimitSet, at: pd.Timestamp) -> list[Finding]:
    """A StatefulSet whose volumeClaimTemplate is smaller than the PVCs it owns, or whose PVCs differ."""
    templates = {(t.object, t.target): t for t in limits.of_kind("volume_claim_template")}
    owned: dict[tuple[str, str], list[Limit]] = defaultdict(list)
    for pvc in (*limits.of_kind("pvc_capacity"), *limits.of_kind("pvc_request")):
        labels = dict(pvc.labels)
        owner, template_name = labels.get("statefulset"), labels.get("template")
        if owner and template_name:
            owned[(owner, template_name)].append(pvc)
    out = []
    for (owner, name), pvcs in sorted(owned.items()):
        template = templates.get((owner, name))
        sizes = {p.target: float(p.value) for p in pvcs if p.kind == "pvc_capacity" and isinstance(p.value, (int, float))} or {
            p.target: float(p.value) for p in pvcs if isinstance(p.value, (int, float))
        }
        if not sizes:
            continue
        largest = max(sizes.values())
        if template is not None and isinstance(template.value, (int, float)) and float(template.value) < largest:
            smaller = gate("template size vs the largest PVC it owns", float(template.value), "<", largest, "bytes")
            summary = (
                f"{owner} template {name} asks {_gib(float(template.value))} while its PVCs hold {_gib(largest)}: "
                f"the next replica or recreate gets {_gib(float(template.value))} (the PVCs were resized, the template was not)"
            )
            out.append(
                Finding(
                    key=key_of(template),
                    kind=Kind.DECLARED_DRIFT,
                    severity=Severity.WARNING,
                    evaluated_at=at,
                    summary=summary,
                    current=float(template.value),
                    ceiling=largest,
                    gates=(smaller,),
                )
            )
        elif len(set(sizes.values())) > 1:
            spread = gate("PVC sizes of one StatefulSet", len(set(sizes.values())), ">", 1, "distinct sizes")
            listing = ", ".join(f"{k} {_gib(v)}" for k, v in sorted(sizes.items()))
            out.append(
                Finding(
                    key=SeriesKey(SIGNAL, (("object", owner), ("target", name))),
                    kind=Kind.DECLARED_DRIFT,
                    severity=Severity.WARNING,
                    evaluated_at=at,
                    summary=f"{owner} PVCs from template {name} differ: {listing}",
                    gates=(spread,),
                )
            )
    return out


def declared_vs_live(declared: LimitSet, live: LimitSet, at: pd.Timestamp) -> list[Finding]:
    """Every limit whose value differs between the manifests (e.g. a Git checkout) and the cluster."""
    mine = {(d.kind, d.object, d.target): d for d in declared.limits}
    unplaced = {(d.kind, _kind_name(d.object), d.target): d for d in declared.limits if d.namespace is None}
    out = []
    for limit in live.limits:  # Helm/kustomize output often has no namespace: match those by kind and name
        other = mine.get((limit.kind, limit.object, limit.target)) or unplaced.get((limit.kind, _kind_name(limit.object), limit.target))
        if other is None or other.value == limit.value or limit.kind == "pvc_capacity":
            continue
        summary = f"{limit.object} {limit.target}: {limit.kind} is {limit.value} in the cluster but {other.value} in the manifests"
        out.append(
            Finding(
                key=key_of(limit),
                kind=Kind.DECLARED_DRIFT,
                severity=Severity.WARNING,
                evaluated_at=at,
                summary=summary,
                gates=(flag("declared equals live", False, f"{other.value} vs {limit.value}"),),
            )
        )
    return out


def _kind_name(ref: str) -> str:
    parts = ref.split("/")
    return f"{parts[0]}/{parts[-1]}"


def _gib(value: float) -> str:
    return f"{value / 2**30:.3g} GiB"
