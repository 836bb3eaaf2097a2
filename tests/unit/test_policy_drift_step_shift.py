"""Drift, step and regime-shift gates, and the evidence of a sudden shift, each on both sides."""

from dataclasses import replace

import numpy as np

from detector.policy.thresholds import DEFAULT_POLICY
from models.changepoints import Segment
from models.evidence import EvidenceSpec, held_evidence
from tests.unit.policy_evidence import START, kinds, quiet_held, rising, signal, with_held


def no_ceiling(a):
    return replace(a, ceiling=None, forecast=None)


def with_growth(a, since_onset: float, in_window: float):
    return replace(a, baseline=a.current / since_onset, window_baseline=a.current / in_window)


def test_a_drift_is_a_warning_when_it_doubled_within_the_window():
    a = quiet_held(no_ceiling(rising()))
    assert kinds(with_growth(a, 3.0, 2.01))["sustained_drift"] == "warning"
    assert kinds(with_growth(a, 3.0, 1.99))["sustained_drift"] == "info"


def test_a_drift_needs_twenty_percent_growth():
    a = quiet_held(no_ceiling(rising()))
    assert "sustained_drift" in kinds(with_growth(a, 1.201, 1.1))
    assert "sustained_drift" not in kinds(with_growth(a, 1.199, 1.1))


def test_a_drift_needs_three_sigmas_of_daily_noise():
    a = with_growth(quiet_held(no_ceiling(rising())), 1.5, 1.1)
    change = a.current - a.baseline
    assert "sustained_drift" in kinds(replace(a, noise_sigma=change / 3.01))
    assert "sustained_drift" not in kinds(replace(a, noise_sigma=change / 2.99))


def stepped(ratio: float, jump_sigmas: float = 10.0):
    """The last regime starts with a jump of ``ratio`` (in units) after a flat regime at 100."""
    a = quiet_held(no_ceiling(rising()))
    n = len(a.daily.values)
    after = 100.0 * ratio
    sigma = (after - 100.0) / jump_sigmas
    segs = (Segment(0, n - 30, 100.0, 0.0, n - 30), Segment(n - 30, n, after - 0.0 * (n - 30), 0.0, 30))
    return replace(a, segments=segs, noise_sigma=sigma)


def test_a_step_is_named_from_thirty_percent():
    assert kinds(stepped(1.31)).get("step_change") == "info"
    assert "step_change" not in kinds(stepped(1.29))


def test_a_step_must_exceed_four_sigmas_of_daily_noise():
    assert "step_change" in kinds(stepped(2.0, jump_sigmas=4.01))
    assert "step_change" not in kinds(stepped(2.0, jump_sigmas=3.99))


def shifted(ratio: float):
    a = rising()
    return with_held(a, shift_level=ratio * 2.0, shift_reference=2.0, shift_start=a.now_day * 86400 - 20 * 3600)


def test_a_regime_shift_is_a_warning_from_ten_times_the_highest_level_held_before():
    assert kinds(shifted(10.01)).get("regime_shift") == "warning"
    assert "regime_shift" not in kinds(shifted(9.99))


def test_a_regime_shift_is_not_judged_on_a_falling_is_bad_signal():
    assert "regime_shift" not in kinds(shifted(50), signal(direction="down"))


def evictions(loop_hours: int, loop_rate: float = 30.0, days: int = 60, surge_day: bool = False) -> np.ndarray:
    """Hourly eviction rate around 0.5/h (Poisson), deploy spikes, then a loop for the last hours."""
    rng = np.random.default_rng(11)
    values = rng.poisson(0.5, days * 24).astype(float)
    values[rng.choice(days * 24 - 48, 8, replace=False)] += 12.0  # deploy spikes, one hour each
    if surge_day:
        values[-30 * 24 : -29 * 24] *= 4.0
    if loop_hours:
        values[-loop_hours:] = rng.poisson(loop_rate, loop_hours)
    return values


def ratio_of(values: np.ndarray, spec: EvidenceSpec = EvidenceSpec()) -> float:
    return held_evidence(values, START, 3600.0, spec, "up").shift_ratio


def test_an_eviction_loop_held_twelve_hours_is_far_outside_what_the_series_held():
    assert ratio_of(evictions(12)) >= DEFAULT_POLICY.shift.ratio
    assert ratio_of(evictions(11)) < DEFAULT_POLICY.shift.ratio


def test_deploy_spikes_a_surge_day_and_quiet_data_are_not_shifts():
    assert ratio_of(evictions(0, surge_day=True)) < 3
    assert ratio_of(evictions(0)) < 3


def test_a_loop_a_few_times_the_usual_level_is_not_a_shift():
    assert ratio_of(evictions(24, loop_rate=3.0)) < DEFAULT_POLICY.shift.ratio


def test_a_shift_ends_when_the_series_returns():
    values = evictions(48)
    values[-6:] = 0.5
    values[-3:] = 0.0
    assert ratio_of(values) < DEFAULT_POLICY.shift.ratio


def test_a_shift_stays_flagged_while_it_lasts():
    assert ratio_of(evictions(24 * 5)) >= DEFAULT_POLICY.shift.ratio
