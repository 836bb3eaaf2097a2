"""`slowburn limits`: the latent limits read from Kubernetes objects and what they say on their own."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from detector.commands.run import write_json
from detector.configuration.schema import Config, KubernetesSettings
from detector.core.environment import Environment
from detector.errors import ExitStatus, UsageError

if TYPE_CHECKING:  # pandas and the limits modules are imported where used, so --help and usage errors are instant
    import pandas as pd

    from detector.core.evaluation import Evaluation
    from detector.limits.load import KnownLimits

HELP = "list the latent limits in Kubernetes objects (manifests or the cluster) and the findings from configuration alone"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--manifests", help="directory of YAML/JSON manifests (a Git checkout, Helm output, kubectl get -o yaml)")
    parser.add_argument("--live", action="store_true", help="read the cluster (kubeconfig, or the pod's service account with --in-cluster)")
    parser.add_argument("--in-cluster", action="store_true", help="with --live: use the in-cluster service account")
    parser.add_argument("--kubeconfig", help="with --live: kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
    parser.add_argument("--context", help="with --live: kubeconfig context")
    parser.add_argument("--json", dest="json_out", help="write {limits, findings} as JSON ('-' for stdout only)")


def execute(args: argparse.Namespace, env: Environment) -> ExitStatus:
    if not args.manifests and not args.live:
        raise UsageError("limits: give --manifests DIR, --live, or both (to compare declared with live)")
    kubeconfig = args.kubeconfig or (env.environ.get("KUBECONFIG") if args.live and not args.in_cluster else None)
    if args.live and not args.in_cluster and not kubeconfig:
        kubeconfig = "~/.kube/config"
    settings = KubernetesSettings(
        in_cluster=bool(args.live and args.in_cluster), kubeconfig=kubeconfig if args.live else None, context=args.context
    )
    from detector.limits.load import load_limits

    known = load_limits(Config.model_construct(signals=(), kubernetes=settings), args.manifests, strict=True)
    document = limits_document(known, env.now())
    if args.json_out != "-":
        print(render(document), file=env.stdout)
    if args.json_out:
        write_json(document, args.json_out, env)
    return ExitStatus.PARTIAL if known.problems else ExitStatus.OK


def limits_document(known: KnownLimits, at: pd.Timestamp, config: Config | None = None, evaluation: Evaluation | None = None) -> dict:
    """Limits and configuration findings; with ``evaluation`` (of ``config``), the findings that depend
    on the series too (a latent default with its component's series flagged, a fail-open webhook)."""
    from detector.core.instants import iso_utc
    from detector.limits.configuration import configuration_findings, declared_vs_live

    shown = known.ceilings
    if shown is None:
        raise UsageError("no Kubernetes objects were read")
    findings = configuration_findings(shown, config or Config.model_construct(signals=()), evaluation, at)
    if known.declared is not None and known.live is not None:
        findings += declared_vs_live(known.declared, known.live, at)
    return {
        "evaluated_at": iso_utc(at),
        "limits": [
            {
                **{k: v for k, v in limit.to_dict().items() if k in ("kind", "object", "target", "value", "source", "detail")},
                "read_from": where,
            }
            for where, found in (("cluster", known.live), ("manifests", known.declared))
            if found is not None
            for limit in found.limits
        ],
        "findings": [
            {
                "kind": f.kind,
                "object": dict(f.key.labels)["object"],
                "target": dict(f.key.labels)["target"],
                "severity": f.severity,
                "summary": f.summary,
            }
            for f in findings
        ],
        "problems": list(known.problems),
    }


def render(document: dict) -> str:
    rows = document["limits"]
    lines = [f"{len(rows)} limit(s), {len(document['findings'])} finding(s) from configuration alone"]
    if rows:
        width = min(max(len(r["object"]) for r in rows), 70)
        lines.append(f"{'OBJECT':{width}}  {'TARGET':24}  {'LIMIT':22}  {'VALUE':>12}  {'READ':9}  FROM")
        for r in rows:
            value = r["value"] if isinstance(r["value"], str) else _value(r["kind"], r["value"])
            source = r["source"] + (f": {r['detail']}" if r.get("detail") else "")
            lines.append(f"{r['object']:{width}}  {r['target']:24}  {r['kind']:22}  {value:>12}  {r['read_from']:9}  {source}")
    for f in document["findings"]:
        lines.append(f"{f['severity'].upper():8} {f['kind']}: {f['summary']}")
    for problem in document["problems"]:
        lines.append(f"problem  {problem}")
    return "\n".join(lines)


def _value(kind: str, value: float) -> str:
    if kind in ("memory_limit", "pvc_request", "pvc_capacity", "volume_claim_template"):
        return f"{value / 2**30:.3g} GiB"
    if kind == "webhook_timeout":
        return f"{value:g} s"
    return f"{value:g}"
