"""A page of series read, gated and analysed where it runs: the unit of work when workers read the store.

A ``PageChunk`` carries no samples: only the page (``SeriesPage``: the series' identities and where
they are stored), the signal's gates and the model settings. The worker reads the page, applies
the gates (``series_gates``), runs the model on the series judged now (``analysis_chunks``) and
returns a ``PageOutcome``: each analysed series' outcome, plus what the read and the gates noted, for
the parent to merge in page order. So the parent neither reads nor pickles samples, and the
workers do the reading in parallel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from detector.core.series import DataNote, SeriesKey
from detector.core.series_batches import SeriesPage
from detector.engine.analysis_chunks import AnalysisChunk, AnalysisParams, Judging, Outcome, analyze_chunk
from detector.engine.series_gates import GateRecords, Judgeable, SeriesGate


@dataclass(frozen=True)
class PageChunk:
    """A page of one signal's series to read, gate and analyse."""

    params: AnalysisParams
    judging: Judging | None
    gate: SeriesGate
    page: SeriesPage

    def __len__(self) -> int:
        return len(self.page.labels())

    def keys(self) -> tuple[SeriesKey, ...]:
        """Every listed series of the page (what is reported as not evaluated if the page is lost)."""
        return tuple(SeriesKey(self.gate.signal.name, labels) for labels in self.page.labels())


@dataclass(frozen=True)
class PageOutcome:
    """What a page gave: the outcomes of its analysed series, how many had a window, and the notes,
    skip reasons and gate records of the read, in series order."""

    outcomes: list[tuple[SeriesKey, Outcome]]
    windows: int
    read_notes: list[DataNote]
    skipped: list[str]
    records: GateRecords


def analyze_page(chunk: PageChunk) -> PageOutcome:
    """Read ``chunk``'s page, gate each series and analyse those judged now, in order."""
    read_notes: list[DataNote] = []
    skipped: list[str] = []
    records = GateRecords()
    items: list[Judgeable] = []
    windows = 0
    for window in chunk.page.windows(read_notes, skipped):
        windows += 1
        item = chunk.gate.judge(window, records)
        if item is not None:
            items.append(item)
    analysed = AnalysisChunk(
        chunk.params,
        chunk.judging,
        tuple(item[0] for item in items),
        tuple(np.ascontiguousarray(item[1], dtype=float) for item in items),
        np.array([item[2] for item in items], dtype=float),
        np.array([item[3] for item in items], dtype=float),
    )
    return PageOutcome(analyze_chunk(analysed) if items else [], windows, read_notes, skipped, records)


def run_chunk(chunk: AnalysisChunk | PageChunk) -> list[tuple[SeriesKey, Outcome]] | PageOutcome:
    """The work of either kind of chunk (what the evaluation hands its executor)."""
    if isinstance(chunk, PageChunk):
        return analyze_page(chunk)
    return analyze_chunk(chunk)
