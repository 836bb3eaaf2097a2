"""Instants from the user: RFC 3339 / ISO 8601 or unix seconds, parsed with the standard library so a
bad ``--at`` is refused before pandas is imported; anything else is a located error."""

from datetime import datetime, timezone

import pandas as pd
import pytest

from detector.core.instants import parse_datetime, parse_instant
from detector.errors import UsageError

UTC = timezone.utc


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-02-20T10:30:00Z", datetime(2026, 2, 20, 10, 30, tzinfo=UTC)),
        ("2026-02-20t10:30:00z", datetime(2026, 2, 20, 10, 30, tzinfo=UTC)),
        ("2026-02-20T12:30:00+02:00", datetime(2026, 2, 20, 10, 30, tzinfo=UTC)),
        ("2026-02-20 10:30", datetime(2026, 2, 20, 10, 30, tzinfo=UTC)),  # no offset: UTC
        ("2026-02-20", datetime(2026, 2, 20, tzinfo=UTC)),
        ("1771583400", datetime(2026, 2, 20, 10, 30, tzinfo=UTC)),
        ("1771583400.5", datetime(2026, 2, 20, 10, 30, 0, 500000, tzinfo=UTC)),
    ],
)
def test_rfc3339_times_and_unix_seconds_are_read_as_utc(text, expected):
    assert parse_datetime(text, what="--at", error_type=UsageError) == expected


@pytest.mark.parametrize(
    "text", ["garbage", "", "now", "2026/02/20", "Feb 20 2026", "1e5", "-5", "2026-02-30", "2026-13-01", "99999999999999"]
)
def test_anything_else_is_an_error_naming_the_option_and_the_expected_form(text):
    with pytest.raises(UsageError) as caught:
        parse_datetime(text, what="--at", error_type=UsageError)
    assert str(caught.value) == f"--at: expected an RFC 3339 time such as 2026-02-20T10:30:00Z or unix seconds, got {text!r}"


def test_parse_instant_is_the_same_time_as_a_utc_timestamp():
    stamp = parse_instant("2026-02-20T12:30:00+02:00", what="--at", error_type=UsageError)
    assert stamp == pd.Timestamp("2026-02-20T10:30:00Z")
    assert str(stamp.tz) == "UTC"


def test_an_instant_is_written_as_rfc3339_in_utc_to_the_second():
    from detector.core.instants import rfc3339

    assert rfc3339(pd.Timestamp("2026-02-20T12:30:59.9+02:00")) == "2026-02-20T10:30:59Z"


def test_a_missing_instant_is_written_as_none():
    from detector.core.instants import iso_utc

    assert iso_utc(None) is None
    assert iso_utc(pd.NaT) is None


def test_unix_seconds_and_epoch_days_become_utc_timestamps():
    from detector.core.instants import DAY, from_day, from_unix, rfc3339_unix

    assert from_unix(1771583400) == pd.Timestamp("2026-02-20T10:30:00Z")
    assert from_day(1771583400 // DAY) == pd.Timestamp("2026-02-20T00:00:00Z")
    assert rfc3339_unix(1771583400.5) == "2026-02-20T10:30:00Z"


def test_a_naive_instant_is_read_as_utc_and_an_aware_one_converted():
    from detector.core.instants import to_utc, unix_ms

    assert to_utc(pd.Timestamp("2026-02-20 10:30")) == pd.Timestamp("2026-02-20T10:30:00Z")
    assert str(to_utc(pd.Timestamp("2026-02-20T12:30:00+02:00")).tz) == "UTC"
    assert to_utc(pd.Timestamp("2026-02-20T12:30:00+02:00")).hour == 10
    assert unix_ms(pd.Timestamp("2026-02-20 10:30:00.0019")) == 1771583400001
