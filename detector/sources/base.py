"""What every source shares: the ``Source`` protocol, raw series, and their assembly into series.

A reader (file or HTTP) turns its input into ``RawSeries`` (labels plus unsorted samples);
``assemble_signal`` applies the rules common to all sources: entries with identical labels are
merged, ``__name__`` is dropped from the identity unless that makes two series collide, samples at
or after the evaluation time are cut, and each series is put on the signal's regular grid.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import pandas as pd

from detector.configuration.schema import Signal
from detector.core.instants import to_utc
from detector.core.raw_series import RawSeries  # its home; imported from here too by the readers
from detector.core.series import DataNote, Labels, SeriesKey, SeriesSet, labels_of
from detector.errors import DataError, NoSeries, SeriesSkipped
from detector.sources.regular import regularize

NAME_LABEL = "__name__"


class Source(Protocol):
    """Anything that can produce the series of the configured signals."""

    def fetch(self, signals: Sequence[Signal], end: pd.Timestamp | None = None) -> SeriesSet:
        """Series of each signal on its step grid, with only samples strictly before ``end``.

        ``end`` is the evaluation time; None means all available data. One bad signal or series
        never raises: its error goes to ``SeriesSet.errors[signal]`` (a series that cannot be used
        becomes a note). Raises only when nothing at all can be read (``DataError`` or
        ``SourceError``).
        """
        ...


def assemble_signal(
    signal: str,
    raw: Sequence[RawSeries],
    step_seconds: float,
    *,
    origin: str,
    end: pd.Timestamp | None = None,
    min_samples: int = 2,
) -> tuple[dict[Labels, pd.Series], list[DataNote]]:
    """Turn the raw series of one signal into regular series keyed by their identity labels.

    Parameters
    ----------
    signal : str
        Signal name (for notes).
    raw : sequence of RawSeries
        Everything read for this signal (e.g. the entries of one file).
    step_seconds : float
        Grid step in seconds.
    origin : str
        Where the data came from (a file path, a query), used in notes and errors.
    end : pandas.Timestamp, optional
        Samples at or after this instant are excluded; naive timestamps are taken as UTC.
    min_samples : int
        Finite samples a series needs to be kept (1: a series in its first grid step is kept, and
        the evaluation calls it too young).

    Returns
    -------
    series, notes
        ``{labels: series}`` sorted by labels, and data notes (collapsed duplicates, infinite
        values, series that were skipped and why).

    Raises
    ------
    NoSeries
        When the signal has no series (before ``end``), located at ``origin``.
    SeriesSkipped
        When every series was skipped; its ``notes`` are the notes above (one per skipped series).
    """
    merged = _merge_identical(raw)
    identities, notes = _identities(signal, list(merged), origin)
    end_s = None if end is None else _seconds(end)
    out: dict[Labels, pd.Series] = {}
    reasons: list[str] = []
    for full, identity in sorted(zip(merged, identities, strict=False), key=lambda pair: pair[1]):
        ts, vs = merged[full]
        if end_s is not None:
            before = ts < end_s
            ts, vs = ts[before], vs[before]
            if ts.size == 0:
                continue  # the series does not exist yet at `end`: nothing to report
        where = f"{origin} {SeriesKey(signal, identity)}"
        try:
            series, series_notes = regularize(ts, vs, step_seconds, location=where, signal=signal, min_samples=min_samples)
        except DataError as err:
            notes.append(DataNote(signal, f"series skipped: {err.message}", where))
            reasons.append(err.message)
            continue
        notes.extend(series_notes)
        out[identity] = series
    if not out:
        if reasons:  # every series skipped: the error carries the notes that say which and why
            raise SeriesSkipped(_nothing_left(len(merged), reasons, end), location=origin, notes=notes)
        raise NoSeries(_nothing_left(len(merged), reasons, end), location=origin)  # nothing matched (or nothing yet at `end`): absent
    return out, notes


def _merge_identical(raw: Sequence[RawSeries]) -> dict[Labels, tuple[np.ndarray, np.ndarray]]:
    """Concatenate the samples of entries with identical labels (the grid resolves duplicates)."""
    parts: dict[Labels, list[RawSeries]] = {}
    for entry in raw:
        parts.setdefault(labels_of(entry.labels), []).append(entry)
    merged: dict[Labels, tuple[np.ndarray, np.ndarray]] = {}
    for labels, entries in parts.items():
        if len(entries) == 1:
            merged[labels] = (np.asarray(entries[0].timestamps, float), np.asarray(entries[0].values, float))
        else:
            merged[labels] = (
                np.concatenate([np.asarray(e.timestamps, float) for e in entries]),
                np.concatenate([np.asarray(e.values, float) for e in entries]),
            )
    return merged


def _identities(signal: str, labels: list[Labels], origin: str) -> tuple[list[Labels], list[DataNote]]:
    """Drop ``__name__`` from every identity unless two distinct series would then collide."""
    dropped = [tuple(pair for pair in lbl if pair[0] != NAME_LABEL) for lbl in labels]
    if len(set(dropped)) == len(dropped):
        return dropped, []
    collisions = len(dropped) - len(set(dropped))
    note = DataNote(
        signal,
        f"kept the {NAME_LABEL} label in series identities: without it {collisions} series would "
        "collide, so they will not match series of other signals (e.g. a ceiling) by labels",
        origin,
    )
    return labels, [note]


def _nothing_left(total: int, reasons: list[str], end: pd.Timestamp | None) -> str:
    if total == 0:
        return "no series (the query matched nothing)"
    if not reasons:
        return f"no samples before {end}"
    first = reasons[0]
    if len(reasons) == 1:
        return f"no usable series: {first}"
    return f"no usable series: all {len(reasons)} were skipped (first: {first}; see the notes)"


def _seconds(instant: pd.Timestamp) -> float:
    return to_utc(instant).timestamp()
