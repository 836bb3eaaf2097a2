"""Holes in the stored history: ranges the server answered empty for a series that reported before
and after them (an HA replica with a gap, a partial Thanos/Mimir answer).

Without them a run that got one empty chunk would record the whole range as stored, and later
runs, which ask only for what is new, would never ask again: a permanent hole with no note. So the
store keeps each hole (series, range); the source re-requests up to ``HOLE_CHUNKS_PER_RUN`` of
them per signal and run, newest first, and notes the ones still open. A hole is closed when an
answer brings a sample of that series inside it (or when it falls out of the retention).

Pure functions over grid ranges in milliseconds (``TimeRange``, inclusive at both ends); the
SQLite side is in ``detector.store.history``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from detector.core.time_range import TimeRange

HOLE_CHUNKS_PER_RUN = 4
"""Hole ranges re-requested per signal and run: a server that keeps a long gap costs a few small
queries per run, never a re-pull of the whole lookback."""


@dataclass(frozen=True, order=True)
class Hole:
    """No sample of the series ``labels`` (as stored: sorted JSON) was received in ``span``."""

    span: TimeRange
    labels: str


@dataclass(frozen=True)
class SeriesExtent:
    """Where one stored series has samples: its first and last timestamp, and a test for a range."""

    labels: str
    first_ms: int
    last_ms: int
    timestamps: np.ndarray  # sorted int64 ms of the stored samples near the ranges asked about

    def has_sample_in(self, span: TimeRange) -> bool:
        at = int(np.searchsorted(self.timestamps, span.start_ms, side="left"))
        return at < self.timestamps.size and int(self.timestamps[at]) <= span.end_ms


def new_holes(pulled: Sequence[TimeRange], extents: Iterable[SeriesExtent]) -> list[Hole]:
    """The pulled ranges in which a series has no sample although it has samples before and after."""
    holes = []
    for extent in extents:
        for span in pulled:
            if extent.first_ms < span.start_ms and extent.last_ms > span.end_ms and not extent.has_sample_in(span):
                holes.append(Hole(span, extent.labels))
    return holes


def subtract(span: TimeRange, cut: TimeRange, step_ms: int) -> list[TimeRange]:
    """The grid points of ``span`` outside ``cut`` (zero, one or two ranges)."""
    if cut.end_ms < span.start_ms or cut.start_ms > span.end_ms:
        return [span]
    parts = []
    if cut.start_ms > span.start_ms:
        parts.append(TimeRange(span.start_ms, cut.start_ms - step_ms))
    if cut.end_ms < span.end_ms:
        parts.append(TimeRange(cut.end_ms + step_ms, span.end_ms))
    return [part for part in parts if part.start_ms <= part.end_ms]


def to_request(holes: Iterable[Hole], window: TimeRange, planned: Sequence[TimeRange], limit: int = HOLE_CHUNKS_PER_RUN) -> list[TimeRange]:
    """The hole ranges to ask for this run: inside ``window``, not already ``planned``, newest first, at most ``limit``."""
    spans = set()
    for hole in holes:
        span = TimeRange(max(hole.span.start_ms, window.start_ms), min(hole.span.end_ms, window.end_ms))
        if span.start_ms <= span.end_ms and not any(p.start_ms <= span.end_ms and span.start_ms <= p.end_ms for p in planned):
            spans.add(span)
    return sorted(spans, reverse=True)[:limit]


def describe(holes: Sequence[Hole], window: TimeRange, step_ms: int, limit: int = HOLE_CHUNKS_PER_RUN) -> str | None:
    """One line about the open holes inside ``window`` (None when there are none)."""
    inside = [h for h in holes if h.span.end_ms >= window.start_ms and h.span.start_ms <= window.end_ms]
    if not inside:
        return None
    series = len({h.labels for h in inside})
    spans = sorted({h.span for h in inside})
    steps = sum(span.points(step_ms) for span in spans)
    oldest = np.datetime64(spans[0].start_ms, "ms").astype(str)[:16]
    return (
        f"{len(spans)} range(s) of the stored history ({steps} step(s), the oldest from {oldest} UTC) came back empty for "
        f"{series} series that reported before and after; re-requested on later runs ({limit} range(s) per run) until filled"
    )
