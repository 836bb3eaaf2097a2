"""What one signal needs from Prometheus this run: its window, what the store lacks, and the chunks to ask for.

A long pull (a first run, or a catch-up after an outage: more than ``PROBE_ABOVE_POINTS`` points)
first asks how many series the query has (``count(query)``, once, without retries) and cuts its
chunks so that one answer holds at most ``prometheus.max_samples_per_query`` samples: with the
chunk-by-chunk write (``prometheus_intake``) that bounds the memory of a pull however many series
one query matches. A short pull (the hourly run: a few points) never asks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from detector.configuration.schema import Signal
from detector.core.instants import DAY
from detector.core.series import DataNote
from detector.errors import ConfigError
from detector.sources.prometheus_chunks import (
    TimeRange,
    missing_ranges,
    plan_chunks,
    query_window,
    step_ms_of,
)
from detector.store import holes as store_holes
from detector.store.history import HistoryStore, StoreKey, StoreSession

PROBE_ABOVE_POINTS = 256
"""Points per series above which a pull first counts the query's series (one store block, ~10 days hourly)."""


@dataclass
class SignalPlan:
    """What one signal needs this run (``chunks`` and ``coverage`` are filled in by ``chunk``)."""

    signal: Signal
    window: TimeRange
    step_ms: int
    chunks: list[TimeRange] = field(default_factory=list)
    coverage: TimeRange | None = None
    ranges: list[TimeRange] = field(default_factory=list)

    @property
    def key(self) -> StoreKey:
        return StoreKey(self.signal.name, self.signal.query or "", self.step_ms)

    def chunk(self, session: StoreSession | None, max_points: int, max_range: float | None) -> None:
        """The chunks to pull: the part of the window the store lacks (all of it without a store),
        and a few of the holes the server left, each split within the server's limits."""
        stored = session.coverage(self.key) if session is not None else None
        ranges, self.coverage = missing_ranges(self.window, self.step_ms, stored)
        if session is not None and stored is not None:  # holes the server left: ask again, a few per run
            ranges += store_holes.to_request(session.holes(self.key), self.window, ranges)
        self.ranges = ranges
        self.split(max_points, max_range)

    @property
    def points(self) -> int:
        """Grid points this run asks for (per series)."""
        return sum(span.points(self.step_ms) for span in self.ranges)

    def split(self, max_points: int, max_range: float | None) -> None:
        """Cut the ranges into chunks of at most ``max_points`` points and ``max_range`` seconds."""
        self.chunks = [chunk for span in self.ranges for chunk in plan_chunks(span, self.step_ms, max_points, max_range)]


def counts_series(plan: SignalPlan, max_samples: int | None) -> bool:
    """Whether ``plan`` first counts its query's series: a sample budget is set and it asks for more
    than ``PROBE_ABOVE_POINTS`` points per series."""
    return max_samples is not None and plan.points > PROBE_ABOVE_POINTS


def fit_to_budget(plan: SignalPlan, series: int | None, max_samples: int, max_points: int, max_range: float | None) -> None:
    """Smaller chunks where ``series`` x points would pass ``max_samples`` in one answer (None: unknown, unchanged)."""
    if series is not None and series > 0:
        plan.split(max(1, min(max_points, max_samples // series)), max_range)


def plan_signal(
    signal: Signal, end: pd.Timestamp, store: HistoryStore | None, errors: dict[str, Exception], notes: list[DataNote]
) -> SignalPlan | None:
    """The plan of ``signal`` as of ``end``, or None after adding its ``ConfigError`` to ``errors``."""
    if not signal.query:
        errors[signal.name] = ConfigError(
            "no query: reading from Prometheus needs a PromQL 'query' for every signal", location=f"signals.{signal.name}"
        )
        return None
    window = query_window(end, signal.lookback, signal.step)
    if window is None:
        errors[signal.name] = ConfigError(
            f"lookback {signal.lookback:g} s is shorter than one step ({signal.step:g} s)", location=f"signals.{signal.name}"
        )
        return None
    if store is not None and store.retention < signal.lookback:
        notes.append(
            DataNote(
                signal.name,
                f"store.retention ({store.retention / DAY:g} d) is shorter than the lookback "
                f"({signal.lookback / DAY:g} d): the older part is pulled again on every run",
                "store.retention",
            )
        )
    return SignalPlan(signal, window, step_ms_of(signal.step))
