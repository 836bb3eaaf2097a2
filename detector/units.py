"""Human formatting of values by the unit their signal name declares (Prometheus naming: _seconds, _bytes)."""

from __future__ import annotations

import math

import pandas as pd


def format_value(value: float | None, signal_name: str) -> str:
    """'25 s', '9.8 GiB', '1.9M', '0.31' — short, for one-line summaries."""
    if value is None or not math.isfinite(value):
        return "n/a"
    if signal_name.endswith("_seconds"):
        if abs(value) >= 1:
            return f"{value:.3g} s"
        return f"{value * 1000:.3g} ms"
    if signal_name.endswith("_bytes"):
        for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
            if abs(value) >= size:
                return f"{value / size:.3g} {unit}"
        return f"{value:.3g} B"
    for prefix, factor in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= factor:
            return f"{value / factor:.3g}{prefix}"
    return f"{value:.3g}"


def format_ratio(ratio: float | None) -> str:
    """'14x', '+35%', '-20%'."""
    if ratio is None or not math.isfinite(ratio):
        return "n/a"
    if ratio >= 1000:
        return f"{ratio:,.0f}x"
    if ratio >= 2:
        return f"{ratio:.3g}x"
    return f"{(ratio - 1) * 100:+.0f}%"


def format_day(ts: pd.Timestamp | None, with_year: bool = True) -> str:
    if ts is None or pd.isna(ts):
        return "?"
    return ts.strftime("%Y-%m-%d" if with_year else "%m-%d")
