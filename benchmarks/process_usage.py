"""What a benchmark process and all its descendants use: CPU seconds and peak proportional set size.

Pool workers forked by a forkserver are grandchildren of the measuring process; both measures
walk ``/proc`` to include them. Linux only.
"""

from __future__ import annotations

import os
import resource
import threading
from pathlib import Path

MiB = 1024.0  # ru_maxrss and smaps_rollup are in KiB on Linux


def cpu_seconds() -> float:
    """User + system CPU seconds of this process, its finished children, and every live descendant
    with the children it reaped: pool workers forked by a forkserver are its children, not ours,
    and their time reaches us only through the forkserver's own count (``/proc/PID/stat``)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime + sum(_proc_cpu(pid) for pid in descendants(os.getpid()))


def _proc_cpu(pid: int) -> float:
    """utime + stime + cutime + cstime of a live process, in seconds (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (children, grandchildren: a forkserver's workers)."""
    found: list[int] = []
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for path in Path(f"/proc/{parent}/task").glob("*/children"):
            try:
                kids = [int(p) for p in path.read_text().split()]
            except OSError:
                continue
            found += kids
            frontier += kids
    return found


class PssSampler:
    """Samples the proportional set size (shared pages split between sharers) of this process and
    all its descendants every ``interval`` seconds in a thread; ``peak_mib`` is the largest total seen.

    Unlike ``ru_maxrss``, the sum over processes does not count the pages a forked worker shares
    with its parent twice. Linux only (reads ``/proc``); elsewhere ``peak_mib`` stays ``None``.
    """

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self.peak_mib: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> PssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.is_set():
            total = self._pss_kib(os.getpid())
            if total is None:
                return
            for child in descendants(os.getpid()):  # workers of a forkserver are grandchildren
                total += self._pss_kib(child) or 0
            self.peak_mib = max(self.peak_mib or 0.0, total / MiB)
            self._stop.wait(self.interval)

    @staticmethod
    def _pss_kib(pid: int) -> int | None:
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            return None
        return next((int(line.split()[1]) for line in text.splitlines() if line.startswith("Pss:")), None)


def peak_rss() -> dict[str, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / MiB
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / MiB
    return {"peak_self_mib": own, "peak_largest_worker_mib": child}
