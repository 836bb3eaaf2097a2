"""Plan the ``query_range`` calls of one signal: window, what the store lacks, and chunks.

All arithmetic is in integer **milliseconds** since the epoch (Prometheus' own resolution), so a
float step never drifts. Every range is inclusive at both ends (as ``query_range`` is) and lies on
the step grid anchored at the epoch, so consecutive chunks meet without sharing a sample: chunk
``i`` ends exactly one step before chunk ``i + 1`` starts.
"""

from __future__ import annotations

import math

import pandas as pd

from detector.core.instants import unix_ms
from detector.core.time_range import TimeRange  # its home; imported from here too by the source's modules

OVERLAP_STEPS = 2
"""Steps re-pulled before the stored coverage ends: the newest points of the previous run may have
been computed from incomplete data (late scrapes, rule evaluation lag); the store replaces them."""


def step_ms_of(step_seconds: float) -> int:
    """The step in whole milliseconds (at least 1)."""
    if not step_seconds > 0:
        raise ValueError(f"step must be > 0 seconds, got {step_seconds!r}")
    return max(1, round(step_seconds * 1000))


def query_window(end: pd.Timestamp, lookback_seconds: float, step_seconds: float) -> TimeRange | None:
    """Grid points ``t`` with ``end - lookback <= t < end`` (samples strictly before ``end``).

    Returns None when no grid point falls in the window (a lookback shorter than one step).
    """
    step = step_ms_of(step_seconds)
    end_ms = unix_ms(end)
    last = (end_ms - 1) // step * step  # the last multiple strictly before `end`
    first = -(-(end_ms - round(lookback_seconds * 1000)) // step) * step  # ceil to the grid
    if first > last:
        return None
    return TimeRange(first, last)


def missing_ranges(
    window: TimeRange, step_ms: int, coverage: TimeRange | None, overlap_steps: int = OVERLAP_STEPS
) -> tuple[list[TimeRange], TimeRange]:
    """What to pull for ``window`` given the range already pulled into the store, and the new coverage.

    Parameters
    ----------
    window : TimeRange
        The grid points the caller needs.
    step_ms : int
        Grid step in milliseconds.
    coverage : TimeRange or None
        The contiguous range whose samples the store already holds (None: nothing stored).
    overlap_steps : int
        Stored points re-pulled at the end of the coverage (see ``OVERLAP_STEPS``).

    Returns
    -------
    ranges, coverage
        Disjoint ranges to pull (oldest first; possibly empty) and the contiguous range covered
        once they are pulled. A window that does not touch the coverage replaces it.
    """
    if coverage is None or window.end_ms < coverage.start_ms - step_ms or window.start_ms > coverage.end_ms + step_ms:
        return [window], window
    ranges: list[TimeRange] = []
    if window.start_ms < coverage.start_ms:
        ranges.append(TimeRange(window.start_ms, min(window.end_ms, coverage.start_ms - step_ms)))
    tail_start = max(window.start_ms, coverage.end_ms - overlap_steps * step_ms, coverage.start_ms)
    if window.end_ms > coverage.end_ms - overlap_steps * step_ms and tail_start <= window.end_ms:
        if ranges and tail_start <= ranges[-1].end_ms + step_ms:
            ranges[-1] = TimeRange(ranges[-1].start_ms, window.end_ms)
        else:
            ranges.append(TimeRange(tail_start, window.end_ms))
    merged = TimeRange(min(window.start_ms, coverage.start_ms), max(window.end_ms, coverage.end_ms))
    return ranges, merged


def plan_chunks(span: TimeRange, step_ms: int, max_points: int, max_range_seconds: float | None = None) -> list[TimeRange]:
    """Split ``span`` into consecutive chunks within the server's limits, without shared samples.

    Parameters
    ----------
    span : TimeRange
        Grid-aligned inclusive range.
    step_ms : int
        Grid step in milliseconds.
    max_points : int
        Most points one chunk may hold, both ends counted (Prometheus refuses more than 11,000).
    max_range_seconds : float, optional
        Longest ``end - start`` of one chunk in seconds (e.g. Mimir's ``max_query_length``).
    """
    if max_points < 1:
        raise ValueError(f"max_points must be >= 1, got {max_points}")
    per_chunk = max_points
    if max_range_seconds is not None:
        per_chunk = min(per_chunk, math.floor(max_range_seconds * 1000 / step_ms) + 1)
    per_chunk = max(1, per_chunk)
    chunks = []
    start = span.start_ms
    while start <= span.end_ms:
        end = min(span.end_ms, start + (per_chunk - 1) * step_ms)
        chunks.append(TimeRange(start, end))
        start = end + step_ms
    return chunks


def format_seconds(ms: int) -> str:
    """Milliseconds as the decimal seconds string the Prometheus API takes (``1717200000.5``)."""
    whole, frac = divmod(ms, 1000)
    return f"{whole}" if frac == 0 else f"{whole}.{frac:03d}".rstrip("0")
