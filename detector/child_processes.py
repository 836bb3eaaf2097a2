"""The worker processes of ``slowburn serve``: deaf to the terminal's signals, and all gone at exit.

Ctrl-C in a terminal (and ``kill -- -PGID``) signals the whole process group. Worker processes
that get SIGINT print a ``KeyboardInterrupt`` traceback each and break the pool, so the run in
progress crashes; workers, the forkserver and the resource tracker that outlive an abandoned run
stay behind as orphans holding the output pipes. So the workers ignore SIGINT and SIGTERM (the
forkserver and the resource tracker already ignore SIGINT): only the main process decides when to
stop, and on the way out it ends every descendant it has.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

def start_pool(workers: int) -> ProcessPoolExecutor:
    """A forkserver pool of ``workers`` processes whose workers ignore SIGINT and SIGTERM, started now.

    Workers come from a forkserver, never from forking this process once it runs threads (unsafe).
    Starting them now, not at the first run, shows a broken pool at start.
    """
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("forkserver"), initializer=ignore_stop_signals)
    list(pool.map(abs, range(workers)))
    return pool


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
            continue                              # exited while we looked
        fields = stat[stat.rindex(")") + 2:].split()
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
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass                                  # a grandchild: its parent (or init) reaps it
    return killed
