import numpy as np
import pandas as pd

from detector.backtest.predict_linear_rule import predict_linear_firing
from detector.backtest.scoring import count_episodes
from tests.synthetic import hourly_index


def test_a_steep_six_hour_ramp_fires_after_the_for_duration():
    index = hourly_index(3)
    values = np.full(len(index), 10.0)
    values[30:] = 10 + 2.0 * np.arange(len(index) - 30)  # +48/day: 4 days ahead crosses 100 at once
    firing = predict_linear_firing(pd.Series(values, index=index), 100.0)
    first = firing.idxmax()
    assert firing.any() and index[31] < first <= index[34]


def test_a_flat_series_never_fires():
    index = hourly_index(10)
    assert not predict_linear_firing(pd.Series(50.0, index=index), 100.0).any()


def test_a_slow_three_week_fill_is_invisible_to_the_six_hour_window_until_the_end():
    index = hourly_index(21)
    rng = np.random.default_rng(1)
    used = np.linspace(50, 100, len(index)) + rng.normal(0, 0.01, len(index))
    firing = predict_linear_firing(pd.Series(used, index=index), 100.0)
    assert firing.any()
    assert firing.idxmax() > index[-1] - pd.Timedelta(days=5)


def test_a_ceiling_series_is_followed():
    index = hourly_index(5)
    values = pd.Series(np.linspace(0, 90, len(index)), index=index)
    low = predict_linear_firing(values, pd.Series(60.0, index=index))
    high = predict_linear_firing(values, pd.Series(1e6, index=index))
    assert low.any() and not high.any()


def test_a_falling_signal_fires_when_heading_below_its_floor():
    index = hourly_index(5)
    values = pd.Series(np.linspace(100, 20, len(index)), index=index)
    assert predict_linear_firing(values, 0.0, direction="down").any()


def test_episodes_are_maximal_runs():
    assert count_episodes(np.array([0, 1, 1, 0, 1, 0, 0, 1], bool)) == 3
    assert count_episodes(np.array([], bool)) == 0
