"""Which history of the store a signal's samples belong to (``detector.store.history``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StoreKey:
    """Which history: signal name, the exact query text and the step in milliseconds."""

    signal: str
    query: str
    step_ms: int
