"""Limit ceilings for a chunked series source: ``apply_limits`` without the series in memory.

``apply_limits`` adds, beside a signal with ``ceiling: {limit: KIND}``, a constant ceiling series
per series (``<signal>__limit``). A streaming evaluation only needs that signal's latest value per
labels, so ``LimitCeilingBatches`` answers a read of ``<signal>__limit`` by reading the signal's
own series batch by batch and giving each one its limit (``ceilings._ceiling_for``, with the same
notes): the same ceilings and notes as ``apply_limits``, and no ceiling series are built.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np
import pandas as pd

from detector.configuration.schema import Config, LimitCeiling
from detector.core.series import DataNote, SeriesKey, SeriesSet
from detector.core.series_batches import SeriesBatches, SeriesWindow, SignalRead
from detector.limits.ceilings import _ceiling_for, apply_limits, ceiling_signal_name
from detector.limits.model import LimitSet


class LimitCeilingBatches:
    """``inner`` plus a ``<signal>__limit`` signal for each signal whose ceiling is a Kubernetes limit."""

    def __init__(self, inner: SeriesBatches, config: Config, limits: LimitSet | None) -> None:
        self.inner = inner
        self.limits = limits
        self.errors: Mapping[str, Exception] = inner.errors
        self.notes: tuple[DataNote, ...] = inner.notes
        self.specs: dict[str, tuple[str, LimitCeiling]] = {
            ceiling_signal_name(s.name): (s.name, s.ceiling_limit) for s in config.signals if s.ceiling_limit is not None
        }

    def read(self, name: str, earliest: pd.Timestamp, at: pd.Timestamp, size: int) -> SignalRead:
        if name not in self.specs:
            return self.inner.read(name, earliest, at, size)
        signal, spec = self.specs[name]
        own = self.inner.read(signal, earliest, at, size)
        if own.error is not None:
            return SignalRead(name, 0)  # as apply_limits: no ceiling series, no notes, no error of its own
        notes: list[DataNote] = []
        return SignalRead(name, own.count, self._ceilings(signal, spec, own, notes), notes=notes)

    def read_paged(self, name: str, earliest: pd.Timestamp, at: pd.Timestamp) -> SignalRead | None:
        """The inner source's pages of a signal of its own (``None``: read it with ``read``)."""
        inner = getattr(self.inner, "read_paged", None)
        if name in self.specs or inner is None:
            return None
        read: SignalRead | None = inner(name, earliest, at)
        return read

    def _ceilings(self, signal: str, spec: LimitCeiling, own: SignalRead, notes: list[DataNote]) -> Iterator[tuple[SeriesWindow, ...]]:
        for batch in own.batches:
            out = []
            for window in batch:
                value = _ceiling_for(spec, SeriesKey(signal, window.labels), self.limits, notes)
                constant = np.full(window.values.shape, np.nan if value is None else value)
                out.append(SeriesWindow(window.labels, constant, window.start, window.first, window.last, window.last_before))
            yield tuple(out)


def with_limit_ceilings(config: Config, source: SeriesBatches, limits: LimitSet | None) -> tuple[Config, SeriesBatches]:
    """``config`` with each limit ceiling turned into a ceiling signal (as ``apply_limits``), and the source that answers it."""
    resolved, _ = apply_limits(config, SeriesSet(), limits)
    return resolved, LimitCeilingBatches(source, config, limits)
