"""``TimeRange``: an inclusive range of grid timestamps in integer milliseconds since the epoch.

The Prometheus source plans its queries in these ranges and the history store records coverage and
holes in them; the type lives outside both, so the store does not depend on the sources.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class TimeRange:
    """Inclusive range ``[start_ms, end_ms]`` of grid timestamps, in milliseconds since the epoch."""

    start_ms: int
    end_ms: int

    def points(self, step_ms: int) -> int:
        """Number of grid points in the range (both ends included)."""
        return (self.end_ms - self.start_ms) // step_ms + 1

    @property
    def start_s(self) -> float:
        return self.start_ms / 1000.0

    @property
    def end_s(self) -> float:
        return self.end_ms / 1000.0
