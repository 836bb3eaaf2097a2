"""The benchmark scenario suite and the z-score band rule behave as the benchmarks assume."""

import numpy as np
import pandas as pd

from benchmarks.scenario_scoring import MIN_HISTORY, score
from benchmarks.scenario_shapes import QUIET_SHAPES, Scenario, make_scenarios
from benchmarks.zscore_rule import hold_for, zscore_firing

SEED = 20261121


def _same(a: Scenario, b: Scenario) -> bool:
    return (
        a.name == b.name
        and a.shape == b.shape
        and a.index.equals(b.index)
        and np.array_equal(a.values, b.values, equal_nan=True)
        and np.array_equal(a.ceiling, b.ceiling)
        and a.incident == b.incident
    )


def test_the_scenario_generator_is_deterministic_for_a_seed():
    first = make_scenarios(SEED, 4, 6)
    again = make_scenarios(SEED, 4, 6)
    other = make_scenarios(SEED + 1, 4, 6)
    assert all(_same(a, b) for a, b in zip(first, again, strict=True))
    assert not any(np.array_equal(a.values, b.values, equal_nan=True) for a, b in zip(first, other, strict=True))


def test_every_incident_lies_inside_its_data_at_the_first_sample_that_reaches_the_ceiling():
    for sc in make_scenarios(SEED, 12, 0):
        assert sc.index[0] + MIN_HISTORY < sc.incident <= sc.index[-1]
        assert sc.onset < sc.incident
        at = sc.index.get_loc(sc.incident)
        assert sc.values[at] >= sc.ceiling[at]
        before = sc.values[:at]
        assert np.all(before[np.isfinite(before)] < sc.ceiling[:at][np.isfinite(before)])
        assert 240 * 24 <= len(sc.values) <= 300 * 24


def test_quiet_series_cover_every_control_shape_and_stay_below_their_ceiling():
    quiet = make_scenarios(SEED, 0, 2 * len(QUIET_SHAPES))
    assert {sc.shape for sc in quiet} == {f"quiet:{shape}" for shape in QUIET_SHAPES}
    for sc in quiet:
        assert sc.incident is None
        finite = np.isfinite(sc.values)
        assert np.all(sc.values[finite] < sc.ceiling[finite])


def _hourly(values: np.ndarray) -> pd.Series:
    return pd.Series(values, index=pd.date_range("2025-01-06", periods=len(values), freq="h", tz="UTC"))


def test_the_zscore_rule_fires_on_an_obvious_outlier():
    rng = np.random.default_rng(SEED)
    values = 100 + rng.normal(0, 1, 24 * 21)
    values[400:404] = 130  # four hours at 30 sigma
    firing = zscore_firing(_hourly(values)).to_numpy()
    assert firing[401:404].all()
    assert not firing[395:400].any()


def test_the_zscore_rule_stays_quiet_on_a_flat_line_even_with_gaps():
    values = np.full(24 * 21, 0.1)
    values[100:130] = np.nan
    assert not zscore_firing(_hourly(values)).any()


def test_a_condition_true_for_a_single_sample_does_not_satisfy_for_one_hour():
    condition = np.array([False, True, False, True, True, True, False])
    assert hold_for(condition, 1).tolist() == [False, False, False, False, True, True, False]


def test_lead_time_counts_from_the_first_flag_at_or_before_the_incident():
    index = pd.date_range("2025-01-01", periods=60 * 24, freq="h", tz="UTC")
    incident = index[50 * 24]
    sc = Scenario("inc", "linear", index, np.zeros(len(index)), np.ones(len(index)), incident, index[30 * 24], False, 0.01)
    times = pd.date_range(index[0] + MIN_HISTORY, index[-1], freq="D").tz_localize(None).to_numpy()
    flagged = times >= (incident - pd.Timedelta(days=3)).tz_localize(None).to_datetime64()
    row = score(sc, times, flagged)
    assert row["lead_days"] == 3.0
    assert row["sustained_lead_days"] == 3.0
    assert row["pre_onset_episodes"] == 0


def test_the_peer_lead_after_onset_ignores_alarms_before_the_growth_began():
    from benchmarks.prophet_peer import lead_after_onset

    sc = make_scenarios(SEED, 1, 0)[0]
    onset, incident = sc.onset.to_datetime64(), sc.incident.to_datetime64()
    times = np.array([onset - np.timedelta64(30, "D"), onset + np.timedelta64(10, "D"), incident], dtype="datetime64[ns]")
    flagged = np.array([True, True, True])
    assert lead_after_onset(sc, times, flagged) == (incident - times[1]) / np.timedelta64(1, "D")
    assert lead_after_onset(sc, times, np.array([True, False, False])) is None
