"""Parse user-given instants (RFC 3339 or unix seconds) into UTC timestamps."""

from __future__ import annotations

import pandas as pd

from detector.errors import SlowburnError


def parse_instant(text: str, *, what: str, error_type: type[SlowburnError]) -> pd.Timestamp:
    try:
        if text.replace(".", "", 1).isdigit():
            return pd.Timestamp(float(text), unit="s", tz="UTC")
        stamp = pd.Timestamp(text)
    except (ValueError, TypeError):
        raise error_type(f"expected an RFC 3339 time such as 2026-02-20T10:30:00Z or unix seconds, got {text!r}", location=what) from None
    if pd.isna(stamp):
        raise error_type(f"expected a time, got {text!r}", location=what)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
