"""Plot axes speak the series' units ('s', 'GiB', 'millions'), never '1e9' or an offset; the ETA cell
gives the date, the days left and the interval."""

import pandas as pd
import pytest

from detector.core.findings import Finding
from detector.core.series import SeriesKey
from detector.report import cells
from detector.report.axis_units import axis_unit

AT = pd.Timestamp("2026-02-28T00:00:00Z")


@pytest.mark.parametrize(
    ("signal", "largest", "label", "tick_value", "tick"),
    [
        ("pvc_used_bytes", 19.5 * 2**30, "GiB", 10 * 2**30, "10"),
        ("pvc_used_bytes", 1023 * 2**20, "MiB", 512 * 2**20, "512"),  # just under 1 GiB stays in MiB
        ("pvc_used_bytes", 2**30, "GiB", 2**29, "0.5"),  # 1 GiB exactly is GiB
        ("webhook_p99_seconds", 30.0, "s", 25.0, "25"),
        ("webhook_p99_seconds", 0.25, "ms", 0.04, "40"),
        ("webhook_p99_seconds", 7200.0, "hours", 3600.0, "1"),
        ("prometheus_head_series", 4.6e6, "millions", 4e6, "4"),
        ("prometheus_head_series", 999.0, "", 250.0, "250"),
        ("vpa_evictions", 1e9, "billions", 2.5e9, "2.5"),
    ],
)
def test_an_axis_is_labelled_in_the_unit_its_largest_value_reads_best_in(signal, largest, label, tick_value, tick):
    unit = axis_unit(signal, largest)
    assert unit.label == label
    assert unit.tick(tick_value) == tick
    assert "e+" not in unit.tick(largest) and "e-" not in unit.tick(largest)


def test_the_axis_label_names_the_signal_and_its_unit():
    assert axis_unit("pvc_used_bytes", 2**31).axis_label("pvc_used_bytes") == "pvc_used_bytes (GiB)"
    assert axis_unit("queue_depth", 10).axis_label("queue_depth") == "queue_depth"


def breach(eta_days, lower_days, upper_days, kind="breach_forecast"):
    day = pd.Timedelta(days=1)
    return Finding(
        key=SeriesKey("x_seconds"),
        kind=kind,
        severity="critical",
        evaluated_at=AT,
        summary="",
        eta=AT + eta_days * day,
        eta_lower=AT + lower_days * day,
        eta_upper=AT + upper_days * day,
    )


def test_the_eta_cell_gives_the_date_the_days_left_and_the_interval_at_the_signals_confidence():
    text = cells.eta(breach(6.5, 1, 10), AT, 0.8)
    assert "2026-03-06" in text and "in 6 d" in text and "80%: 2026-03-01 to 2026-03-10" in text


def test_a_series_at_its_ceiling_reads_now_and_a_forecast_within_the_day_is_not_now():
    assert cells.eta(breach(0, 0, 0, kind="at_ceiling"), AT, 0.8).startswith("<strong>now</strong>")
    assert "within a day" in cells.eta(breach(0.5, 0.2, 2), AT, 0.8)


def test_values_and_rates_are_in_the_series_units_and_a_pinned_value_is_a_lower_bound():
    assert cells.value(25.0, "webhook_p99_seconds", censored=True) == "≥ 25 s"
    assert cells.rate(0.37, "client_throttle_wait_seconds") == "+370 ms/day"
    assert cells.rate(-1.5 * 2**30, "pvc_used_bytes") == "−1.5 GiB/day"
    assert cells.percent(None) == "—" and cells.percent(83.3).startswith("83%")


def test_only_an_http_runbook_url_becomes_a_link():
    assert cells.link("https://example.org/r#x") == "<a href='https://example.org/r#x'>runbook</a>"
    assert cells.link("javascript:alert(1)") == "javascript:alert(1)"


@pytest.mark.parametrize(
    ("signal", "largest", "label"),
    [
        ("x_seconds", 0.999, "ms"),
        ("x_seconds", 1.0, "s"),
        ("x_seconds", 7199.0, "s"),
        ("x_seconds", 7200.0, "hours"),
        ("x_seconds", 172799.0, "hours"),
        ("x_seconds", 172800.0, "days"),
        ("x_bytes", 1023.0, "bytes"),
        ("x_bytes", 1024.0, "KiB"),
        ("x_total", 999.0, ""),
        ("x_total", 1000.0, "thousands"),
        ("x_total", 999_999.0, "thousands"),
        ("x_total", 1e6, "millions"),
    ],
)
def test_each_unit_threshold_holds_on_both_sides(signal, largest, label):
    assert axis_unit(signal, largest).label == label


def test_a_day_left_reads_in_days_and_less_reads_within_a_day():
    assert "in 1 d" in cells.eta(breach(1, 0.5, 2), AT, 0.8)
    assert "within a day" in cells.eta(breach(0.99, 0.5, 2), AT, 0.8)


@pytest.mark.parametrize(
    ("used", "colour"), [(49.9, "bar-low"), (50.0, "bar-mid"), (89.9, "bar-mid"), (90.0, "bar-high"), (116.0, "bar-high")]
)
def test_the_share_bar_turns_orange_from_half_the_ceiling_and_red_from_nine_tenths(used, colour):
    assert cells.bar_class(used) == colour and colour in cells.percent(used)
