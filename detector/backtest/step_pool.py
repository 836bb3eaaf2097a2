"""``PoolSteps``: a backtest's steps on a forkserver pool whose workers are deaf to Ctrl-C.

The pool is the kind ``run --workers N`` and ``serve`` use (``detector.engine.child_processes``):
workers come from a forkserver that preloaded the models, and ignore SIGINT and SIGTERM, so Ctrl-C
reaches the main process only; it kills the workers before the interruption goes on (one line,
exit 130, no process left behind). The inputs (config, data, policy) are pickled once and sent to
each worker as it starts; a step carries only its evaluation times.

A worker that dies (killed, out of memory) breaks the pool: the steps already finished are kept,
the others go on on a fresh pool, and the steps that were in the broken pool are run again, each
alone on a pool of one worker, so a step that kills its worker cannot take others with it. A step
lost on its second try comes back as ``LostChunk``. ``notice`` is told, in one line, that a worker
died and how many steps run again: a retried replay is complete, but never silently so.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import signal
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from detector.engine.child_processes import AHEAD_PER_WORKER, PRELOAD, descendants, ignore_stop_signals
from detector.engine.executor import LostChunk

I = TypeVar("I")  # noqa: E741 -- the inputs every step reads
C = TypeVar("C")
R = TypeVar("R")

STEP_PRELOAD = [*PRELOAD, "detector.backtest.replay"]
"""What the forkserver imports before it forks a worker: the engine's list and the replay's steps."""
LOST_TWICE = "its worker died twice (killed, or out of memory)"

_IN_WORKER: dict[str, Any] = {}
"""Set in each worker process by ``_start_worker``: the step function ("fn") and its inputs ("inputs")."""


def _silent(line: str) -> None:
    """The default ``notice``: a caller that gave none hears nothing (the replay is complete anyway)."""


@dataclass(frozen=True)
class PoolSteps:
    """The steps on a forkserver pool of ``workers`` processes, started for one ``run_steps`` call."""

    workers: int
    notice: Callable[[str], None] = _silent

    def run_steps(self, fn: Callable[[I, C], R], inputs: I, steps: Sequence[C], done: Callable[[int], None]) -> list[R | LostChunk]:
        shipped = pickle.dumps((fn, inputs), protocol=pickle.HIGHEST_PROTOCOL)  # once, not once per worker
        results: dict[int, Any] = {}
        suspects: list[int] = []
        todo = list(range(len(steps)))
        while todo:
            finished, broken = _attempt(shipped, todo, steps, self.workers, done)
            if not finished and not broken:  # a pool that broke before it took a step: never restart it forever
                broken = todo[:1]
            results.update(finished)
            suspects.extend(broken)
            todo = [index for index in todo if index not in finished and index not in broken]
        if suspects:
            self.notice(f"a backtest worker died: {len(suspects)} of {len(steps)} step(s) run again, one at a time")
        for index in sorted(suspects):
            again, _ = _attempt(shipped, [index], steps, 1, done)
            results[index] = again.get(index, LostChunk(LOST_TWICE))
        return [results[index] for index in range(len(steps))]


def _attempt(
    shipped: bytes, todo: list[int], steps: Sequence[Any], workers: int, done: Callable[[int], None]
) -> tuple[dict[int, Any], list[int]]:
    """Run the steps ``todo`` on a fresh pool until done or until the pool breaks. Returns the
    results of the finished steps and the indices of the steps that were in the pool when it broke
    (steps not submitted yet are in neither)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(STEP_PRELOAD)  # no effect once this process's forkserver runs
    pool = ProcessPoolExecutor(min(workers, len(todo)), mp_context=context, initializer=_start_worker, initargs=(shipped,))
    finished: dict[int, Any] = {}
    pending: deque[tuple[int, Future[Any]]] = deque()
    ahead = AHEAD_PER_WORKER * workers
    try:
        try:
            for index in todo:
                while len(pending) >= ahead:
                    _take_oldest(pending, finished, done)
                pending.append((index, _submit(pool, steps[index])))
            while pending:
                _take_oldest(pending, finished, done)
        except BrokenProcessPool:  # a worker died; its pool fails every step in it at once
            wait([future for _, future in pending])
            lost = _settle(pending, finished, done)
            _abandon(pool)  # the others are deaf to the pool's SIGTERM and might block on a full pipe
            return finished, lost
    except BaseException:  # Ctrl-C, or a step's own error (a bug): no worker outlives it
        _abandon(pool)
        raise
    pool.shutdown(wait=True)
    return finished, []


def _take_oldest(pending: deque[tuple[int, Future[Any]]], finished: dict[int, Any], done: Callable[[int], None]) -> None:
    index, future = pending[0]
    finished[index] = future.result()  # raises BrokenProcessPool with the step still pending
    pending.popleft()
    done(index)


def _settle(pending: deque[tuple[int, Future[Any]]], finished: dict[int, Any], done: Callable[[int], None]) -> list[int]:
    """After the pool broke: keep the steps that finished before it did; the others were lost."""
    lost: list[int] = []
    for index, future in pending:
        error = None if future.cancelled() else future.exception()
        if future.cancelled() or isinstance(error, BrokenProcessPool):
            lost.append(index)
        elif error is not None:
            raise error  # the step's own code failed: a bug, not a lost worker
        else:
            finished[index] = future.result()
            done(index)
    return lost


def _submit(pool: ProcessPoolExecutor, step: Any) -> Future[Any]:
    # the workers start (on the first submissions) with the stop signals blocked: a Ctrl-C in that
    # moment cannot reach a half-started pool; it waits and arrives once their pids are known
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        return pool.submit(_run_step, step)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def _abandon(pool: ProcessPoolExecutor) -> None:
    """Kill the pool's workers and wait for its threads (the forkserver and the resource tracker are
    deaf to Ctrl-C and end with this process)."""
    queue = getattr(pool, "_call_queue", None)
    if queue is not None:
        queue.cancel_join_thread()  # its feeder may be stuck writing to a dead worker: never wait for it
    _kill(list(getattr(pool, "_processes", None) or {}))
    pool.shutdown(wait=True, cancel_futures=True)
    _kill(forked_workers())  # one the forkserver forked as we were interrupted, before the pool recorded it


def forked_workers(proc: Path = Path("/proc")) -> list[int]:
    """Every process the forkserver of this process forked (the pool's workers, recorded or not)."""
    me = os.getpid()
    found: list[int] = []
    for pid in descendants(me, proc):
        parent = _parent(pid, proc)
        if parent is not None and parent != me and _parent(parent, proc) == me and _is_forkserver(parent, proc):
            found.append(pid)
    return found


def _parent(pid: int, proc: Path) -> int | None:
    try:
        stat = (proc / str(pid) / "stat").read_text()
    except OSError:
        return None
    return int(stat[stat.rindex(")") + 2 :].split()[1])


def _is_forkserver(pid: int, proc: Path) -> bool:
    try:
        return b"multiprocessing.forkserver" in (proc / str(pid) / "cmdline").read_bytes()
    except OSError:
        return False


def _kill(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def _start_worker(shipped: bytes) -> None:
    """Worker initializer: deaf to the terminal's signals, then unpickle the step function and its inputs once."""
    ignore_stop_signals()
    _IN_WORKER["fn"], _IN_WORKER["inputs"] = pickle.loads(shipped)


def _run_step(step: Any) -> Any:
    return _IN_WORKER["fn"](_IN_WORKER["inputs"], step)
