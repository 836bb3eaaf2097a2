"""The one-line summary a person can act on, built from a finding's numbers."""

from __future__ import annotations

import pandas as pd

from detector.core.findings import DriverLink
from detector.core.units import format_day, format_ratio, format_value


def describe_change(signal: str, magnitude: float | None, onset: pd.Timestamp | None, direction: str) -> str:
    word = "up" if direction == "up" else "down"
    if magnitude is None:
        return f"{signal} {'rising' if direction == 'up' else 'falling'} since {format_day(onset)}"
    if direction == "down":
        return (
            f"{signal} {word} to 1/{magnitude:.3g} since {format_day(onset)}"
            if magnitude >= 2
            else f"{signal} {word} {format_ratio(magnitude)[1:]} since {format_day(onset)}"
        )
    return f"{signal} {word} {format_ratio(magnitude).lstrip('+')} since {format_day(onset)}"


def describe_eta(
    signal: str, ceiling: float | None, eta: pd.Timestamp | None, lower: pd.Timestamp | None, upper: pd.Timestamp | None, confidence: float
) -> str:
    if eta is None:
        return ""
    years = {t.year for t in (eta, lower, upper) if t is not None}
    short = len(years) == 1  # drop the year only when every date shares it
    span = f"{int(round(confidence * 100))}%: {format_day(lower, not short)} to {format_day(upper, not short) if upper is not None else 'never'}"
    return f"reaches the {format_value(ceiling, signal)} ceiling around {format_day(eta)} ({span})"


def describe_driver(driver: DriverLink | None) -> str:
    if driver is None:
        return ""
    if driver.changepoint is not None:
        step = f"{format_ratio(driver.step_ratio)} step" if driver.step_ratio is not None else "changepoint"
        return f"moves with {driver.signal} ({step} on {format_day(driver.changepoint)})"
    lead = f", leads by {driver.lag_days} d" if driver.lag_days else ""
    return f"moves with {driver.signal} (r={driver.correlation:.2f}{lead})"


def join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)
