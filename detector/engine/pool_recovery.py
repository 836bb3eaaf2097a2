"""A local pool whose worker dies (killed, out of memory) goes on: its chunks are run again, or named lost.

A ``ProcessPoolExecutor`` whose worker dies is broken for good: every chunk in it fails with
``BrokenProcessPool`` and so does every later submission. ``map_recovering`` keeps the results
already collected, starts a fresh pool (``PoolBox.renew``), runs the chunks that were in the broken
pool again one at a time (so a chunk that kills its worker cannot take others with it), and goes on
with the rest. A chunk whose worker dies on its second try too comes back as ``LostChunk``: the
evaluation then reports its series as not evaluated and holds its signal's alerts, as for a Dask
worker lost for good. ``serve`` replaces a standing pool found broken before its next run
(``renewed_if_broken``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, TextIO, TypeVar

from detector.engine.child_processes import AHEAD_PER_WORKER, kill_workers, start_pool, submit_shielded
from detector.engine.lost_chunk import LostChunk

T = TypeVar("T")
R = TypeVar("R")

LOST_TWICE = "its worker process died twice (killed, or out of memory)"


@dataclass
class PoolBox:
    """The pool in use; ``renew`` replaces it (its workers killed) with a fresh one of ``workers``.
    ``notice`` hears the chunks that were in a broken pool, each time one breaks (they run again)."""

    pool: ProcessPoolExecutor
    workers: int
    notice: Callable[[list[Any]], None] | None = None
    renewed: int = 0

    def renew(self) -> None:
        retire(self.pool)
        self.pool = start_pool(self.workers, warm=False)
        self.renewed += 1


def retire(pool: ProcessPoolExecutor) -> None:
    """End a (broken) pool without waiting for anything in it: its surviving workers are killed."""
    kill_workers(pool)
    pool.shutdown(wait=False, cancel_futures=True)


def is_broken(pool: ProcessPoolExecutor) -> bool:
    return bool(getattr(pool, "_broken", False))


def map_once(
    fn: Callable[[T], R], items: Iterable[T], workers: int, notice: Callable[[list[Any]], None] | None = None
) -> list[R | LostChunk]:
    """``fn`` over ``items`` on a pool started for this call only (a one-shot run), the way ``serve``
    runs its pool: workers deaf to Ctrl-C; when the main process is interrupted (or fails), the
    workers are killed before the exception goes on, so one line is printed and nothing is left behind.
    ``items`` is consumed lazily, a few ahead of the workers; a worker that dies costs a fresh pool."""
    box = PoolBox(start_pool(workers, warm=False), workers, notice)  # the workers start inside the ``try``: a Ctrl-C then ends them too
    try:
        results = map_recovering(box, fn, items, AHEAD_PER_WORKER * workers)
    except BaseException:
        pool = box.pool
        queue = getattr(pool, "_call_queue", None)
        if queue is not None:
            queue.cancel_join_thread()  # its feeder may be stuck writing to a dead worker: never wait for it
        kill_workers(pool)  # the pool breaks and its thread ends
        pool.shutdown(wait=True)
        kill_workers(pool)  # one the forkserver forked as we were interrupted
        raise  # the forkserver and the resource tracker end with this process
    box.pool.shutdown(wait=True)
    return results


def map_recovering(box: PoolBox, fn: Callable[[T], R], items: Iterable[T], ahead: int) -> list[R | LostChunk]:
    """``fn`` over ``items`` on ``box.pool``, in order, at most ``ahead`` submitted and not collected
    (as ``child_processes.map_bounded``); a worker that dies costs a fresh pool, not the run."""
    pending: deque[tuple[T, Future[R]]] = deque()
    results: list[R | LostChunk] = []

    def collect_oldest() -> None:
        item, future = pending.popleft()
        try:
            results.append(future.result())
        except BrokenProcessPool:  # every chunk in the pool failed with it: run them again, one at a time
            again = [item, *(waiting for waiting, _ in pending)]
            pending.clear()
            box.renew()
            if box.notice is not None:
                box.notice(again)
            results.extend(_alone(box, fn, chunk) for chunk in again)

    for item in items:
        if len(pending) >= max(ahead, 1):
            collect_oldest()
        pending.append((item, submit_shielded(box.pool, fn, item)))
    while pending:
        collect_oldest()
    return results


def _alone(box: PoolBox, fn: Callable[[T], R], item: T) -> R | LostChunk:
    try:
        return submit_shielded(box.pool, fn, item).result()
    except BrokenProcessPool:
        box.renew()
        return LostChunk(LOST_TWICE)


def renewed_if_broken(pool: ProcessPoolExecutor | None, workers: int, stderr: TextIO) -> ProcessPoolExecutor | None:
    """``serve``'s standing pool, or a fresh one (with a line saying so) when a worker of it died."""
    if pool is None or not is_broken(pool):
        return pool
    retire(pool)
    print("slowburn: a model worker process had died; the pool is started again", file=stderr, flush=True)
    return start_pool(workers)
