"""OpenMetrics text for ``promtool tsdb create-blocks-from openmetrics``: exact, grouped, sorted.

Values are written so that they parse back to the identical float64 (shortest round-trip repr),
timestamps in unix **seconds** (milliseconds would be read as seconds and land in the year 58000).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import NamedTuple

import numpy as np


class BackfillSeries(NamedTuple):
    """One series to backfill: metric name, labels, unix-second timestamps, float values."""

    name: str
    labels: Mapping[str, str]
    timestamps: np.ndarray
    values: np.ndarray


def openmetrics_text(series: Iterable[BackfillSeries]) -> str:
    """OpenMetrics exposition of ``series``: gauges grouped by family, time-sorted, ``# EOF`` last."""
    families: dict[str, list[BackfillSeries]] = {}
    for item in series:
        families.setdefault(item.name, []).append(item)
    lines: list[str] = []
    for name, members in families.items():
        lines.append(f"# TYPE {name} gauge")
        for item in members:
            ts = np.asarray(item.timestamps, dtype=np.float64)
            vs = np.asarray(item.values, dtype=np.float64)
            order = np.argsort(ts, kind="stable")
            head = name + _label_text(item.labels) + " "
            lines.extend(head + v + " " + t for v, t in zip(_numbers(vs[order]), _numbers(ts[order]), strict=True))
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def _label_text(labels: Mapping[str, str]) -> str:
    if not labels:
        return ""
    escaped = (f'{k}="{_escape(str(v))}"' for k, v in sorted(labels.items()))
    return "{" + ",".join(escaped) + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _numbers(xs: np.ndarray) -> list[str]:
    """Exact text of each float: integers without a fraction, shortest round-trip repr otherwise."""
    whole = np.isfinite(xs) & (xs == np.round(xs)) & (np.abs(xs) < 1e15)
    if whole.all():
        return xs.astype(np.int64).astype(str).tolist()
    text = [repr(x) for x in xs.tolist()]
    for i in np.flatnonzero(~np.isfinite(xs) | whole).tolist():
        x = float(xs[i])
        text[i] = "NaN" if math.isnan(x) else ("+Inf" if x > 0 else "-Inf") if math.isinf(x) else str(int(x))
    return text
