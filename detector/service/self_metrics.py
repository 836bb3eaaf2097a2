"""slowburn's own metrics: the risk it sees per series, and how its runs went.

Everything lives in one ``CollectorRegistry`` owned by a ``SelfMetrics`` instance (never the
global registry), served on ``/metrics`` by ``serve`` or pushed to a Pushgateway by ``run``.

Label sets. Every per-series sample carries ``signal``, ``series`` (the series' labels as one
PromQL-style selector, ``{namespace="redis",pvc="data-0"}``, stable for joins across signals) and
the series' own labels as real labels, so ``slowburn_risk_eta_seconds{persistentvolumeclaim="data-0"}``
selects directly. A label named like one slowburn or the scrape/push adds (``signal``, ``series``,
``kind``, ``job``, ``instance``) is exported as ``exported_<name>``, as Prometheus itself renames
conflicting target labels. The label names differ between signals of one family; Prometheus and
the Pushgateway accept that (tested against both).

Per-series families (replaced as a whole after each evaluation, so vanished series vanish; kept
as they were when a run fails entirely, so a Prometheus outage does not blank the dashboards):

- ``slowburn_risk_eta_seconds{signal,series}``: seconds from the evaluation time to the ETA of
  the series' ceiling (0 when at the ceiling). The finding's ETA when there is one, else the
  forecast's median when the detection policy judges the series worsening (``Verdict.eta_days``:
  the same verdict as the findings, no second rule); absent otherwise.
- ``slowburn_risk_severity{signal,kind,series}``: 0 info, 1 warning, 2 critical, one per finding.
- ``slowburn_trend_slope{signal,series}``: the current trend in the series' units per day.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import pandas as pd
from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client.core import GaugeMetricFamily, Metric

from detector.core.evaluation import Evaluation
from detector.core.findings import Severity
from detector.core.instants import DAY
from detector.core.series import Labels, SeriesKey, escape_label_value
from detector.sinks.base import DeliveryReport

RESERVED = frozenset({"signal", "series", "kind", "job", "instance"})


def series_labels(labels: Labels) -> tuple[tuple[str, str], ...]:
    """The series' own labels as sample labels; reserved names get the ``exported_`` prefix."""
    return tuple((f"exported_{name}" if name in RESERVED or name.startswith("__") else name, value) for name, value in labels)


def series_selector(labels: Labels) -> str:
    """'{a="x",b="y"}' with PromQL string escaping; '{}' for a series without labels."""
    return "{" + ",".join(f'{name}="{escape_label_value(value)}"' for name, value in labels) + "}"


@dataclass(frozen=True)
class RiskSnapshot:
    """Samples of the per-series families from one evaluation (immutable, swapped in whole)."""

    eta: tuple[tuple[str, Labels, float], ...] = ()  # signal, series labels, seconds
    severity: tuple[tuple[str, str, Labels, float], ...] = ()  # signal, kind, series labels, rank
    slope: tuple[tuple[str, Labels, float], ...] = ()  # signal, series labels, units per day
    last_success: float | None = None  # unix seconds

    @classmethod
    def of(cls, evaluation: Evaluation, finished_at: pd.Timestamp) -> RiskSnapshot:
        eta: dict[SeriesKey, float] = {}
        for finding in evaluation.findings:
            if finding.eta is not None and finding.key not in eta:
                eta[finding.key] = max(0.0, (finding.eta - evaluation.at).total_seconds())
        slope = []
        for key, analysis in sorted(evaluation.analyses.items()):
            if math.isfinite(analysis.slope_per_day):
                slope.append((key.signal, key.labels, float(analysis.slope_per_day)))
            verdict = evaluation.verdicts.get(key)
            days = verdict.eta_days if verdict is not None else None
            if key not in eta and days is not None:
                eta[key] = days * DAY
        return cls(
            eta=tuple((k.signal, k.labels, v) for k, v in sorted(eta.items())),
            severity=tuple((f.key.signal, f.kind, f.key.labels, float(f.rank)) for f in evaluation.findings),
            slope=tuple(slope),
            last_success=finished_at.timestamp(),
        )


