"""Where the per-series models run: the ``ChunkExecutor`` protocol and the local executors.

The evaluation cuts its work into chunks (a chunk is whatever ``fn`` takes: an
``analysis_chunks.AnalysisChunk`` of compact numpy arrays, picklable and self-contained) and hands
them to an executor, which returns one result per chunk, in order. An executor whose
``streams_chunks`` attribute is true takes the chunks as a lazy iterable and pulls the next one only
when a worker is free (memory holds the chunks in flight, not all of them); others get bounded
sequences, one call per group. An
executor that could not compute a chunk (a worker lost and the retries spent) returns a
``LostChunk`` in its place: the evaluation then reports each series of that chunk as not
evaluated, with the reason, and holds its signal's alerts. Nothing is dropped silently.

Local executors: ``SerialExecutor`` (this process), ``OneShotPool`` (a forkserver pool started
for one call, as ``run --workers N``), ``StandingPool`` (``serve``'s long-lived pool). The Dask
executor (``--executor dask://HOST:PORT``) implements the same protocol.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from detector.engine.lost_chunk import LostChunk

__all__ = ["ChunkExecutor", "LostChunk", "OneShotPool", "SerialExecutor", "StandingPool", "local_executor"]

T = TypeVar("T")
R = TypeVar("R")


class ChunkExecutor(Protocol):
    """Runs ``fn`` over chunks and returns one result (or ``LostChunk``) per chunk, in order."""

    @property
    def workers(self) -> int:
        """How many chunks can run at once (the evaluation sizes its chunks by it)."""
        ...

    # optional: ``streams_chunks: bool`` -- true when ``map_chunks`` accepts a lazy iterable (see above)
    # optional: ``shares_files: bool`` -- true when its workers run on this machine: they can read a
    # store's pages themselves (``analysis_pages.PageChunk``) instead of being sent the samples

    def map_chunks(self, fn: Callable[[T], R], chunks: Sequence[T]) -> list[R | LostChunk]: ...


@dataclass(frozen=True)
class SerialExecutor:
    """Every chunk in this process, one after the other."""

    workers: int = 1
    streams_chunks: bool = True
    shares_files: bool = True

    def map_chunks(self, fn: Callable[[T], R], chunks: Iterable[T]) -> list[R | LostChunk]:
        return [fn(chunk) for chunk in chunks]


@dataclass(frozen=True)
class OneShotPool:
    """A forkserver pool of ``workers`` processes started for one call and ended after it; Ctrl-C
    leaves no worker behind, a worker that dies costs a fresh pool (``detector.engine.pool_recovery.map_once``)."""

    workers: int
    streams_chunks: bool = True
    shares_files: bool = True
    notice: Callable[[list[Any]], None] | None = None
    """Hears the chunks a dead worker's pool held, each time one breaks (they are run again)."""

    def map_chunks(self, fn: Callable[[T], R], chunks: Iterable[T]) -> list[R | LostChunk]:
        from detector.engine.pool_recovery import map_once

        return map_once(fn, chunks, self.workers, self.notice)


@dataclass(frozen=True)
class StandingPool:
    """A pool that outlives the call (``serve`` starts it once)."""

    pool: ProcessPoolExecutor
    workers: int
    streams_chunks: bool = True
    shares_files: bool = True
    notice: Callable[[list[Any]], None] | None = None

    def map_chunks(self, fn: Callable[[T], R], chunks: Iterable[T]) -> list[R | LostChunk]:
        from detector.engine.child_processes import AHEAD_PER_WORKER
        from detector.engine.pool_recovery import PoolBox, map_recovering

        box = PoolBox(self.pool, self.workers, self.notice)
        try:
            return map_recovering(box, fn, chunks, AHEAD_PER_WORKER * self.workers)
        finally:
            if box.pool is not self.pool:  # a worker died: the standing pool is broken (serve renews it) and this one ends here
                box.pool.shutdown(wait=True)


def local_executor(workers: int, pool: ProcessPoolExecutor | None = None) -> ChunkExecutor:
    """The default executor for ``workers`` processes (``pool``: a standing one to reuse)."""
    if pool is not None:
        return StandingPool(pool, max(workers, 1))
    if workers <= 1:
        return SerialExecutor()
    return OneShotPool(workers)
