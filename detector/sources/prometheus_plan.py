"""What one signal needs from Prometheus this run: its window, what the store lacks, and the chunks to ask for."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from detector import store_holes
from detector.config import Signal
from detector.errors import ConfigError
from detector.series import DataNote
from detector.sources.prometheus_chunks import TimeRange, missing_ranges, plan_chunks, query_window, step_ms_of
from detector.store import HistoryStore, StoreKey, StoreSession


@dataclass
class SignalPlan:
    """What one signal needs this run (``chunks`` and ``coverage`` are filled in by ``chunk``)."""

    signal: Signal
    window: TimeRange
    step_ms: int
    chunks: list[TimeRange] = field(default_factory=list)
    coverage: TimeRange | None = None

    @property
    def key(self) -> StoreKey:
        return StoreKey(self.signal.name, self.signal.query or "", self.step_ms)

    def chunk(self, session: StoreSession | None, max_points: int, max_range: float | None) -> None:
        """The chunks to pull: the part of the window the store lacks (all of it without a store),
        and a few of the holes the server left, each split within the server's limits."""
        stored = session.coverage(self.key) if session is not None else None
        ranges, self.coverage = missing_ranges(self.window, self.step_ms, stored)
        if session is not None and stored is not None:       # holes the server left: ask again, a few per run
            ranges += store_holes.to_request(session.holes(self.key), self.window, ranges)
        for span in ranges:
            self.chunks += plan_chunks(span, self.step_ms, max_points, max_range)


def plan_signal(signal: Signal, end: pd.Timestamp, store: HistoryStore | None,
                errors: dict[str, Exception], notes: list[DataNote]) -> SignalPlan | None:
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
        notes.append(DataNote(
            signal.name,
            f"store.retention ({store.retention / 86400:g} d) is shorter than the lookback "
            f"({signal.lookback / 86400:g} d): the older part is pulled again on every run",
            "store.retention",
        ))
    return SignalPlan(signal, window, step_ms_of(signal.step))
