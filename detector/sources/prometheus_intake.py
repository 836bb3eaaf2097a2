"""Take one signal's answered chunks as ``prometheus_pull.stream`` hands them over.

With a store, each chunk is merged into the store as it arrives and then dropped (``SignalWriter``:
one transaction for the signal, committed when its last chunk is in, rolled back when any chunk
failed or the server answered nothing at all, which proves nothing); the pull holds one chunk at
a time, not the whole history. Without a store the chunks are kept and merged per series.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from detector.core.series import DataNote, labels_of
from detector.errors import SourceError
from detector.sources.base import RawSeries
from detector.sources.prometheus_chunks import TimeRange
from detector.sources.prometheus_pull import Delivery
from detector.store.key import StoreKey
from detector.store.session import StoreSession


@dataclass(frozen=True)
class Intake:
    """What one signal's chunks brought: its error, the servers' notes, the series kept in memory
    (without a store), and the samples and distinct series written to the store."""

    error: SourceError | None
    notes: tuple[DataNote, ...]
    raw: tuple[RawSeries, ...] = ()
    samples: int = 0
    series: int = 0
    chunks: int = 0


def into_store(
    deliveries: Iterable[Delivery], session: StoreSession, key: StoreKey, coverage: TimeRange, pulled: list[TimeRange]
) -> Intake:
    """Write each answered chunk to ``session`` as it arrives; set the coverage and holes at the end."""
    notes: list[DataNote] = []
    error: SourceError | None = None
    chunks = 0
    with session.begin(key) as writer:
        for delivery in deliveries:
            chunks += 1
            error = delivery.error
            if delivery.answer is not None and error is None:
                writer.add(delivery.answer[0])
                notes.extend(delivery.answer[1])
            del delivery  # the chunk's samples are in the store: let them go
        if error is not None or writer.series == 0:  # an empty answer proves nothing: the next run retries
            writer.discard()
        else:
            writer.finish(coverage, pulled)
    if error is not None:
        return Intake(error, (), chunks=chunks)
    return Intake(None, tuple(dict.fromkeys(notes)), samples=writer.samples, series=writer.series, chunks=chunks)


def in_memory(deliveries: Iterable[Delivery]) -> Intake:
    """Keep every answered chunk, merged into one ``RawSeries`` per label set."""
    raw: list[RawSeries] = []
    notes: list[DataNote] = []
    error: SourceError | None = None
    chunks = 0
    for delivery in deliveries:
        chunks += 1
        error = delivery.error
        if delivery.answer is not None:
            raw.extend(delivery.answer[0])
            notes.extend(delivery.answer[1])
    if error is not None:
        return Intake(error, (), chunks=chunks)
    return Intake(None, tuple(dict.fromkeys(notes)), tuple(merge_chunks(raw)), chunks=chunks)


def merge_chunks(raw: list[RawSeries]) -> list[RawSeries]:
    """One ``RawSeries`` per label set (chunks return each series once per chunk)."""
    groups: dict[tuple[tuple[str, str], ...], list[RawSeries]] = {}
    for entry in raw:
        groups.setdefault(labels_of(entry.labels), []).append(entry)
    merged = []
    for entries in groups.values():
        if len(entries) == 1:
            merged.append(entries[0])
        else:
            ts = np.concatenate([e.timestamps for e in entries])
            vs = np.concatenate([e.values for e in entries])
            merged.append(RawSeries(entries[0].labels, ts, vs, entries[0].where))
    return merged


@dataclass(frozen=True)
class StorePull:
    """What ``PrometheusSource.pull_into_store`` did: each failed signal's error, the notes (server
    warnings, holes, configuration), and the samples and distinct series written.

    ``errors`` holds, as ``fetch`` does, a signal whose store window has no sample (``NoSeries``:
    absent, unless its series are too young: then a ``YoungSignal`` note). ``planned``: the notes
    made before any pull (configuration); ``by_signal``: each pulled signal's own notes, in order
    (``notes`` is ``planned`` followed by every signal's own notes, the order of ``fetch``)."""

    errors: Mapping[str, Exception]
    notes: tuple[DataNote, ...]
    samples: int
    series: int
    planned: tuple[DataNote, ...] = ()
    by_signal: Mapping[str, tuple[DataNote, ...]] = field(default_factory=dict)
