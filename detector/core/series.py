"""Series identity and containers shared by sources, the evaluation and the sinks.

A series is a float ``pandas.Series`` on a regular UTC ``DatetimeIndex`` at the signal's step,
with NaN for gaps. A ``SeriesSet`` holds, per signal, its series keyed by labels, plus the per-signal
errors and data-quality notes of the source that produced it (nothing is dropped silently). It is
read-only once made: a source fills a ``SeriesSetDraft`` and returns ``draft.frozen()``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import pandas as pd

from detector.core.frozen import FrozenMap, read_only

Labels = tuple[tuple[str, str], ...]
"""Sorted (name, value) pairs: hashable, stable label identity."""


def labels_of(mapping: Mapping[str, str]) -> Labels:
    return tuple(sorted((str(k), str(v)) for k, v in mapping.items()))


@dataclass(frozen=True, order=True)
class SeriesKey:
    """Identity of one series: signal name plus its labels."""

    signal: str
    labels: Labels = ()

    @property
    def label_dict(self) -> dict[str, str]:
        return dict(self.labels)

    def __str__(self) -> str:
        """A PromQL selector: label values escaped (a newline in a value never splits a line)."""
        inner = ",".join(f'{k}="{escape_label_value(v)}"' for k, v in self.labels)
        return f"{self.signal}{{{inner}}}"


def escape_label_value(value: str) -> str:
    """PromQL string escapes for a label value: backslash, double quote, newline, carriage return, tab."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")


@dataclass(frozen=True)
class DataNote:
    """Something a source did to the data that the user should know about (kept, reported)."""

    signal: str
    message: str
    location: str = ""

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


@dataclass(frozen=True)
class SeriesSet:
    """Per signal: ``{labels: series}``; per failed signal: its error; and data notes. Read-only:
    the mappings given are copied into read-only mappings and the notes into a tuple."""

    series: Mapping[str, Mapping[Labels, pd.Series]] = field(default_factory=dict)
    errors: Mapping[str, Exception] = field(default_factory=dict)
    notes: tuple[DataNote, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "series", read_only({name: read_only(by) for name, by in self.series.items()}))
        object.__setattr__(self, "errors", read_only(self.errors))
        object.__setattr__(self, "notes", tuple(self.notes))

    def of(self, signal: str) -> Mapping[Labels, pd.Series]:
        return self.series.get(signal, _NONE)

    def keys(self) -> Iterator[SeriesKey]:
        for signal, by_labels in self.series.items():
            for labels in by_labels:
                yield SeriesKey(signal, labels)

    def before(self, at: pd.Timestamp) -> SeriesSet:
        """The same set with every sample at or after ``at`` removed (no look-ahead)."""
        cut = {name: {labels: s.loc[s.index < at] for labels, s in by_labels.items()} for name, by_labels in self.series.items()}
        return SeriesSet(series=cut, errors=self.errors, notes=self.notes)

    @property
    def start(self) -> pd.Timestamp | None:
        """The first sample of any series."""
        starts = [s.index[0] for by in self.series.values() for s in by.values() if len(s)]
        return min(starts) if starts else None

    @property
    def end(self) -> pd.Timestamp | None:
        """Time just after the last sample of any series (the natural 'now' of exported data)."""
        ends = [s.index[-1] for by in self.series.values() for s in by.values() if len(s)]
        return max(ends) if ends else None


_NONE: Mapping[Labels, pd.Series] = FrozenMap()


@dataclass
class SeriesSetDraft:
    """What a source fills while it fetches (``series``, ``errors``, ``notes``); ``frozen()`` is the
    read-only ``SeriesSet`` it returns."""

    series: dict[str, Mapping[Labels, pd.Series]] = field(default_factory=dict)
    errors: dict[str, Exception] = field(default_factory=dict)
    notes: list[DataNote] = field(default_factory=list)

    def frozen(self) -> SeriesSet:
        return SeriesSet(series=self.series, errors=self.errors, notes=tuple(self.notes))
