"""One evaluation at time T: every series of every signal through the models, then findings.

Only samples strictly before T are used (no look-ahead). Series flow through in bounded chunks
(``chunk_plan``): read a batch, analyse it (in this process or an executor's workers), keep its
compact ``SeriesAnalysis``, release the samples. Drivers and findings are assembled afterwards
in the parent from the analyses alone.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace

import pandas as pd

from detector.configuration.schema import Config
from detector.core.coverage import SKIP_WORDS, SeriesStatus, SignalStatus, YoungSignal, signal_status
from detector.core.evaluation import Evaluation
from detector.core.findings import Finding, iso_utc
from detector.core.packed import Packed, PackedMap
from detector.core.series import DataNote, SeriesKey, SeriesSet
from detector.core.series_batches import MemoryBatches, SeriesBatches
from detector.engine.analysis_chunks import Assessed, Outcome
from detector.engine.analysis_pages import PageChunk, PageOutcome, run_chunk
from detector.engine.assess import assess, stopped_reporting
from detector.engine.chunk_plan import READ_PAGE, ChunkPlanner, evidence_spec
from detector.engine.driver_choice import best_driver, shift_driver
from detector.engine.executor import ChunkExecutor, LostChunk, OneShotPool, SerialExecutor, local_executor
from detector.errors import NoSeries, WorkLost
from detector.limits.ceiling_batches import with_limit_ceilings
from detector.limits.ceilings import apply_limits
from detector.limits.model import LimitSet
from detector.policy.gates import Verdict
from detector.policy.thresholds import DEFAULT_POLICY, DetectionPolicy, for_signal
from models.analysis import SeriesAnalysis

__all__ = ["evaluate", "evidence_spec"]

SERIAL_BELOW = 64
"""A one-shot pool is started only for this many judgeable series or more."""
GROUP_PER_WORKER = 8
"""Chunks per worker handed at once to an executor that takes a sequence (not ``streams_chunks``)."""


def evaluate(
    config: Config,
    data: SeriesSet | SeriesBatches,
    at: pd.Timestamp,
    *,
    workers: int = 1,
    pool: ProcessPoolExecutor | None = None,
    policy: DetectionPolicy = DEFAULT_POLICY,
    limits: LimitSet | None = None,
    executor: ChunkExecutor | None = None,
    batch_size: int = READ_PAGE,
) -> Evaluation:
    """Evaluate every configured signal at ``at`` using only samples before ``at``, judged by ``policy``
    (each signal's ``model:`` settings override its per-signal fields). Ceilings given as Kubernetes
    limits come from ``limits`` (their defaults, with a note, without them).

    ``data``: a ``SeriesSet`` in memory, or a chunked source (``SeriesBatches``) read ``batch_size``
    series at a time: only the chunks in flight hold samples; the evaluation keeps each series'
    compact analysis. Both give the same evaluation."""
    if isinstance(data, SeriesSet):
        if any(signal.ceiling_limit is not None for signal in config.signals):
            config, data = apply_limits(config, data, limits)
        source: SeriesBatches = MemoryBatches(data)
    elif any(signal.ceiling_limit is not None for signal in config.signals):
        config, source = with_limit_ceilings(config, data, limits)
    else:
        source = data
    at = pd.Timestamp(at).tz_convert("UTC") if pd.Timestamp(at).tzinfo else pd.Timestamp(at, tz="UTC")
    executor = executor or local_executor(workers, pool)
    rerun: list[object] = []
    if getattr(executor, "notice", False) is None:  # a local pool: hear the chunks a dead worker's pool held
        executor = replace(executor, notice=rerun.extend)  # type: ignore[type-var]  # a dataclass with ``notice``
    paged = getattr(executor, "shares_files", False)  # its workers can read the store's pages themselves
    planner = ChunkPlanner(config, source, at, policy, workers=executor.workers, batch_size=batch_size, paged=paged)
    results = _run(planner, executor)
    errors = planner.errors
    notes: list[DataNote] = [*source.notes, *_read_notes(config, planner.read_notes), *planner.notes, *_rerun_notes(rerun)]
    states = planner.states
    analyses: dict[SeriesKey, Packed[SeriesAnalysis]] = {}
    verdicts: dict[SeriesKey, Packed[Verdict]] = {}
    findings: list[Finding] = []
    with_drivers: list[SeriesKey] = []
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
            if isinstance(outcome, Assessed):  # judged where it was analysed (no drivers)
                findings.extend(outcome.findings)
                verdicts[key] = outcome.verdict
                analyses[key] = outcome.analysis
            else:
                with_drivers.append(key)
                analyses[key] = outcome
            states[key.signal].append(SeriesStatus(key, "evaluated"))
    for name, reasons in lost.items():
        errors.setdefault(name, WorkLost(f"{len(reasons)} series not evaluated: {reasons[0]}"))
    kept: PackedMap[SeriesKey, SeriesAnalysis] = PackedMap(analyses)
    del analyses
    if with_drivers:  # the drivers' analyses, unpickled once for every series that looks among them
        named = {name for signal in config.signals for name in signal.drivers}
        drivers = {key: kept[key] for key in kept if key.signal in named}
    for key in with_drivers:
        analysis = kept[key]
        signal = config.signal(key.signal)
        signal_policy = for_signal(policy, signal.model)
        driver = best_driver(signal, key, analysis, drivers, signal_policy.drivers)
        shift = shift_driver(signal, key, analysis, drivers, signal_policy.drivers)
        found, verdict = assess(signal, key, analysis, at, driver, signal_policy, shift)
        verdicts[key] = Packed(verdict)
        findings.extend(found)
    for key, last, verdict in planner.stale:
        verdicts[key] = Packed(verdict)
        notes.append(
            DataNote(key.signal, f"{key}: stopped reporting at {iso_utc(last)}; not judged (its alerts resolve) until it reports again")
        )
        states[key.signal].append(SeriesStatus(key, "stale", f"stopped reporting at {iso_utc(last)}"))
        if for_signal(policy, config.signal(key.signal).model).staleness.info_finding:
            findings.append(stopped_reporting(config.signal(key.signal), key, at, last, verdict))
    findings.sort(key=lambda f: (-f.rank, f.key.signal, f.key.labels, f.kind))
    coverage = _coverage(config, states, errors, notes, planner.held)
    return Evaluation(
        at=at,
        findings=tuple(findings),
        analyses=kept,
        errors=errors,
        notes=tuple(notes),
        series_evaluated=len(kept),
        verdicts=PackedMap(verdicts),
        coverage=coverage,
    )


def _rerun_notes(rerun: list[object]) -> list[DataNote]:
    """One note per signal whose chunks were run again after a worker process died."""
    by_signal: dict[str, int] = {}
    for chunk in rerun:
        keys = chunk.keys() if isinstance(chunk, PageChunk) else getattr(chunk, "keys", ())
        if keys:
            by_signal[keys[0].signal] = by_signal.get(keys[0].signal, 0) + len(keys)
    return [
        DataNote(name, f"a model worker process died (killed, or out of memory): {count} series run again on a fresh pool")
        for name, count in by_signal.items()
    ]


def _read_notes(config: Config, by_signal: dict[str, Sequence[DataNote]]) -> list[DataNote]:
    """The notes of each signal's read, in the configured order of the signals (the order of a whole fetch)."""
    order = {signal.name: i for i, signal in enumerate(config.signals)}
    return [note for name in sorted(by_signal, key=lambda name: order.get(name, len(order))) for note in by_signal[name]]


def _coverage(
    config: Config, states: dict[str, list[SeriesStatus]], errors: dict[str, Exception], notes: list[DataNote], held: dict[str, str]
) -> tuple[SignalStatus, ...]:
    """A state for every configured signal (and its series). An optional signal that is absent leaves
    ``errors`` for a note; every skipped series is summed up in one note per signal and reason."""
    out = []
    young = {note.signal: note for note in notes if isinstance(note, YoungSignal)}
    for signal in config.signals:
        if signal.name in young and signal.name not in errors:  # series too new for the grid: skipped, not absent
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
                notes.append(
                    DataNote(
                        signal.name, f"{len(skipped)} series {SKIP_WORDS[state]}, not judged: {skipped[0].key}: {skipped[0].reason}{more}"
                    )
                )
        if signal.name in held:
            out.append(SignalStatus(signal.name, "skipped", held[signal.name], optional))
            continue
        out.append(signal_status(signal.name, series, error=error, absent=absent, optional=optional))
    return tuple(out)


def _run(planner: ChunkPlanner, executor: ChunkExecutor) -> list[tuple[SeriesKey, Outcome | LostChunk]]:
    """Every planned chunk through ``executor`` (a one-shot pool only when there are enough series
    to pay for starting processes), each series' outcome in the planned order."""
    chunks = planner.chunks()
    if isinstance(executor, OneShotPool):
        head = []
        for chunk in chunks:
            head.append(chunk)
            if sum(len(c) for c in head) >= SERIAL_BELOW:
                break
        else:
            executor = SerialExecutor()  # fewer series: starting processes would cost more than they save
        chunks = itertools.chain(head, chunks)
    if getattr(executor, "streams_chunks", False):
        parts = executor.map_chunks(run_chunk, chunks)  # type: ignore[arg-type]  # it pulls chunks as its workers free up
    else:  # it wants a sequence: bounded groups of chunks
        parts = []
        while group := list(itertools.islice(chunks, GROUP_PER_WORKER * max(executor.workers, 1))):
            parts.extend(executor.map_chunks(run_chunk, group))
    out: list[tuple[SeriesKey, Outcome | LostChunk]] = []
    for index, (keys, part) in enumerate(zip(planner.chunk_keys, parts, strict=True)):
        if isinstance(part, LostChunk):
            out.extend((key, part) for key in keys)
        elif isinstance(part, PageOutcome):
            out.extend(planner.absorb(index, part))
        else:
            out.extend(part)
    planner.settle()
    return out
