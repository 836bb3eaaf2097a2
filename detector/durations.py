"""Prometheus-style durations ("90s", "5m", "1h", "90d", "2w", "1h30m") to seconds."""

from __future__ import annotations

import re

from detector.instants import DAY, HOUR, MINUTE, WEEK

_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": HOUR, "d": DAY, "w": WEEK, "y": 365 * DAY}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)")

MAX_DURATION = 10 * 365 * DAY
"""The longest duration accepted anywhere (10 years): longer windows, steps or horizons are typos
(``1.0e+20``) that would overflow the time index or make a query run for ever."""


def parse_duration(text: str | int | float) -> float:
    """Return the duration in seconds; numbers are taken as seconds.

    Raises ``ValueError`` (with the expected form) for anything else, including zero,
    negative and NaN durations (no window, step or horizon can be empty) and durations longer
    than ``MAX_DURATION`` (10 years).
    """
    if isinstance(text, bool):
        raise ValueError(f"expected a duration such as '1h' or '90d', got {text!r}")
    if isinstance(text, (int, float)):
        seconds = float(text)
    else:
        stripped = str(text).strip()
        pos, seconds = 0, 0.0
        for match in _PART.finditer(stripped):
            if match.start() != pos:
                break
            seconds += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
            pos = match.end()
        if not stripped or pos != len(stripped):
            raise ValueError(f"expected a duration such as '1h' or '90d', got {text!r}")
    if not seconds > 0:
        raise ValueError(f"expected a positive duration, got {text!r}")
    if not seconds <= MAX_DURATION:
        raise ValueError(f"expected a duration of at most 10y ({MAX_DURATION:.0f} s), got {text!r}")
    return seconds


def format_duration(seconds: float) -> str:
    """Short human form: '36d', '5h', '90s'."""
    for unit, size in (("d", DAY), ("h", HOUR), ("m", MINUTE)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"
