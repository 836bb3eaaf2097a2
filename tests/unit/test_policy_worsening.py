"""Is the current regime worsening? Each gate just below and just above its default threshold."""

from dataclasses import replace

import pytest

from detector.policy.thresholds import DEFAULT_POLICY
from models.evidence import TrendEvidence
from tests.unit.policy_evidence import kinds, rising, the_gate, verdict, with_slope_t

SLOPE = "slope t-value"


def test_a_long_clean_rise_is_worsening_and_drifting():
    assert "sustained_drift" in kinds(rising())


@pytest.mark.parametrize(("age", "coverage"), [(121, 0.95), (20, 0.99), (10, 0.999)])
def test_the_slope_test_asks_more_of_younger_regimes(age, coverage):
    a = replace(rising(), regime_days=age)
    needed = a.trend.t_needed(coverage)
    assert not the_gate(with_slope_t(a, needed * 0.99), SLOPE).passed
    assert the_gate(with_slope_t(a, needed * 1.01), SLOPE).passed


def test_the_settled_slope_test_is_two_sided_95_percent():
    gate = the_gate(rising(), SLOPE)
    assert gate.threshold == pytest.approx(rising().trend.t_needed(0.95))
    assert 1.95 < gate.threshold < 2.0  # t quantile with ~116 degrees of freedom


def continuing(rise_sigmas: float, age: int = 20):
    """A young regime (slope not significant alone) continuing a worsening run that rose ``rise_sigmas``."""
    a = rising()
    return replace(
        with_slope_t(a, 0.5),
        regime_days=age,
        continues_run=True,
        previous_level_end=a.recent_level,
        baseline_level=a.recent_level - rise_sigmas * a.long_run_sigma,
        history_before_onset_days=60,
        onset_day=a.regime_start_day - 60,
        recent_trend=None,
    )


def test_the_run_rise_threshold_is_the_false_alarm_budget_of_one_per_100_series_years():
    assert DEFAULT_POLICY.significance.rise_sigmas == pytest.approx(5.705, abs=0.005)  # sqrt(2) z(1 - 1/36500)
    assert the_gate(continuing(5.68), "rise of the run").passed is False
    assert the_gate(continuing(5.73), "rise of the run").passed is True


def test_a_looser_budget_lets_a_smaller_run_rise_through():
    loose = DEFAULT_POLICY.with_field("significance.daily_false_alarm_rate", 1 / 365)
    assert not the_gate(continuing(4.5), "rise of the run").passed
    assert the_gate(continuing(4.5), "rise of the run", policy=loose).passed


def test_a_continuing_regime_must_hold_the_previous_level_within_one_sigma():
    a = continuing(8.0)
    sigma = a.noise_sigma
    below = replace(a, previous_level_end=a.recent_level + 1.01 * sigma)
    within = replace(a, previous_level_end=a.recent_level + 0.99 * sigma)
    assert not the_gate(below, "level vs the previous regime's end").passed
    assert the_gate(within, "level vs the previous regime's end").passed


def test_an_old_continuing_regime_must_also_rise_at_80_percent():
    a = continuing(8.0, age=40)
    needed = a.trend.t_needed(0.8)
    assert not the_gate(with_slope_t(a, needed * 0.99), "slope t-value (continuing)").passed
    assert the_gate(with_slope_t(a, needed * 1.01), "slope t-value (continuing)").passed


def test_a_plateau_forming_stops_the_worsening_below_half_the_regime_slope():
    a = rising()
    slope, se = a.trend.slope, 0.01
    upper = lambda s: TrendEvidence(s, se, 14.0).upper(0.9)  # noqa: E731
    offset = upper(0.0)
    just_below = replace(a, recent_trend=TrendEvidence(0.5 * slope - offset - 1e-6, se, 14.0))
    just_above = replace(a, recent_trend=TrendEvidence(0.5 * slope - offset + 1e-6, se, 14.0))
    assert "sustained_drift" not in kinds(just_below)
    assert "sustained_drift" in kinds(just_above)


def test_back_on_old_ground_is_a_recovery_not_a_worsening():
    a = replace(rising(), prior_days=30)
    assert "sustained_drift" not in kinds(replace(a, highest_before=a.recent_level))
    assert "sustained_drift" in kinds(replace(a, highest_before=a.recent_level - 1e-6))


def test_old_ground_needs_a_week_before_the_onset():
    a = replace(rising(), highest_before=rising().recent_level + 10)
    assert "sustained_drift" in kinds(replace(a, prior_days=6))
    assert "sustained_drift" not in kinds(replace(a, prior_days=7))


def test_a_run_that_began_with_the_data_must_be_three_shortest_regimes_old():
    a = rising()
    young = replace(a, onset_day=int(a.now_day - 41.9), history_before_onset_days=0)
    old = replace(a, onset_day=int(a.now_day - 42.1) - 1, history_before_onset_days=0)
    assert "sustained_drift" not in kinds(young)
    assert "sustained_drift" in kinds(old)
    assert "sustained_drift" in kinds(replace(young, history_before_onset_days=7))


def test_every_gate_is_in_the_verdict_with_words():
    _, v = verdict(rising())
    assert v.gates and all(g.words() for g in v.gates)
    assert v.reason.startswith("sustained_drift")
