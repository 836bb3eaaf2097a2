"""Discovered limits as ceilings: a signal with ``ceiling: {limit: KIND}`` gets, per series, the limit
whose target equals the series' match label, as a constant ceiling series beside the data.

The evaluation, the predict_linear baseline and the report already follow a ceiling given by another
signal; the limits become such a signal (``<signal>__limit``), so every path uses them the same way.
"""

from __future__ import annotations

import pandas as pd

from detector.configuration.schema import Config, LimitCeiling, SignalCeiling
from detector.core.series import DataNote, Labels, SeriesKey, SeriesSet
from detector.limits.model import Limit, LimitSet

SUFFIX = "__limit"


def ceiling_signal_name(signal: str) -> str:
    return f"{signal}{SUFFIX}"


def apply_limits(config: Config, data: SeriesSet, limits: LimitSet | None) -> tuple[Config, SeriesSet]:
    """``config`` with each limit ceiling turned into a ceiling signal, and ``data`` with those series.

    A series with no matching limit gets the ceiling's ``default`` (with a note), else no ceiling
    (with a note); several matching limits of different values: the tightest, with a note."""
    signals = []
    series = dict(data.series)
    notes = list(data.notes)
    for signal in config.signals:
        spec = signal.ceiling_limit
        if spec is None:
            signals.append(signal)
            continue
        name = ceiling_signal_name(signal.name)
        ceilings: dict[Labels, pd.Series] = {}
        for labels, values in data.of(signal.name).items():
            value = _ceiling_for(spec, SeriesKey(signal.name, labels), limits, notes)
            # an all-NaN ceiling for a series with none: it must not borrow another series' limit
            ceilings[labels] = pd.Series(float("nan") if value is None else value, index=values.index, dtype=float)
        series[name] = ceilings
        signals.append(signal.model_copy(update={"ceiling": SignalCeiling(signal=name)}))
    resolved = config.model_copy(update={"signals": tuple(signals)})
    return resolved, SeriesSet(series=series, errors=dict(data.errors), notes=tuple(notes))


def matching(spec: LimitCeiling, labels: Labels, limits: LimitSet) -> list[Limit]:
    """Limits of the spec's kind whose target is the series' match label (and namespace, when both have one)."""
    own = dict(labels)
    target = own.get(spec.match_label)
    if target is None:
        return []
    namespace = own.get("namespace")
    return [
        limit
        for limit in limits.of_kind(spec.limit)
        if limit.target == target
        and (namespace is None or limit.namespace is None or limit.namespace == namespace)
        and isinstance(limit.value, (int, float))
    ]


def _one_owner(found: list[Limit], labels: dict[str, str]) -> list[Limit] | None:
    """The matches of one object: container names repeat across workloads (``app``), so limits of
    several objects are told apart by the series' ``pod`` label (``<workload>-...``); None if they cannot be."""
    owners = {limit.object for limit in found}
    if len(owners) <= 1:
        return found
    pod = labels.get("pod")
    if pod is not None:
        mine = [limit for limit in found if pod.startswith(limit.object.rsplit("/", 1)[-1] + "-")]
        if len({limit.object for limit in mine}) == 1:
            return mine
    return None if len({float(limit.value) for limit in found}) > 1 else found


def _ceiling_for(spec: LimitCeiling, key: SeriesKey, limits: LimitSet | None, notes: list[DataNote]) -> float | None:
    found = _one_owner(matching(spec, key.labels, limits) if limits is not None else [], dict(key.labels))
    if found is None:
        where = f"{spec.limit} limits of several objects match {spec.match_label}={dict(key.labels).get(spec.match_label)!r} (add a pod or namespace label to tell them apart)"
        found = []
    else:
        where = ""
    if found:
        values = sorted({float(limit.value) for limit in found})
        if len(values) > 1:
            notes.append(
                DataNote(
                    key.signal,
                    f"{key}: {len(found)} {spec.limit} limits match ({', '.join(f'{v:g}' for v in values)}); "
                    f"the tightest, {values[0]:g}, is the ceiling",
                )
            )
        return values[0]
    if not where:
        where = (
            "no Kubernetes objects were read (--manifests DIR or kubernetes: in the config)"
            if limits is None
            else f"no {spec.limit} limit with target {spec.match_label}={dict(key.labels).get(spec.match_label, '(label missing)')!r}"
        )
    if spec.default is not None:
        notes.append(DataNote(key.signal, f"{key}: {where}; the default ceiling {spec.default:g} is used"))
        return float(spec.default)
    notes.append(DataNote(key.signal, f"{key}: {where}; analysed without a ceiling"))
    return None
