"""Memory and CPU of one phase of a benchmark: RSS sampled on a thread, peak, growth, PSS, CPU seconds.

Linux only (``/proc/self``). ``ru_maxrss`` is the process-lifetime peak, so a phase's own peak is
taken from the sampler (every ``interval`` seconds; short spikes between two samples are missed).
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

PAGE = os.sysconf("SC_PAGE_SIZE")
MIB = 1024.0 * 1024.0


def rss_bytes() -> int:
    """Resident set size of this process now."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * PAGE


def pss_bytes() -> int | None:
    """Proportional set size of this process now (None where ``smaps_rollup`` is missing)."""
    try:
        for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


@dataclass(frozen=True)
class PhaseCost:
    """What one phase cost: wall and CPU seconds, RSS before/peak/after and PSS after (bytes)."""

    wall: float
    cpu: float
    rss_before: int
    rss_peak: int
    rss_after: int
    pss_after: int | None

    @property
    def growth(self) -> int:
        """Peak RSS during the phase minus RSS before it."""
        return self.rss_peak - self.rss_before


class MemoryProbe:
    """``with MemoryProbe() as probe: ...`` then ``probe.cost``."""

    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self._stop = threading.Event()
        self._peak = 0
        self._thread = threading.Thread(target=self._sample, name="memory-probe", daemon=True)
        self._started = (0.0, 0.0)
        self._before = 0
        self.cost: PhaseCost | None = None

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            self._peak = max(self._peak, rss_bytes())

    def __enter__(self) -> MemoryProbe:
        self._before = self._peak = rss_bytes()
        self._started = (time.perf_counter(), time.process_time())
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()
        after = rss_bytes()
        self.cost = PhaseCost(
            wall=time.perf_counter() - self._started[0],
            cpu=time.process_time() - self._started[1],
            rss_before=self._before,
            rss_peak=max(self._peak, after),
            rss_after=after,
            pss_after=pss_bytes(),
        )
