"""The worker processes of ``slowburn serve`` (and of a one-shot ``run --workers N``): deaf to the terminal's signals, and all gone at exit.

Ctrl-C in a terminal (and ``kill -- -PGID``) signals the whole process group. Worker processes
that get SIGINT print a ``KeyboardInterrupt`` traceback each and break the pool, so the run in
progress crashes; workers, the forkserver and the resource tracker that outlive an abandoned run
stay behind as orphans holding the output pipes. So the workers ignore SIGINT and SIGTERM (the
forkserver and the resource tracker already ignore SIGINT): only the main process decides when to
stop, and on the way out it ends every descendant it has.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import TypeVar

PRELOAD = ["detector.engine.evaluate", "detector.engine.freeze_heap"]
"""What every worker needs (numpy, pandas, scipy, the models): loaded by the forkserver before it forks."""

AHEAD_PER_WORKER = 2
"""Items submitted ahead per worker: one running, one waiting in its queue."""

T = TypeVar("T")
R = TypeVar("R")


def start_pool(workers: int, *, warm: bool = True) -> ProcessPoolExecutor:
    """A forkserver pool of ``workers`` processes whose workers ignore SIGINT and SIGTERM, started now.

    Workers come from a forkserver, never from forking this process once it runs threads (unsafe).
    Starting them now (``warm``), not at the first run, shows a broken pool at start.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)  # imported once in the forkserver: workers start warm and share its pages
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=ignore_stop_signals)
    if warm:
        list(pool.map(abs, range(workers)))
    return pool


def map_bounded(pool: ProcessPoolExecutor, fn: Callable[[T], R], items: Iterable[T], ahead: int) -> list[R]:
    """``fn`` over ``items`` on ``pool``, results in order, with at most ``ahead`` items submitted and
    not yet collected: the next item is taken from ``items`` only when the oldest result is in, so
    memory holds a few items, not all of them (``items`` may be a generator reading them)."""
    pending: deque[Future[R]] = deque()
    results: list[R] = []
    for item in items:
        if len(pending) >= max(ahead, 1):
            results.append(pending.popleft().result())
        pending.append(
            submit_shielded(pool, fn, item)
        )  # not map: it would cancel them, and 3.11's broken-pool handler then raises on those
    results.extend(future.result() for future in pending)
    return results


def submit_shielded(pool: ProcessPoolExecutor, fn: Callable[[T], R], item: T) -> Future[R]:
    """``pool.submit(fn, item)`` with the stop signals blocked meanwhile: the children start (on the
    first submissions) with them blocked, so a Ctrl-C in that moment cannot reach a half-started
    interpreter; here it waits and arrives once they are up."""
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        return pool.submit(fn, item)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def kill_workers(pool: ProcessPoolExecutor) -> None:
    """SIGKILL the pool's workers and every grandchild (a worker the pool had not recorded yet)."""
    me = os.getpid()
    pids = [*(getattr(pool, "_processes", None) or {}), *(pid for pid in descendants(me) if _parent(pid) != me)]
    for pid in dict.fromkeys(pids):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def _parent(pid: int, proc: Path = Path("/proc")) -> int | None:
    try:
        stat = (proc / str(pid) / "stat").read_text()
    except OSError:
        return None
    return int(stat[stat.rindex(")") + 2 :].split()[1])


def ignore_stop_signals() -> None:
    """Worker initializer: the terminal's Ctrl-C and a group SIGTERM are for the main process only."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)


def descendants(pid: int, proc: Path = Path("/proc")) -> list[int]:
    """Every live descendant of ``pid``, children first (from each ``/proc/PID/stat``'s parent field)."""
    parents: dict[int, list[int]] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # exited while we looked
        fields = stat[stat.rindex(")") + 2 :].split()
        parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        children = parents.get(todo.pop(0), [])
        found.extend(children)
        todo.extend(children)
    return found


def end_children(pool: ProcessPoolExecutor | None = None) -> int:
    """Kill the pool's workers and every other descendant of this process (forkserver, resource
    tracker); reap those that are our own children. Returns how many were killed."""
    pids = list(dict.fromkeys([*(getattr(pool, "_processes", None) or {}), *descendants(os.getpid())]))
    killed = 0
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
            killed += 1
        except (ProcessLookupError, PermissionError):
            pass
    for pid in pids:
        with contextlib.suppress(ChildProcessError):  # a grandchild: its parent (or init) reaps it
            os.waitpid(pid, 0)
    return killed
