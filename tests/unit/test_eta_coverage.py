"""The ETA coverage benchmark scores intervals as it says: inside, early, late, unbounded, per series."""

import numpy as np
import pandas as pd
import pytest

from benchmarks.eta_coverage import Forecast, breakdown, collect, horizon_bucket, outcome, summarize
from benchmarks.scenario_shapes import Scenario
from detector.configuration.schema import Config
from detector.core.findings import Finding
from detector.core.series import SeriesKey
from models.forecast import forecast_to_ceiling

T0 = pd.Timestamp("2026-01-01T00:00:00Z")


def _day(n: float) -> pd.Timestamp:
    return T0 + pd.Timedelta(days=n)


def _forecast(
    incident: float,
    lower: float,
    upper: float | None,
    series: str = "a",
    eta: float = 10.0,
    shape: str = "linear",
    resized_later: bool = False,
) -> Forecast:
    return Forecast(series, shape, T0, _day(eta), _day(lower), None if upper is None else _day(upper), _day(incident), 0.8, resized_later)


def test_an_incident_between_the_bounds_is_inside_and_the_bounds_themselves_count_as_inside():
    assert outcome(_day(10), _day(8), _day(12)) == "inside"
    assert outcome(_day(8), _day(8), _day(12)) == "inside"
    assert outcome(_day(12), _day(8), _day(12)) == "inside"


def test_an_incident_before_the_lower_bound_is_early_and_after_the_upper_bound_is_late():
    assert outcome(_day(7.9), _day(8), _day(12)) == "early"
    assert outcome(_day(12.1), _day(8), _day(12)) == "late"


def test_an_unbounded_upper_is_never_late_but_can_still_be_early():
    assert outcome(_day(5000), _day(8), None) == "inside"
    assert outcome(_day(2), _day(8), None) == "early"


def test_the_summary_counts_each_outcome_and_leaves_unbounded_intervals_out_of_the_median_width():
    rows = [_forecast(10, 8, 12), _forecast(5, 8, 14), _forecast(20, 8, 16), _forecast(30, 8, None)]
    s = summarize(rows)
    assert s["forecasts"] == 4 and s["series"] == 1
    assert (s["inside"], s["early"], s["late"]) == (0.5, 0.25, 0.25)
    assert s["coverage"] == 0.5
    assert s["unbounded"] == 1
    assert s["median_width_days"] == pytest.approx(6.0)  # widths 4, 6, 8; the unbounded one is not a width
    assert s["claimed"] == [0.8]


def test_coverage_per_series_weighs_every_series_equally_however_many_forecasts_it_made():
    many = [_forecast(10, 8, 12, series="busy") for _ in range(9)]
    one = [_forecast(2, 8, 12, series="rare")]
    s = summarize(many + one)
    assert s["coverage"] == pytest.approx(0.9)
    assert s["coverage_per_series"] == pytest.approx(0.5)


def test_an_empty_group_reports_no_shares_rather_than_dividing_by_zero():
    s = summarize([])
    assert s["forecasts"] == 0 and s["coverage"] is None and s["coverage_per_series"] is None and s["median_width_days"] is None


def test_horizon_buckets_split_at_14_and_45_days_of_median_eta():
    assert [horizon_bucket(d) for d in (0, 13.9, 14, 44.9, 45, 90)] == ["< 14 d", "< 14 d", "14-45 d", "14-45 d", "> 45 d", "> 45 d"]
    groups = breakdown([_forecast(10, 8, 12, eta=5), _forecast(10, 8, 12, eta=30), _forecast(2, 8, 12, eta=60, resized_later=True)])
    assert [g["forecasts"] for g in groups["by_horizon"].values()] == [1, 1, 1]
    assert groups["same_ceiling"]["forecasts"] == 2 and groups["same_ceiling"]["coverage"] == 1.0


def _scenario(resize_at: int | None) -> Scenario:
    index = pd.date_range(T0, periods=24 * 40, freq="h")
    ceiling = np.full(len(index), 100.0)
    if resize_at is not None:
        ceiling[:resize_at] = 50.0
    values = np.linspace(10.0, 100.0, len(index))
    return Scenario("s", "linear", index, values, ceiling, index[24 * 30], index[0], resize_at is not None, 0.01)


def _finding(key: SeriesKey, at: pd.Timestamp, kind: str = "breach_forecast", lower: float | None = 5.0) -> Finding:
    return Finding(
        key=key,
        kind=kind,
        severity="warning",
        evaluated_at=at,
        summary="",
        eta=at + pd.Timedelta(days=8),
        eta_lower=None if lower is None else at + pd.Timedelta(days=lower),
        eta_upper=at + pd.Timedelta(days=12),
    )


def test_collect_keeps_only_interval_forecasts_made_up_to_the_incident_and_notes_a_later_resize():
    config = Config.model_validate({"signals": [{"name": "used", "ceiling": 1.0, "model": {"confidence": 0.9}}]})
    key = SeriesKey("used", (("scenario", "s"),))
    sc = _scenario(resize_at=24 * 20)
    findings = {
        key: {
            _day(10): (_finding(key, _day(10)), _finding(key, _day(10), kind="sustained_drift")),
            _day(22): (_finding(key, _day(22)),),
            _day(25): (_finding(key, _day(25), lower=None),),  # no interval: not scored
            _day(31): (_finding(key, _day(31)),),  # after the incident (day 30): not scored
        }
    }
    rows = collect(findings, {key: sc}, config)
    assert [r.evaluated_at for r in rows] == [_day(10), _day(22)]
    assert [r.resized_later for r in rows] == [True, False]
    assert [r.outcome for r in rows] == ["late", "inside"]  # incident 20 and 8 days later; interval 5-12 days
    assert rows[0].claimed == 0.9


def test_the_spread_of_daily_peaks_widens_only_the_earliest_eta():
    plain = forecast_to_ceiling(level=50, level_se=1, slope=1.0, slope_interval=(0.8, 1.2), target=100, confidence=0.8)
    spread = forecast_to_ceiling(level=50, level_se=1, slope=1.0, slope_interval=(0.8, 1.2), target=100, confidence=0.8, peak_sd=5.0)
    assert spread.eta_days == plain.eta_days and spread.eta_upper_days == plain.eta_upper_days
    assert spread.eta_lower_days < plain.eta_lower_days
    assert spread.eta_lower_days == pytest.approx((100 - 50 - plain.z * np.hypot(1, 5)) / 1.2)
    earlier = plain.with_lower(min(plain.eta_lower_days, 3.0))
    assert earlier.eta_lower_days == 3.0 and earlier.eta_days == plain.eta_days
    assert plain.with_lower(-1.0).eta_lower_days == 0.0
