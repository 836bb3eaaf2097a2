"""The unit of work an executor runs: a chunk of series of one signal, as compact numpy arrays.

A chunk carries the model settings once (``AnalysisParams``) and, per series, its key, samples
(float64), first grid time and ceiling: no pandas objects, nothing per-task to set up, so pickling
it to a worker costs a memcpy of the samples. ``analyze_chunk`` is module-level (a process pool
or a Dask worker imports it by name); its result is the compact ``SeriesAnalysis`` of each series
(or, for a series the model refuses for lack of data, the message).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models._validation import InsufficientData
from models.analysis import SeriesAnalysis
from models.evidence import EvidenceSpec
from models.pipeline import SeriesAnalyzer

from detector.series import SeriesKey

Outcome = SeriesAnalysis | str
"""What one series gives: its analysis, or the model's reason for not judging it."""


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
    for key, values, start, ceiling in zip(chunk.keys, chunk.values, chunk.starts, chunk.ceilings):
        analyzer = SeriesAnalyzer(p.seasonality, p.min_regime_days, p.penalty, p.confidence, p.drift_window_days, p.evidence)
        try:
            analyzer.fit(values, float(start), p.step, censor_at=p.censor_at, ceiling=None if np.isnan(ceiling) else float(ceiling),
                         direction=p.direction, now=p.now)
            out.append((key, analyzer.analysis_))
        except InsufficientData as exc:   # only "cannot judge this series" becomes a note; anything else is a bug
            out.append((key, str(exc)))
    return out
