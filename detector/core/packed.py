"""Results kept pickled: what a large fleet's evaluation holds per series, in about half the memory.

A ``SeriesAnalysis`` of 180 days as Python objects takes about 9 KiB (forty fields, four daily
arrays, nested evidence), a ``Verdict`` about 3 KiB; pickled they are about 6 and 1.4 KiB. A fleet
evaluation keeps one of each per series until its findings, report and metrics are written, so at
50,000 series the objects alone would take 600 MiB, the pickles 360. The worker that computes them pickles them once (``Packed``; it
pickles its results for the trip to the parent anyway), the parent keeps the bytes
(``PackedMap``) and unpickles a value only when something reads it: the drivers of a signal, the
report's plotted series, ``explain``. Standard library only.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator, Mapping
from typing import Any, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Packed(Generic[V]):
    """One value, pickled; ``unpack()`` gives a new copy of it each time."""

    __slots__ = ("blob",)

    def __init__(self, value: V) -> None:
        self.blob = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)

    def unpack(self) -> V:
        value: V = pickle.loads(self.blob)
        return value

    def __reduce__(self) -> tuple[Any, ...]:
        return (_from_blob, (self.blob,))


def _from_blob(blob: bytes) -> Packed[Any]:
    packed: Packed[Any] = Packed.__new__(Packed)
    packed.blob = blob
    return packed


class PackedMap(Mapping[K, V]):
    """A read-only mapping holding its values pickled; each lookup unpickles a fresh copy.

    Iterating the keys or testing membership unpickles nothing; ``items()``/``values()`` unpickle
    every value (as a dict's would give every object). Equal to any mapping with equal items.
    """

    __slots__ = ("_blobs",)

    def __init__(self, packed: Mapping[K, Packed[V]] | None = None) -> None:
        self._blobs: dict[K, bytes] = {key: value.blob for key, value in (packed or {}).items()}

    def __getitem__(self, key: K) -> V:
        value: V = pickle.loads(self._blobs[key])
        return value

    def __iter__(self) -> Iterator[K]:
        return iter(self._blobs)

    def __len__(self) -> int:
        return len(self._blobs)

    def __contains__(self, key: object) -> bool:
        return key in self._blobs

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"PackedMap({len(self._blobs)} values)"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_map_from_blobs, (self._blobs,))


def _map_from_blobs(blobs: dict[Any, bytes]) -> PackedMap[Any, Any]:
    out: PackedMap[Any, Any] = PackedMap()
    out._blobs = dict(blobs)
    return out
