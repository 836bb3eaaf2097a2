"""One evaluation at time T: every series of every signal through the models, then findings.

Only samples strictly before T are used (no look-ahead). Series are independent, so they can be
spread over a process pool; drivers and findings are assembled afterwards in the parent.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from detector.assess import assess, stopped_reporting
from detector.config import Config, Signal
from detector.coverage import SeriesStatus, SignalStatus, YoungSignal, signal_status, too_young, SKIP_WORDS
from detector.drivers import best_driver, shift_driver
from detector.evaluation import Evaluation
from detector.errors import NoSeries, WorkLost
from detector.executor import ChunkExecutor, LostChunk, OneShotPool, SerialExecutor, local_executor
from detector.findings import Finding, iso_utc
from detector.limits.ceilings import apply_limits
from detector.limits.model import LimitSet
from detector.policy.gates import Verdict
from detector.policy.judge import stale_gate
from detector.policy.worsening import min_regime_days
from detector.policy.thresholds import DEFAULT_POLICY, DetectionPolicy, for_signal
from detector.series import DataNote, Labels, SeriesKey, SeriesSet
from models._validation import InsufficientData
from models.analysis import SeriesAnalysis
from models.evidence import EvidenceSpec
from models.pipeline import SeriesAnalyzer


@dataclass(frozen=True)
class SeriesTask:
    """Everything one series needs to be analysed in any process."""

    key: SeriesKey
    values: np.ndarray
    start: float
    step: float
    now: float
    censor_at: float | None
    ceiling: float | None
    direction: str
    seasonality: str
    min_regime_days: int
    penalty: float
    confidence: float
    drift_window_days: int
    evidence: EvidenceSpec


def evidence_spec(policy: DetectionPolicy) -> EvidenceSpec:
    """The windows the policy wants its evidence measured over."""
    return EvidenceSpec(
        heavy_tail_share=policy.trend.heavy_tail_share, deceleration_window_days=policy.deceleration.window_days,
        deceleration_min_days=policy.deceleration.min_window_days, old_ground_hold_days=policy.old_ground.hold_days,
        saturation_hold_seconds=policy.saturation.hold, saturation_quantile=policy.saturation.held_quantile,
        shift_hold_seconds=policy.shift.hold, shift_quantile=policy.shift.held_quantile,
    )


def analyze(task: SeriesTask) -> tuple[SeriesKey, SeriesAnalysis | str]:
    """Run the model on one series; a refusal for lack of data comes back as a message."""
    try:
        analyzer = SeriesAnalyzer(task.seasonality, task.min_regime_days, task.penalty, task.confidence, task.drift_window_days, task.evidence)
        analyzer.fit(task.values, task.start, task.step, censor_at=task.censor_at, ceiling=task.ceiling, direction=task.direction, now=task.now)
        return task.key, analyzer.analysis_
    except InsufficientData as exc:   # only "cannot judge this series" becomes a note; anything else is a bug
        return task.key, str(exc)


def analyze_chunk(tasks: list[SeriesTask]) -> list[tuple[SeriesKey, SeriesAnalysis | str]]:
    return [analyze(task) for task in tasks]


def evaluate(config: Config, data: SeriesSet, at: pd.Timestamp, *, workers: int = 1, pool: ProcessPoolExecutor | None = None,
             policy: DetectionPolicy = DEFAULT_POLICY, limits: LimitSet | None = None, executor: ChunkExecutor | None = None) -> Evaluation:
    """Evaluate every configured signal at ``at`` using only samples before ``at``, judged by ``policy``
    (each signal's ``model:`` settings override its per-signal fields). Ceilings given as Kubernetes
    limits come from ``limits`` (their defaults, with a note, without them)."""
    if any(signal.ceiling_limit is not None for signal in config.signals):
        config, data = apply_limits(config, data, limits)
    at = pd.Timestamp(at).tz_convert("UTC") if pd.Timestamp(at).tzinfo else pd.Timestamp(at, tz="UTC")
    notes: list[DataNote] = list(data.notes)
    errors: dict[str, Exception] = dict(data.errors)
    tasks: list[SeriesTask] = []
    stale: list[tuple[SeriesKey, pd.Timestamp, Verdict]] = []
    states: dict[str, list[SeriesStatus]] = {signal.name: [] for signal in config.signals}
    held: dict[str, str] = {}
    for signal in config.signals:
        if signal.name in errors:
            continue
        ceiling_error = errors.get(signal.ceiling_signal or "")
        if ceiling_error is not None and not isinstance(ceiling_error, NoSeries):   # judged without its ceiling it would flip: hold
            held[signal.name] = f"not judged: its ceiling signal {signal.ceiling_signal} failed (its alerts are held)"
            notes.append(DataNote(signal.name, held[signal.name]))
            continue
        tasks.extend(_tasks_for(signal, for_signal(policy, signal.model), data, at, notes, stale, states[signal.name]))
    results = _run(tasks, executor or local_executor(workers, pool))
    analyses: dict[SeriesKey, SeriesAnalysis] = {}
    lost: dict[str, list[str]] = {}
    for key, outcome in results:
        if isinstance(outcome, LostChunk):
            notes.append(DataNote(key.signal, f"{key}: not evaluated: {outcome.reason}"))
            states[key.signal].append(SeriesStatus(key, "not_analysed", f"not evaluated: {outcome.reason}"))
            lost.setdefault(key.signal, []).append(outcome.reason)
        elif isinstance(outcome, str):
            notes.append(DataNote(key.signal, f"{key}: not analysed: {outcome}"))
            states[key.signal].append(SeriesStatus(key, "not_analysed", outcome))
        else:
            analyses[key] = outcome
            states[key.signal].append(SeriesStatus(key, "evaluated"))
    for name, reasons in lost.items():
        errors.setdefault(name, WorkLost(f"{len(reasons)} series not evaluated: {reasons[0]}"))
    findings: list[Finding] = []
    verdicts: dict[SeriesKey, Verdict] = {}
    for key, analysis in analyses.items():
        signal = config.signal(key.signal)
        signal_policy = for_signal(policy, signal.model)
        driver = best_driver(signal, key, analysis, analyses, signal_policy.drivers)
        shift = shift_driver(signal, key, analysis, analyses, signal_policy.drivers)
        found, verdicts[key] = assess(signal, key, analysis, at, driver, signal_policy, shift)
        findings.extend(found)
    for key, last, verdict in stale:
        verdicts[key] = verdict
        notes.append(DataNote(key.signal, f"{key}: stopped reporting at {iso_utc(last)}; not judged (its alerts resolve) until it reports again"))
        states[key.signal].append(SeriesStatus(key, "stale", f"stopped reporting at {iso_utc(last)}"))
        if for_signal(policy, config.signal(key.signal).model).staleness.info_finding:
            findings.append(stopped_reporting(config.signal(key.signal), key, at, last, verdict))
    findings.sort(key=lambda f: (-f.rank, f.key.signal, f.key.labels, f.kind))
    coverage = _coverage(config, states, errors, notes, held)
    return Evaluation(at=at, findings=tuple(findings), analyses=analyses, errors=errors, notes=tuple(notes), series_evaluated=len(analyses),
                      verdicts=verdicts, coverage=coverage)


def _coverage(config: Config, states: dict[str, list[SeriesStatus]], errors: dict[str, Exception], notes: list[DataNote],
              held: dict[str, str]) -> tuple[SignalStatus, ...]:
    """A state for every configured signal (and its series). An optional signal that is absent leaves
    ``errors`` for a note; every skipped series is summed up in one note per signal and reason."""
    out = []
    young = {note.signal: note for note in notes if isinstance(note, YoungSignal)}
    for signal in config.signals:
        if signal.name in young and signal.name not in errors:     # series too new for the grid: skipped, not absent
            out.append(young[signal.name].status(signal.optional))
            continue
        error = errors.get(signal.name)
        absent = isinstance(error, NoSeries)
        optional = signal.optional
        if absent and optional:
            del errors[signal.name]
            notes.append(DataNote(signal.name, f"optional signal {signal.name} is absent: {error} (not an error)"))
        series = sorted(states[signal.name], key=lambda status: status.key)
        for state in ("too_young", "outside_lookback"):
            skipped = [status for status in series if status.state == state]
            if skipped:
                more = f" (and {len(skipped) - 1} more like it)" if len(skipped) > 1 else ""
                notes.append(DataNote(signal.name, f"{len(skipped)} series {SKIP_WORDS[state]}, not judged: {skipped[0].key}: {skipped[0].reason}{more}"))
        if signal.name in held:
            out.append(SignalStatus(signal.name, "skipped", held[signal.name], optional))
            continue
        out.append(signal_status(signal.name, series, error=error, absent=absent, optional=optional))
    return tuple(out)


def _tasks_for(signal: Signal, policy: DetectionPolicy, data: SeriesSet, at: pd.Timestamp, notes: list[DataNote],
               stale: list[tuple[SeriesKey, pd.Timestamp, Verdict]], states: list[SeriesStatus]) -> list[SeriesTask]:
    tasks = []
    earliest = at - pd.Timedelta(seconds=signal.lookback)
    for labels, series in data.of(signal.name).items():
        key = SeriesKey(signal.name, labels)
        window = _window(series, earliest, at)
        values = window.to_numpy(dtype=float)
        finite = np.flatnonzero(np.isfinite(values))
        if len(finite) == 0:
            last = _last_before(series, earliest)
            if last is not None:          # it reported once, not within the lookback: say so
                states.append(SeriesStatus(key, "outside_lookback", f"no sample in the lookback window; last at {iso_utc(last)}"))
            continue                      # else it does not exist yet at this time (label churn)
        first = window.index[finite[0]]
        if len(finite) < 2 or (at - first).total_seconds() < signal.model.min_history:
            states.append(too_young(key, first, at, signal.model.min_history))
            continue
        last = window.index[finite[-1]]
        fresh = stale_gate(policy, float(signal.step), (at - last).total_seconds())
        if not fresh.passed:
            stale.append((key, last, Verdict((fresh,), (), f"not judged: stopped reporting at {iso_utc(last)}")))
            continue
        ceiling = _ceiling_value(signal, labels, data, at, earliest, notes)
        tasks.append(
            SeriesTask(
                key=key, values=values, start=window.index[0].timestamp(), step=float(signal.step),
                now=at.timestamp(), censor_at=signal.censor_at, ceiling=ceiling, direction=signal.direction,
                seasonality=signal.model.seasonality, min_regime_days=min_regime_days(signal),
                penalty=signal.model.penalty, confidence=signal.model.confidence,
                drift_window_days=max(7, int(round(policy.drift.window / 86400))), evidence=evidence_spec(policy),
            )
        )
    return tasks


def _ceiling_value(signal: Signal, labels: Labels, data: SeriesSet, at: pd.Timestamp, earliest: pd.Timestamp, notes: list[DataNote]) -> float | None:
    """A constant ceiling, or the latest value before ``at`` of the ceiling signal's series with the same labels."""
    if signal.ceiling is None:
        return None
    if not isinstance(signal.ceiling_signal, str):
        return float(signal.ceiling)  # type: ignore[arg-type]
    candidates = data.of(signal.ceiling_signal)
    series = candidates.get(labels)
    if series is None and len(candidates) == 1:
        series = next(iter(candidates.values()))
    if series is None:
        notes.append(DataNote(signal.name, f"{SeriesKey(signal.name, labels)}: no {signal.ceiling_signal} series with the same labels; analysed without a ceiling"))
        return None
    recent = _window(series, earliest, at).dropna()
    if not len(recent):
        return None
    value = float(recent.iloc[-1])
    if value <= 0 and signal.direction == "up":
        notes.append(DataNote(signal.name, f"{SeriesKey(signal.name, labels)}: ceiling {signal.ceiling_signal} is {value:g} (unset); analysed without a ceiling"))
        return None
    return value


def _last_before(series: pd.Series, earliest: pd.Timestamp) -> pd.Timestamp | None:
    """The newest finite sample before ``earliest``, if any."""
    before = series.iloc[: series.index.searchsorted(earliest, "left")].dropna() if series.index.is_monotonic_increasing else series.loc[series.index < earliest].dropna()
    return before.index[-1] if len(before) else None


def _window(series: pd.Series, earliest: pd.Timestamp, at: pd.Timestamp) -> pd.Series:
    """Samples at ``earliest`` <= t < ``at`` (binary search on the sorted index of a regular series)."""
    index = series.index
    if not index.is_monotonic_increasing:
        return series.loc[(index >= earliest) & (index < at)]
    return series.iloc[index.searchsorted(earliest, "left"): index.searchsorted(at, "left")]


def _run(tasks: list[SeriesTask], executor: ChunkExecutor) -> list[tuple[SeriesKey, SeriesAnalysis | str | LostChunk]]:
    if isinstance(executor, SerialExecutor) or (isinstance(executor, OneShotPool) and len(tasks) < 64):
        return list(analyze_chunk(tasks))        # starting processes would cost more than they save
    size = max(16, len(tasks) // (max(executor.workers, 2) * 4))
    chunks = [tasks[i: i + size] for i in range(0, len(tasks), size)]
    out: list[tuple[SeriesKey, SeriesAnalysis | str | LostChunk]] = []
    for chunk, part in zip(chunks, executor.map_chunks(analyze_chunk, chunks)):
        if isinstance(part, LostChunk):
            out.extend((task.key, part) for task in chunk)
        else:
            out.extend(part)
    return out
