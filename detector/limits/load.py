"""Read the latent limits a run asked for (``--manifests DIR`` and/or ``kubernetes:`` in the config),
and attach what they say to an evaluation."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from detector.configuration.schema import Config, KubernetesSettings
from detector.errors import SlowburnError
from detector.limits.model import LimitSet

if TYPE_CHECKING:  # pandas only where findings are made: reading limits (and a missing directory) needs none
    from detector.core.evaluation import Evaluation


@dataclass(frozen=True)
class KnownLimits:
    """Limits from the manifests (declared) and from the cluster (live); ``ceilings`` prefers live."""

    declared: LimitSet | None = None
    live: LimitSet | None = None
    failure: SlowburnError | None = None  # the cluster could not be read this run (its alerts are held)

    @property
    def ceilings(self) -> LimitSet | None:
        """The cluster's limits when it was read, else the manifests' (a failed cluster read falls back)."""
        if self.live is not None and (self.live.limits or self.declared is None):
            return self.live
        return self.declared

    @property
    def problems(self) -> tuple[str, ...]:
        return tuple(p for s in (self.declared, self.live) if s is not None for p in s.problems)


def load_limits(config: Config, manifests: str | None = None, *, strict: bool = False) -> KnownLimits:
    """``manifests`` (the command line) overrides ``kubernetes.manifests``; the cluster is read when the
    config says ``in_cluster`` or names a ``kubeconfig``. A cluster that cannot be read is a problem
    (the run goes on with the manifests or the ceilings' defaults), or an error when ``strict``."""
    settings = config.kubernetes or KubernetesSettings()
    directory = manifests or settings.manifests
    declared = live = None
    failure = None
    if directory:
        from detector.limits.extract import extract_limits
        from detector.limits.manifests import read_manifests

        declared = extract_limits(read_manifests(Path(directory)), f"manifests {directory}")
    if settings.in_cluster or settings.kubeconfig:
        from detector.limits.cluster import read_cluster
        from detector.limits.extract import extract_limits

        try:
            batch = read_cluster(
                in_cluster=settings.in_cluster, kubeconfig=settings.kubeconfig, context=settings.context, namespaces=settings.namespaces
            )
        except SlowburnError as exc:
            if strict:
                raise
            failure = exc
            live = LimitSet(problems=(f"cluster not read, its limits are unknown this run: {exc}",), origin="cluster")
        else:
            live = extract_limits(batch, "cluster")
    return KnownLimits(declared, live, failure)


def with_configuration_findings(evaluation: Evaluation, known: KnownLimits, config: Config) -> Evaluation:
    """The evaluation plus the findings from configuration alone and the problems met reading it."""
    from detector.core.series import DataNote
    from detector.limits.configuration import configuration_findings, declared_vs_live

    limits = known.ceilings
    notes = tuple(DataNote("kubernetes", problem) for problem in known.problems)
    if known.failure is not None:  # held, not resolved: the configuration alerts depend on what was not read
        evaluation = replace(evaluation, errors={**evaluation.errors, "kubernetes": known.failure})
    if limits is None:
        return replace(evaluation, notes=(*evaluation.notes, *notes)) if notes else evaluation
    found = configuration_findings(limits, config, evaluation, evaluation.at)
    if known.declared is not None and known.live is not None:
        found += declared_vs_live(known.declared, known.live, evaluation.at)
    findings = tuple(sorted((*evaluation.findings, *found), key=lambda f: (-f.rank, f.key.signal, f.key.labels, f.kind)))
    return replace(evaluation, findings=findings, notes=(*evaluation.notes, *notes))
