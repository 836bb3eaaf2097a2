"""From a chunked series source to chunks of work: which series the model runs on, and why not the rest.

``ChunkPlanner.chunks`` reads each signal batch by batch (``series_batches``), decides for each
series whether it is judged now (it may be outside the lookback, too young or stale: recorded,
with the reason, in ``states``/``stale``), takes its ceiling (a constant, or the latest value of
the ceiling signal's series with the same labels, read through the same bounded path into a
compact map) and yields ``AnalysisChunk``s of compact arrays. It is a generator: the executor
pulls chunks as workers free up, so only the chunks in flight hold samples.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from detector.configuration.schema import Config, Signal
from detector.core.coverage import SeriesStatus, too_young
from detector.core.instants import DAY, iso_utc
from detector.core.series import DataNote, Labels, SeriesKey
from detector.core.series_batches import SeriesBatches, SeriesWindow, latest_values
from detector.engine.analysis_chunks import AnalysisChunk, AnalysisParams, Judging
from detector.errors import NoSeries
from detector.policy.gates import Verdict
from detector.policy.judge import stale_gate
from detector.policy.thresholds import DetectionPolicy, for_signal
from detector.policy.worsening import min_regime_days
from models.evidence import EvidenceSpec

MIN_CHUNK = 16
MAX_CHUNK = 256
"""Series per chunk: enough chunks to keep every worker busy, few enough samples in flight."""
READ_PAGE = 64
"""Series per batch read from a source (a page of the store: its blobs, decoded arrays and grid)."""


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
class ChunkPlanner:
    """Plans the chunks of one evaluation; what it decided on the way is left in its fields."""

    config: Config
    source: SeriesBatches
    at: pd.Timestamp
    policy: DetectionPolicy
    workers: int = 1
    batch_size: int = READ_PAGE
    errors: dict[str, Exception] = field(default_factory=dict)
    notes: list[DataNote] = field(default_factory=list)
    read_notes: dict[str, Sequence[DataNote]] = field(default_factory=dict)
    states: dict[str, list[SeriesStatus]] = field(default_factory=dict)
    stale: list[tuple[SeriesKey, pd.Timestamp, Verdict]] = field(default_factory=list)
    held: dict[str, str] = field(default_factory=dict)
    chunk_keys: list[tuple[SeriesKey, ...]] = field(default_factory=list)
    _ceilings: dict[tuple[str, pd.Timestamp], tuple[dict[Labels, float | None], Exception | None]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.errors = dict(self.source.errors)
        self.states = {signal.name: [] for signal in self.config.signals}

    def chunks(self) -> Iterator[AnalysisChunk]:
        """Every chunk of every signal, in the configured order of the signals."""
        for signal in self.config.signals:
            if signal.name in self.errors:
                continue
            earliest = self.at - pd.Timedelta(seconds=signal.lookback)
            read = self.source.read(signal.name, earliest, self.at, self.batch_size)
            self.read_notes.setdefault(signal.name, read.notes)
            if read.error is not None:
                self.errors.setdefault(signal.name, read.error)
                continue
            ceiling_error = self._ceiling_map(signal, earliest)[1]
            if ceiling_error is not None and not isinstance(ceiling_error, NoSeries):  # judged without its ceiling it would flip: hold
                self.held[signal.name] = f"not judged: its ceiling signal {signal.ceiling_signal} failed (its alerts are held)"
                self.notes.append(DataNote(signal.name, self.held[signal.name]))
                continue
            signal_policy = for_signal(self.policy, signal.model)
            params = _params(signal, signal_policy, self.at)
            judging = None if signal.drivers else Judging(signal, signal_policy, self.at)  # with drivers: judged with the others
            size = chunk_size(read.count, self.workers)
            pending: list[tuple[SeriesKey, np.ndarray, float, float]] = []
            for batch in read.batches:
                for window in batch:
                    item = self._judgeable(signal, window, earliest)
                    if item is not None:
                        pending.append(item)
                    if len(pending) >= size:
                        yield self._chunk(params, judging, pending)
                        pending = []
            if pending:
                yield self._chunk(params, judging, pending)

    def _judgeable(self, signal: Signal, window: SeriesWindow, earliest: pd.Timestamp) -> tuple[SeriesKey, np.ndarray, float, float] | None:
        """The series as (key, samples, start, ceiling) when it is judged now; else its state is recorded."""
        key = SeriesKey(signal.name, window.labels)
        states = self.states[signal.name]
        if window.first is None or window.last is None:
            if window.last_before is not None:  # it reported once, not within the lookback: say so
                states.append(
                    SeriesStatus(key, "outside_lookback", f"no sample in the lookback window; last at {iso_utc(window.last_before)}")
                )
            return None  # else it does not exist yet at this time (label churn)
        first, last, at = window.first, window.last, self.at
        if np.count_nonzero(np.isfinite(window.values)) < 2 or (at - first).total_seconds() < signal.model.min_history:
            states.append(too_young(key, first, at, signal.model.min_history))
            return None
        fresh = stale_gate(for_signal(self.policy, signal.model), float(signal.step), (at - last).total_seconds())
        if not fresh.passed:
            self.stale.append((key, last, Verdict((fresh,), (), f"not judged: stopped reporting at {iso_utc(last)}")))
            return None
        ceiling = self._ceiling_value(signal, window.labels, earliest)
        return key, window.values, window.start, float("nan") if ceiling is None else ceiling

    def _chunk(
        self, params: AnalysisParams, judging: Judging | None, items: list[tuple[SeriesKey, np.ndarray, float, float]]
    ) -> AnalysisChunk:
        keys = tuple(item[0] for item in items)
        self.chunk_keys.append(keys)
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

    def _ceiling_value(self, signal: Signal, labels: Labels, earliest: pd.Timestamp) -> float | None:
        """A constant ceiling, or the latest value before ``at`` of the ceiling signal's series with the same labels."""
        if signal.ceiling is None:
            return None
        if not isinstance(signal.ceiling_signal, str):
            return float(signal.ceiling)  # type: ignore[arg-type]  # apply_limits made every limit ceiling a signal one: a number here
        candidates = self._ceiling_map(signal, earliest)[0]
        if labels in candidates:
            value = candidates[labels]
        elif len(candidates) == 1:
            value = next(iter(candidates.values()))
        else:
            self.notes.append(
                DataNote(
                    signal.name,
                    f"{SeriesKey(signal.name, labels)}: no {signal.ceiling_signal} series with the same labels; analysed without a ceiling",
                )
            )
            return None
        if value is None:
            return None
        if value <= 0 and signal.direction == "up":
            self.notes.append(
                DataNote(
                    signal.name,
                    f"{SeriesKey(signal.name, labels)}: ceiling {signal.ceiling_signal} is {value:g} (unset); analysed without a ceiling",
                )
            )
            return None
        return value


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
