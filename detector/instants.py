"""Time in one place: the day and hour in seconds, instants parsed from what a user typed,
normalised to UTC, and written as RFC 3339.

Importing this module needs only the standard library (the config and the command line use it
before pandas is imported); the functions that make or take a ``pd.Timestamp`` import pandas when
called. ``models/`` keeps its own ``DAY`` (``models`` never imports ``detector``).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING

from detector.errors import SlowburnError

if TYPE_CHECKING:
    import pandas as pd

MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0
WEEK = 7 * DAY
RFC3339 = "%Y-%m-%dT%H:%M:%SZ"
"""UTC, second precision, 'Z' suffix: the form Alertmanager, Prometheus and people all read."""

EXPECTED = "expected an RFC 3339 time such as 2026-02-20T10:30:00Z or unix seconds"


def parse_datetime(text: str, *, what: str, error_type: type[SlowburnError]) -> datetime:
    """``text`` as an aware UTC datetime: unix seconds (``1771583400``, ``1771583400.5``) or an ISO 8601 /
    RFC 3339 time (``2026-02-20T10:30:00Z``, ``2026-02-20``; no offset means UTC). Raises ``error_type``
    at ``what`` for anything else, including impossible dates (``2026-02-30``)."""
    try:
        if text.replace(".", "", 1).isdigit():
            return datetime.fromtimestamp(float(text), tz=timezone.utc)
        stamp = datetime.fromisoformat(text.strip().upper())
    except (ValueError, OverflowError, OSError):
        raise error_type(f"{EXPECTED}, got {text!r}", location=what) from None
    return stamp.replace(tzinfo=timezone.utc) if stamp.tzinfo is None else stamp.astimezone(timezone.utc)


def parse_instant(text: str, *, what: str, error_type: type[SlowburnError]) -> pd.Timestamp:
    """``parse_datetime`` as a UTC ``pd.Timestamp``."""
    import pandas as pd

    return pd.Timestamp(parse_datetime(text, what=what, error_type=error_type)).tz_convert("UTC")


def to_utc(instant: pd.Timestamp | datetime | str | float) -> pd.Timestamp:
    """``instant`` as a UTC ``pd.Timestamp``: an aware time converted, a naive one read as UTC."""
    import pandas as pd

    stamp = pd.Timestamp(instant)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def from_unix(seconds: float) -> pd.Timestamp:
    """Unix seconds as a UTC ``pd.Timestamp``."""
    import pandas as pd

    return pd.Timestamp(seconds, unit="s", tz="UTC")


def from_day(day: float) -> pd.Timestamp:
    """Midnight UTC of ``day`` (whole days since the epoch, the index ``models.daily`` uses)."""
    return from_unix(int(day) * int(DAY))


def rfc3339(instant: pd.Timestamp | datetime) -> str:
    """``instant`` (aware) in UTC as RFC 3339 with second precision: ``2026-02-20T10:30:00Z``."""
    import pandas as pd

    return pd.Timestamp(instant).tz_convert("UTC").strftime(RFC3339)


def iso_utc(instant: pd.Timestamp | datetime | None) -> str | None:
    """``rfc3339`` of ``instant``, or None for a missing time (None or NaT)."""
    import pandas as pd

    if instant is None or pd.isna(instant):
        return None
    return rfc3339(instant)


def rfc3339_unix(seconds: float) -> str:
    """Unix seconds as RFC 3339 (``rfc3339`` of ``from_unix``)."""
    return from_unix(float(seconds)).strftime(RFC3339)


def unix_ms(instant: pd.Timestamp | datetime | str | float) -> int:
    """``instant`` (naive read as UTC) in whole milliseconds since the epoch, rounded down."""
    return int(to_utc(instant).value // 1_000_000)
