"""At the ceiling, breach forecasts, horizons and the young-regime reach: each just below and above."""

from dataclasses import replace

import numpy as np
import pytest

from models.evidence import EvidenceSpec, held_evidence
from tests.unit.policy_evidence import CEILING, START, kinds, rising, signal, the_gate, with_held

HELD = "held level vs the ceiling"


def forecast_in(a, days):
    return replace(a, forecast=replace(a.forecast, eta_days=days, eta_lower_days=days * 0.8, eta_upper_days=days * 1.2))


def test_held_within_one_percent_of_the_ceiling_is_at_ceiling_whatever_the_trend():
    a = with_held(replace(rising(), trend=replace(rising().trend, slope=0.0)), short_sigma=0.0)
    assert kinds(with_held(a, saturation_level=CEILING * 0.991)).get("at_ceiling") == "critical"
    assert "at_ceiling" not in kinds(with_held(a, saturation_level=CEILING * 0.989))


def test_noise_widens_the_band_up_to_five_percent_of_the_ceiling():
    a = with_held(rising(), short_sigma=CEILING)  # very noisy: the band is capped
    assert the_gate(with_held(a, saturation_level=CEILING * 0.951), HELD).passed
    assert not the_gate(with_held(a, saturation_level=CEILING * 0.949), HELD).passed
    b = with_held(rising(), short_sigma=CEILING * 0.015)  # two sigmas = 3 %
    assert the_gate(with_held(b, saturation_level=CEILING * 0.971), HELD).passed
    assert not the_gate(with_held(b, saturation_level=CEILING * 0.969), HELD).passed


def pinned_for(hours: float, level: float = 99.4, days: int = 30) -> np.ndarray:
    """Hourly CPU percent around 60 with noise, then pinned near ``level`` for the last ``hours``."""
    rng = np.random.default_rng(7)
    values = 60 + rng.normal(0, 3, days * 24)
    k = int(hours)
    if k:
        values[-k:] = level + rng.uniform(-0.35, 0.3, k)
    return values


def test_saturation_is_measured_over_the_last_six_hours_held_by_ninety_percent_of_samples():
    spec = EvidenceSpec()
    five = held_evidence(pinned_for(5), START, 3600.0, spec, "up").saturation_level
    six = held_evidence(pinned_for(6), START, 3600.0, spec, "up").saturation_level
    assert five < 99 < six


def test_a_cpu_pinned_at_99_percent_for_hours_is_at_its_100_percent_ceiling():
    from models.pipeline import SeriesAnalyzer

    a = SeriesAnalyzer().fit(pinned_for(33), START, 3600.0, ceiling=100.0).analysis_
    assert kinds(a, signal(ceiling=100.0)).get("at_ceiling") == "critical"
    b = SeriesAnalyzer().fit(pinned_for(4), START, 3600.0, ceiling=100.0).analysis_
    assert "at_ceiling" not in kinds(b, signal(ceiling=100.0))


def test_a_breach_is_forecast_within_the_horizon_only():
    a = rising()
    assert kinds(forecast_in(a, 89.9)).get("breach_forecast") == "warning"
    assert "breach_forecast" not in kinds(forecast_in(a, 90.1))


def test_a_breach_within_critical_within_is_critical():
    a = rising()
    assert kinds(forecast_in(a, 13.9))["breach_forecast"] == "critical"
    assert kinds(forecast_in(a, 14.1))["breach_forecast"] == "warning"


def young_regime(age_days: float):
    a = rising()
    return replace(
        a,
        regime_days=int(age_days),
        regime_start_day=int(a.now_day - age_days),
        onset_day=int(a.now_day - age_days),
        history_before_onset_days=60,
    )


def test_a_new_regime_forecasts_no_further_than_twice_its_age():
    a = young_regime(10)
    reach = 2 * a.regime_age_days
    assert "breach_forecast" in kinds(forecast_in(a, reach - 0.1))
    assert "breach_forecast" not in kinds(forecast_in(a, reach + 0.1), signal(severity={"critical_within": "1d"}))


def test_an_imminent_breach_is_judged_by_its_evidence_not_held_back_by_the_age_of_its_run():
    a = replace(rising(), onset_day=int(rising().now_day - 20), history_before_onset_days=0)
    assert kinds(forecast_in(a, 13.0)).get("breach_forecast") == "critical"
    assert "breach_forecast" not in kinds(forecast_in(a, 15.0))


def test_a_young_rise_into_an_imminent_breach_is_flagged_past_the_reach_limit():
    a = young_regime(5)
    assert kinds(forecast_in(a, 12.0)).get("breach_forecast") == "critical"


def test_the_median_of_the_last_day_at_the_ceiling_is_at_ceiling_for_a_noisy_series():
    a = with_held(rising(), saturation_level=CEILING * 0.5)
    assert "at_ceiling" in kinds(replace(a, current_raw=CEILING))
    assert "at_ceiling" not in kinds(replace(a, current_raw=CEILING * 0.999))


@pytest.mark.parametrize("hold", ["3h", "12h"])
def test_the_hold_is_configurable_per_signal(hold):
    from detector.engine.evaluate import evidence_spec
    from detector.policy.thresholds import DEFAULT_POLICY, for_signal

    spec = evidence_spec(for_signal(DEFAULT_POLICY, signal(model={"at_ceiling_hold": hold}).model))
    level = held_evidence(pinned_for(8), START, 3600.0, spec, "up").saturation_level
    assert (level > 99) == (hold == "3h")


def test_a_p99_pinned_at_its_top_bucket_above_the_ceiling_is_at_ceiling():
    from models.pipeline import SeriesAnalyzer

    rng = np.random.default_rng(3)
    p99 = 2.0 * np.exp(rng.normal(0, 0.1, 60 * 24))
    p99[-10:] = 25.0  # histogram_quantile pinned at the top finite bucket
    a = SeriesAnalyzer().fit(p99, START, 3600.0, ceiling=20.0, censor_at=25.0).analysis_
    assert kinds(a, signal(ceiling=20.0, censor_at=25.0)).get("at_ceiling") == "critical"
    p99[-10:-5] = 2.0  # pinned for five hours only
    b = SeriesAnalyzer().fit(p99, START, 3600.0, ceiling=20.0, censor_at=25.0).analysis_
    assert "at_ceiling" not in kinds(b, signal(ceiling=20.0, censor_at=25.0))
