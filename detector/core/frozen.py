"""A read-only mapping for results and settings: lookups as fast as a dict's, no way to write.

``types.MappingProxyType`` would do, but it cannot be pickled, and series sets and the config
travel to worker processes; ``FrozenMap`` pickles as the plain dict it wraps. Needs only the
standard library (the config uses it before pandas is imported).
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterator, KeysView, Mapping, ValuesView
from typing import Any, TypeVar, overload

K = TypeVar("K")
V = TypeVar("V")
D = TypeVar("D")


class FrozenMap(Mapping[K, V]):
    """A read-only copy of a mapping: ``m[k] = v``, ``del m[k]``, ``m.update(...)`` all fail.

    Equal to any mapping with the same items (``FrozenMap({}) == {}``); unhashable, like a dict.
    """

    __slots__ = ("_data",)

    def __init__(self, items: Mapping[K, V] | None = None) -> None:
        self._data: dict[K, V] = dict(items) if items is not None else {}

    def __getitem__(self, key: K) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    @overload
    def get(self, key: K) -> V | None: ...
    @overload
    def get(self, key: K, default: V | D) -> V | D: ...
    def get(self, key: K, default: Any = None) -> Any:
        return self._data.get(key, default)

    def keys(self) -> KeysView[K]:
        return self._data.keys()

    def items(self) -> ItemsView[K, V]:
        return self._data.items()

    def values(self) -> ValuesView[V]:
        return self._data.values()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrozenMap):
            return self._data == other._data
        return self._data == other if isinstance(other, dict) else Mapping.__eq__(self, other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenMap, (self._data,))


def read_only(mapping: Mapping[K, V]) -> Mapping[K, V]:
    """A read-only copy of ``mapping`` (the original may change freely afterwards); a ``PackedMap``
    is read-only already and is kept as it is (a copy would unpickle every value)."""
    from detector.core.packed import PackedMap

    return mapping if isinstance(mapping, PackedMap) else FrozenMap(mapping)
