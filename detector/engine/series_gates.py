"""Whether a series is judged now, and with which ceiling: the per-series gates before the model runs.

A series is not judged when it has no sample in the lookback (said, when it reported before it),
is too young, or has stopped reporting (stale); otherwise it goes to the model with its ceiling:
a constant, or the latest value of the ceiling signal's series with the same labels. The parent
applies these gates to windows it read itself (``chunk_plan``); a pool worker applies the same
``SeriesGate`` to the pages it reads itself (``analysis_pages``) and returns its ``GateRecords``,
which the parent merges in page order: the same decisions, notes and states either way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from detector.configuration.schema import Signal
from detector.core.coverage import SeriesStatus, too_young
from detector.core.instants import iso_utc
from detector.core.series import DataNote, Labels, SeriesKey
from detector.core.series_batches import SeriesWindow
from detector.policy.gates import Verdict
from detector.policy.judge import stale_gate
from detector.policy.thresholds import DetectionPolicy

Judgeable = tuple[SeriesKey, np.ndarray, float, float]
"""A series the model runs on: (key, samples in the window, first grid time, ceiling or NaN)."""


@dataclass
class GateRecords:
    """What the gates decided on the way, in series order: series states, stale series, notes."""

    states: list[SeriesStatus] = field(default_factory=list)
    stale: list[tuple[SeriesKey, pd.Timestamp, Verdict]] = field(default_factory=list)
    notes: list[DataNote] = field(default_factory=list)


@dataclass(frozen=True)
class Ceilings:
    """A signal's ceiling per series: ``constant``, or ``candidates`` (the ceiling signal ``source``'s
    latest value per labels; ``only``: its value when it has a single series, which then applies to all)."""

    signal: str
    source: str | None = None
    constant: float | None = None
    candidates: Mapping[Labels, float | None] = field(default_factory=dict)
    only: tuple[float | None, ...] = ()

    @classmethod
    def of(cls, signal: Signal, candidates: Mapping[Labels, float | None]) -> Ceilings:
        """The ceilings of ``signal`` given its ceiling signal's latest values (ignored for a constant)."""
        if signal.ceiling is None:
            return cls(signal.name)
        if not isinstance(signal.ceiling_signal, str):
            return cls(signal.name, constant=float(signal.ceiling))  # type: ignore[arg-type]  # apply_limits made every limit ceiling a signal one
        only = tuple(candidates.values()) if len(candidates) == 1 else ()
        return cls(signal.name, signal.ceiling_signal, None, dict(candidates), only)

    def for_labels(self, labels: Iterable[Labels]) -> Ceilings:
        """The same ceilings for these series only (what a page of them needs to be sent)."""
        if self.source is None:
            return self
        kept = {label: self.candidates[label] for label in labels if label in self.candidates}
        return Ceilings(self.signal, self.source, None, kept, self.only)

    def value(self, labels: Labels, direction: str, notes: list[DataNote]) -> float | None:
        """The ceiling of the series ``labels``; ``None`` (with a note saying why, when one was configured): none."""
        if self.source is None:
            return self.constant
        if labels in self.candidates:
            value = self.candidates[labels]
        elif self.only:
            value = self.only[0]
        else:
            key = SeriesKey(self.signal, labels)
            notes.append(DataNote(self.signal, f"{key}: no {self.source} series with the same labels; analysed without a ceiling"))
            return None
        if value is None:
            return None
        if value <= 0 and direction == "up":
            key = SeriesKey(self.signal, labels)
            notes.append(DataNote(self.signal, f"{key}: ceiling {self.source} is {value:g} (unset); analysed without a ceiling"))
            return None
        return value


@dataclass(frozen=True)
class SeriesGate:
    """The gates of one signal at ``at`` (its policy already resolved), for windows from ``earliest``."""

    signal: Signal
    policy: DetectionPolicy
    at: pd.Timestamp
    earliest: pd.Timestamp
    ceilings: Ceilings

    def for_labels(self, labels: Iterable[Labels]) -> SeriesGate:
        return SeriesGate(self.signal, self.policy, self.at, self.earliest, self.ceilings.for_labels(labels))

    def judge(self, window: SeriesWindow, records: GateRecords) -> Judgeable | None:
        """The series as (key, samples, start, ceiling) when it is judged now; else why not, in ``records``."""
        signal = self.signal
        key = SeriesKey(signal.name, window.labels)
        if window.first is None or window.last is None:
            if window.last_before is not None:  # it reported once, not within the lookback: say so
                reason = f"no sample in the lookback window; last at {iso_utc(window.last_before)}"
                records.states.append(SeriesStatus(key, "outside_lookback", reason))
            return None  # else it does not exist yet at this time (label churn)
        first, last, at = window.first, window.last, self.at
        if np.count_nonzero(np.isfinite(window.values)) < 2 or (at - first).total_seconds() < signal.model.min_history:
            records.states.append(too_young(key, first, at, signal.model.min_history))
            return None
        fresh = stale_gate(self.policy, float(signal.step), (at - last).total_seconds())
        if not fresh.passed:
            records.stale.append((key, last, Verdict((fresh,), (), f"not judged: stopped reporting at {iso_utc(last)}")))
            return None
        ceiling = self.ceilings.value(window.labels, signal.direction, records.notes)
        return key, window.values, window.start, float("nan") if ceiling is None else ceiling
