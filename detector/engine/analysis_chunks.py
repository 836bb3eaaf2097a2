"""The unit of work an executor runs: a chunk of series of one signal, as compact numpy arrays.

A chunk carries the model settings once (``AnalysisParams``) and, per series, its key, samples
(float64), first grid time and ceiling: no pandas objects, nothing per-task to set up, so pickling
it to a worker costs a memcpy of the samples. ``analyze_chunk`` is module-level (a process pool
or a Dask worker imports it by name); its result is the compact ``SeriesAnalysis`` of each series
(or, for a series the model refuses for lack of data, the message). A signal without drivers is
judged there too (``Judging``): the parent then only collects findings, so judging the fleet
runs in parallel instead of after it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from detector.configuration.schema import Signal
from detector.core.findings import Finding
from detector.core.packed import Packed
from detector.core.series import SeriesKey
from detector.engine.assess import assess
from detector.policy.gates import Verdict
from detector.policy.thresholds import DetectionPolicy
from models._validation import InsufficientData
from models.analysis import SeriesAnalysis
from models.evidence import EvidenceSpec
from models.pipeline import SeriesAnalyzer


@dataclass(frozen=True)
class Assessed:
    """A series' analysis with its findings and verdict, judged where it was analysed (a signal
    without drivers needs no other series to be judged). The analysis and verdict come pickled
    (``core.packed``): the parent keeps them so and unpickles only what it reads."""

    analysis: Packed[SeriesAnalysis]
    findings: tuple[Finding, ...]
    verdict: Packed[Verdict]


Outcome = Packed[SeriesAnalysis] | Assessed | str
"""What one series gives: its analysis (judged already, or pickled, to be judged with its drivers),
or the model's reason for not judging it."""


@dataclass(frozen=True)
class Judging:
    """What judging a signal's series needs where they are analysed: the signal, its policy, the time."""

    signal: Signal
    policy: DetectionPolicy
    at: pd.Timestamp


@dataclass(frozen=True)
class AnalysisParams:
    """The model settings shared by every series of a signal (one copy per chunk)."""

    step: float
    now: float
    censor_at: float | None
    direction: str
    seasonality: str
    min_regime_days: int
    penalty: float
    confidence: float
    drift_window_days: int
    evidence: EvidenceSpec


@dataclass(frozen=True)
class AnalysisChunk:
    """Series of one signal to analyse: ``values[i]`` starts at ``starts[i]`` (unix seconds) with
    ceiling ``ceilings[i]`` (NaN: none)."""

    params: AnalysisParams
    judging: Judging | None
    keys: tuple[SeriesKey, ...]
    values: tuple[np.ndarray, ...]
    starts: np.ndarray
    ceilings: np.ndarray

    def __len__(self) -> int:
        return len(self.keys)


def analyze_chunk(chunk: AnalysisChunk) -> list[tuple[SeriesKey, Outcome]]:
    """Run the model on every series of ``chunk``, in order."""
    p = chunk.params
    out: list[tuple[SeriesKey, Outcome]] = []
    for key, values, start, ceiling in zip(chunk.keys, chunk.values, chunk.starts, chunk.ceilings, strict=False):
        analyzer = SeriesAnalyzer(p.seasonality, p.min_regime_days, p.penalty, p.confidence, p.drift_window_days, p.evidence)
        try:
            analyzer.fit(
                values,
                float(start),
                p.step,
                censor_at=p.censor_at,
                ceiling=None if np.isnan(ceiling) else float(ceiling),
                direction=p.direction,
                now=p.now,
            )
            analysis = analyzer.analysis_
        except InsufficientData as exc:  # only "cannot judge this series" becomes a note; anything else is a bug
            out.append((key, str(exc)))
            continue
        if chunk.judging is None:
            out.append((key, Packed(analysis)))
        else:
            j = chunk.judging
            findings, verdict = assess(j.signal, key, analysis, j.at, None, j.policy, None)
            out.append((key, Assessed(Packed(analysis), tuple(findings), Packed(verdict))))
    return out
