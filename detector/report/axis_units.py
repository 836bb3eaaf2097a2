"""Human units for a plot's value axis, by the unit the signal name declares (Prometheus naming)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from detector.instants import DAY, HOUR

_BINARY = (("TiB", 2.0**40), ("GiB", 2.0**30), ("MiB", 2.0**20), ("KiB", 2.0**10))
_DECIMAL = (("billions", 1e9), ("millions", 1e6), ("thousands", 1e3))


@dataclass(frozen=True)
class AxisUnit:
    """Tick values are shown divided by ``divisor``; ``label`` names the unit ('' for plain counts)."""

    label: str
    divisor: float

    def tick(self, value: float) -> str:
        """A tick label without scientific notation or offset: '2.5', '300', '0.04'."""
        scaled = value / self.divisor
        if scaled == 0 or not math.isfinite(scaled):
            return "0" if scaled == 0 else ""
        if abs(scaled) >= 100:
            return f"{scaled:,.0f}"
        return f"{scaled:.3g}"

    def axis_label(self, signal: str) -> str:
        return f"{signal} ({self.label})" if self.label else signal


def axis_unit(signal: str, largest: float) -> AxisUnit:
    """The unit that keeps ``largest`` (the biggest absolute value on the axis) between 1 and 1024/1000."""
    largest = abs(largest) if math.isfinite(largest) else 0.0
    if signal.endswith("_seconds"):
        if largest >= 2 * DAY:
            return AxisUnit("days", DAY)
        if largest >= 7200:
            return AxisUnit("hours", HOUR)
        return AxisUnit("s", 1.0) if largest >= 1 or largest == 0 else AxisUnit("ms", 1e-3)
    if signal.endswith("_bytes"):
        for label, size in _BINARY:
            if largest >= size:
                return AxisUnit(label, size)
        return AxisUnit("bytes", 1.0)
    if signal.endswith("_ratio"):
        return AxisUnit("ratio", 1.0)
    for label, size in _DECIMAL:
        if largest >= size:
            return AxisUnit(label, size)
    return AxisUnit("", 1.0)
