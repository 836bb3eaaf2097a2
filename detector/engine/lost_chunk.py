"""``LostChunk``: what an executor returns in place of a chunk it could not compute (its own module so
that the executors and the pool's recovery share it without importing each other)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LostChunk:
    """Stands in for the result of a chunk that could not be computed; ``reason`` says why."""

    reason: str
