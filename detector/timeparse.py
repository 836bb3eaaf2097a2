"""Parse user-given instants (RFC 3339 or unix seconds) into UTC times.

``parse_datetime`` needs only the standard library, so a malformed ``--at`` is refused before
pandas is imported; ``parse_instant`` is the same value as a ``pd.Timestamp``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING

from detector.errors import SlowburnError

if TYPE_CHECKING:
    import pandas as pd

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