class _RiskCollector:
    """Yields the families of the current snapshot; nothing before the first successful run."""

    def __init__(self) -> None:
        self.snapshot = RiskSnapshot()

    def collect(self) -> Iterator[Metric]:
        snap = self.snapshot  # one read: a scrape never mixes two runs
        if snap.last_success is None:
            return
        eta = GaugeMetricFamily("slowburn_risk_eta_seconds", "Seconds from the evaluation to the series reaching its ceiling", labels=[])
        for signal, labels, value in snap.eta:
            _add(eta, labels, value, signal=signal)
        severity = GaugeMetricFamily("slowburn_risk_severity", "Finding severity: 0 info, 1 warning, 2 critical", labels=[])
        for signal, kind, labels, value in snap.severity:
            _add(severity, labels, value, signal=signal, kind=kind)
        slope = GaugeMetricFamily("slowburn_trend_slope", "Current trend of the series, in its own units per day", labels=[])
        for signal, labels, value in snap.slope:
            _add(slope, labels, value, signal=signal)
        yield from (eta, severity, slope)
        yield GaugeMetricFamily(
            "slowburn_last_success_timestamp_seconds", "End of the last run that evaluated at least one signal", value=snap.last_success
        )


def _add(family: GaugeMetricFamily, labels: Labels, value: float, **fixed: str) -> None:
    """One sample: the fixed labels, ``series`` as a selector, and the series' own labels."""
    family.add_sample(family.name, {**fixed, "series": series_selector(labels), **dict(series_labels(labels))}, value)


class SelfMetrics:
    """The registry and the families; ``record`` updates them after a run."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._risk = _RiskCollector()
        self.registry.register(self._risk)
        self.duration = Gauge("slowburn_run_duration_seconds", "Wall time of the last run", registry=self.registry)
        self.last_run = Gauge("slowburn_last_run_timestamp_seconds", "End of the last run, successful or not", registry=self.registry)
        self.series_evaluated = Gauge("slowburn_series_evaluated", "Series analysed by the last run", registry=self.registry)
        self.findings = Gauge("slowburn_findings", "Findings of the last run by severity", ["severity"], registry=self.registry)
        self.signal_failed = Gauge(
            "slowburn_signal_failed", "1 when the signal could not be evaluated in the last run", ["signal"], registry=self.registry
        )
        self.query_errors = Counter("slowburn_query_errors", "Signals whose query or data failed, summed over runs", registry=self.registry)
        self.delivery_failures = Counter(
            "slowburn_delivery_failures", "Runs whose delivery to a sink failed", ["sink"], registry=self.registry
        )
        self.alerts_pending = Gauge(
            "slowburn_alerts_pending", "Alerts kept for the next run because no Alertmanager took them", registry=self.registry
        )

    def record(
        self,
        evaluation: Evaluation,
        signals: Iterable[str],
        *,
        duration: float,
        finished_at: pd.Timestamp,
        evaluated: bool,
        reports: Iterable[DeliveryReport] = (),
    ) -> None:
        """Update every family from one run. ``evaluated``: at least one signal was evaluated."""
        self.duration.set(duration)
        self.last_run.set(finished_at.timestamp())
        self.query_errors.inc(len(evaluation.errors))
        for name in signals:
            self.signal_failed.labels(name).set(1.0 if name in evaluation.errors else 0.0)
        self.series_evaluated.set(evaluation.series_evaluated)
        if evaluated:
            for severity in Severity:
                self.findings.labels(severity).set(sum(1 for f in evaluation.findings if f.severity == severity))
            self._risk.snapshot = RiskSnapshot.of(evaluation, finished_at)
        for report in reports:
            if not report.ok:
                self.delivery_failures.labels(report.sink).inc()
            if report.sink == "alertmanager":
                self.alerts_pending.set(report.pending)

    @property
    def has_success(self) -> bool:
        return self._risk.snapshot.last_success is not None
