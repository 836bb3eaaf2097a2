"""From a chunked series source to chunks of work: which series the model runs on, and why not the rest.

``ChunkPlanner.chunks`` reads each signal batch by batch (``series_batches``), decides for each
series whether it is judged now (``series_gates``: it may be outside the lookback, too young or
stale: recorded, with the reason, in ``states``/``stale``), takes its ceiling (a constant, or the
latest value of the ceiling signal's series with the same labels, read through the same bounded
path into a compact map) and yields ``AnalysisChunk``s of compact arrays. Where the source offers
pages that the executor's workers can read themselves (the history store, on local workers), it
yields ``PageChunk``s instead: the worker reads and gates, and ``absorb`` merges what it decided,
in order. It is a generator: the executor pulls chunks as workers free up, so only the chunks in
flight hold samples.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from detector.configuration.schema import Config, Signal
from detector.core.coverage import SeriesStatus
from detector.core.instants import DAY
from detector.core.series import DataNote, Labels, SeriesKey
from detector.core.series_batches import PagedRead, SeriesBatches, SignalRead, latest_values
from detector.engine.analysis_chunks import AnalysisChunk, AnalysisParams, Judging, Outcome
from detector.engine.analysis_pages import PageChunk, PageOutcome
from detector.engine.series_gates import Ceilings, GateRecords, Judgeable, SeriesGate
from detector.errors import NoSeries
from detector.policy.gates import Verdict
from detector.policy.thresholds import DetectionPolicy, for_signal
from detector.policy.worsening import min_regime_days
from models.evidence import EvidenceSpec

MIN_CHUNK = 16
MAX_CHUNK = 256
"""Series per chunk: enough chunks to keep every worker busy, few enough samples in flight."""
READ_PAGE = 64
"""Series per batch read from a source (a page of the store: its blobs, decoded arrays and grid);
a page a worker reads itself has at most this many series too."""


def evidence_spec(policy: DetectionPolicy) -> EvidenceSpec:
    """The windows the policy wants its evidence measured over."""
    return EvidenceSpec(
        heavy_tail_share=policy.trend.heavy_tail_share,
        deceleration_window_days=policy.deceleration.window_days,
        deceleration_min_days=policy.deceleration.min_window_days,
        old_ground_hold_days=policy.old_ground.hold_days,
        saturation_hold_seconds=policy.saturation.hold,
        saturation_quantile=policy.saturation.held_quantile,
        shift_hold_seconds=policy.shift.hold,
        shift_quantile=policy.shift.held_quantile,
    )


def chunk_size(count: int, workers: int) -> int:
    """Series per chunk for a signal of ``count`` series on ``workers`` workers (about 4 chunks each)."""
    return min(MAX_CHUNK, max(MIN_CHUNK, count // (max(workers, 2) * 4)))


@dataclass
class PageJob:
    """The parent's record of a page handed out: where its outcome's notes go, and which read it belongs to."""

    signal: str
    paged: PagedRead
    notes: list[DataNote]


@dataclass
class ChunkPlanner:
    """Plans the chunks of one evaluation; what it decided on the way is left in its fields.

    ``paged``: hand out pages for the workers to read (``PageChunk``) where the source offers them
    (the executor's workers share this machine's files); the parent then merges each page's
    outcome with ``absorb``, in order, and ``settle`` ends the evaluation's reads."""

    config: Config
    source: SeriesBatches
    at: pd.Timestamp
    policy: DetectionPolicy
    workers: int = 1
    batch_size: int = READ_PAGE
    paged: bool = False
    errors: dict[str, Exception] = field(default_factory=dict)
    read_notes: dict[str, Sequence[DataNote]] = field(default_factory=dict)
    states: dict[str, list[SeriesStatus]] = field(default_factory=dict)
    stale: list[tuple[SeriesKey, pd.Timestamp, Verdict]] = field(default_factory=list)
    held: dict[str, str] = field(default_factory=dict)
    chunk_keys: list[tuple[SeriesKey, ...]] = field(default_factory=list)
    jobs: list[PageJob | None] = field(default_factory=list)
    _note_parts: list[list[DataNote]] = field(default_factory=lambda: [[]])
    _windows: dict[str, int] = field(default_factory=dict)
    _read_of: dict[str, SignalRead] = field(default_factory=dict)
    _ceilings: dict[tuple[str, pd.Timestamp], tuple[dict[Labels, float | None], Exception | None]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.errors = dict(self.source.errors)
        self.states = {signal.name: [] for signal in self.config.signals}

    @property
    def notes(self) -> list[DataNote]:
        """The planner's notes (held signals, ceilings), in series order: pages' notes in their place."""
        return [note for part in self._note_parts for note in part]

    def chunks(self) -> Iterator[AnalysisChunk | PageChunk]:
        """Every chunk of every signal, in the configured order of the signals."""
        for signal in self.config.signals:
            if signal.name in self.errors:
                continue
            earliest = self.at - pd.Timedelta(seconds=signal.lookback)
            read = self._read(signal.name, earliest)
            self.read_notes.setdefault(signal.name, read.notes)
            if read.error is not None:
                self.errors.setdefault(signal.name, read.error)
                continue
            ceilings, ceiling_error = self._ceiling_map(signal, earliest)
            if ceiling_error is not None and not isinstance(ceiling_error, NoSeries):  # judged without its ceiling it would flip: hold
                self.held[signal.name] = f"not judged: its ceiling signal {signal.ceiling_signal} failed (its alerts are held)"
                self._note_parts[-1].append(DataNote(signal.name, self.held[signal.name]))
                continue
            signal_policy = for_signal(self.policy, signal.model)
            params = _params(signal, signal_policy, self.at)
            judging = None if signal.drivers else Judging(signal, signal_policy, self.at)  # with drivers: judged with the others
            gate = SeriesGate(signal, signal_policy, self.at, earliest, Ceilings.of(signal, ceilings))
            size = chunk_size(read.count, self.workers)
            if read.paged is not None:
                self._read_of[signal.name] = read
                yield from self._pages(signal.name, read.paged(min(size, self.batch_size)), params, judging, gate)
                continue
            records = GateRecords(self.states[signal.name], self.stale, self._note_parts[-1])
            pending: list[Judgeable] = []
            for batch in read.batches:
                for window in batch:
                    item = gate.judge(window, records)
                    if item is not None:
                        pending.append(item)
                    if len(pending) >= size:
                        yield self._chunk(params, judging, pending)
                        pending = []
            if pending:
                yield self._chunk(params, judging, pending)

    def _read(self, name: str, earliest: pd.Timestamp) -> SignalRead:
        """The signal's read: as pages when asked for and the source offers them, else in batches."""
        read_paged = getattr(self.source, "read_paged", None) if self.paged else None
        read = read_paged(name, earliest, self.at) if read_paged is not None else None
        return read if read is not None else self.source.read(name, earliest, self.at, self.batch_size)

    def _pages(self, name: str, paged: PagedRead, params: AnalysisParams, judging: Judging | None, gate: SeriesGate) -> Iterator[PageChunk]:
        self._windows[name] = 0
        for page in paged.pages:
            chunk = PageChunk(params, judging, gate.for_labels(page.labels()), page)
            notes: list[DataNote] = []
            self._note_parts += [notes, []]  # the page's notes go where its series are; later notes after them
            self.jobs.append(PageJob(name, paged, notes))
            self.chunk_keys.append(chunk.keys())
            yield chunk

    def absorb(self, index: int, outcome: PageOutcome) -> list[tuple[SeriesKey, Outcome]]:
        """Merge page job ``index``'s outcome (in job order) and return its series' outcomes."""
        job = self.jobs[index]
        assert job is not None, "absorb() is for page jobs"
        job.paged.notes.extend(outcome.read_notes)
        job.paged.skipped.extend(outcome.skipped)
        self._windows[job.signal] += outcome.windows
        self.states[job.signal].extend(outcome.records.states)
        self.stale.extend(outcome.records.stale)
        job.notes.extend(outcome.records.notes)
        return outcome.outcomes

    def settle(self) -> None:
        """After every page is merged: a paged signal whose every series was skipped is an error (as when read here)."""
        settled = {job.signal: job.paged for job in self.jobs if job is not None}
        for name, paged in settled.items():
            verdict = paged.settle(self._windows[name], paged.skipped) if paged.settle is not None else None
            if verdict is not None:
                error, notes = verdict
                self.errors.setdefault(name, error)
                if self.read_notes.get(name) is self._read_of[name].notes:  # its notes are this read's: the signal's own instead
                    self.read_notes[name] = notes

    def _chunk(self, params: AnalysisParams, judging: Judging | None, items: list[Judgeable]) -> AnalysisChunk:
        keys = tuple(item[0] for item in items)
        self.chunk_keys.append(keys)
        self.jobs.append(None)
        return AnalysisChunk(
            params,
            judging,
            keys,
            tuple(np.ascontiguousarray(item[1], dtype=float) for item in items),
            np.array([item[2] for item in items], dtype=float),
            np.array([item[3] for item in items], dtype=float),
        )

    def _ceiling_map(self, signal: Signal, earliest: pd.Timestamp) -> tuple[dict[Labels, float | None], Exception | None]:
        """The ceiling signal's latest value per labels in the window (read once per window), and its error."""
        name = signal.ceiling_signal
        if signal.ceiling is None or not isinstance(name, str):
            return {}, None
        if (name, earliest) not in self._ceilings:
            error = self.errors.get(name)
            if error is not None:
                self._ceilings[(name, earliest)] = ({}, error)
            else:
                read = self.source.read(name, earliest, self.at, self.batch_size)
                self.read_notes.setdefault(name, read.notes)
                self._ceilings[(name, earliest)] = ({}, read.error) if read.error is not None else (latest_values(read), None)
        return self._ceilings[(name, earliest)]


def _params(signal: Signal, policy: DetectionPolicy, at: pd.Timestamp) -> AnalysisParams:
    return AnalysisParams(
        step=float(signal.step),
        now=at.timestamp(),
        censor_at=signal.censor_at,
        direction=signal.direction,
        seasonality=signal.model.seasonality,
        min_regime_days=min_regime_days(signal),
        penalty=signal.model.penalty,
        confidence=signal.model.confidence,
        drift_window_days=max(7, int(round(policy.drift.window / DAY))),
        evidence=evidence_spec(policy),
    )
