"""Where the per-series models run: the ``ChunkExecutor`` protocol and the local executors.

The evaluation cuts its work into chunks (a chunk is whatever ``fn`` takes: today a list of
``SeriesTask``) and hands them to an executor, which returns one result per chunk, in order. An
executor that could not compute a chunk (a worker lost and the retries spent) returns a
``LostChunk`` in its place: the evaluation then reports each series of that chunk as not
evaluated, with the reason, and holds its signal's alerts. Nothing is dropped silently.

Local executors: ``SerialExecutor`` (this process), ``OneShotPool`` (a forkserver pool started
for one call, as ``run --workers N``), ``StandingPool`` (``serve``'s long-lived pool). The Dask
executor (``--executor dask://HOST:PORT``) implements the same protocol.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class LostChunk:
    """Stands in for the result of a chunk that could not be computed; ``reason`` says why."""

    reason: str


class ChunkExecutor(Protocol):
    """Runs ``fn`` over chunks and returns one result (or ``LostChunk``) per chunk, in order."""

    @property
    def workers(self) -> int:
        """How many chunks can run at once (the evaluation sizes its chunks by it); read-only."""
        ...

    def map_chunks(self, fn: Callable[[T], R], chunks: Sequence[T]) -> list[R | LostChunk]:
        ...


@dataclass(frozen=True)
class SerialExecutor:
    """Every chunk in this process, one after the other."""

    workers: int = 1

    def map_chunks(self, fn: Callable[[T], R], chunks: Sequence[T]) -> list[R | LostChunk]:
        return [fn(chunk) for chunk in chunks]


@dataclass(frozen=True)
class OneShotPool:
    """A forkserver pool of ``workers`` processes started for one call and ended after it; Ctrl-C
    leaves no worker behind (``detector.child_processes.map_once``)."""

    workers: int

    def map_chunks(self, fn: Callable[[T], R], chunks: Sequence[T]) -> list[R | LostChunk]:
        from detector.child_processes import map_once

        return list(map_once(fn, chunks, self.workers))


@dataclass(frozen=True)
class StandingPool:
    """A pool that outlives the call (``serve`` starts it once)."""

    pool: ProcessPoolExecutor
    workers: int

    def map_chunks(self, fn: Callable[[T], R], chunks: Sequence[T]) -> list[R | LostChunk]:
        return list(self.pool.map(fn, chunks))


def local_executor(workers: int, pool: ProcessPoolExecutor | None = None) -> ChunkExecutor:
    """The default executor for ``workers`` processes (``pool``: a standing one to reuse)."""
    if pool is not None:
        return StandingPool(pool, max(workers, 1))
    if workers <= 1:
        return SerialExecutor()
    return OneShotPool(workers)
