import numpy as np
import pytest

from models.forecast import forecast_to_ceiling
from models.trend import RobustTrend, student_t_quantile

SEED = 11


def test_the_slope_interval_covers_the_true_slope_about_as_often_as_promised():
    rng = np.random.default_rng(SEED)
    x = np.arange(90.0)
    covered = 0
    for _ in range(400):
        y = 5 + 0.2 * x + rng.normal(0, 2, 90)
        lo, hi = RobustTrend(confidence=0.8).fit(x, y).slope_interval_
        covered += lo <= 0.2 <= hi
    assert 0.7 <= covered / 400 <= 0.92


def test_autocorrelated_noise_widens_the_interval():
    rng = np.random.default_rng(SEED)
    x = np.arange(120.0)
    white = rng.normal(0, 1, 120)
    red = np.empty(120)
    red[0] = 0
    for i in range(1, 120):
        red[i] = 0.9 * red[i - 1] + rng.normal(0, np.sqrt(1 - 0.81))
    w = RobustTrend().fit(x, white)
    r = RobustTrend().fit(x, red)
    assert r.phi_ > 0.5 > w.phi_
    assert r.n_effective_ < 0.3 * w.n_effective_


def test_spikes_do_not_move_the_robust_slope():
    rng = np.random.default_rng(SEED)
    x = np.arange(100.0)
    y = 0.5 * x + rng.normal(0, 1, 100)
    y[-5:] += 200
    assert RobustTrend().fit(x, y).slope_ == pytest.approx(0.5, abs=0.05)


def test_fewer_than_three_points_is_refused():
    with pytest.raises(ValueError):
        RobustTrend().fit(np.array([0.0, 1.0]), np.array([1.0, 2.0]))


def test_the_eta_interval_brackets_the_median_and_is_unbounded_when_the_slope_may_be_flat():
    f = forecast_to_ceiling(level=50, level_se=1, slope=1.0, slope_interval=(0.5, 1.5), target=100, confidence=0.8)
    assert f.eta_lower_days < f.eta_days < f.eta_upper_days
    assert f.eta_days == pytest.approx(50)
    flat = forecast_to_ceiling(level=50, level_se=1, slope=1.0, slope_interval=(-0.1, 2.0), target=100, confidence=0.8)
    assert flat.eta_upper_days == float("inf")


def test_student_t_approximation_is_within_one_percent():
    from scipy import stats

    for df in (3, 5, 10, 30, 200):
        for p in (0.9, 0.95, 0.975):
            assert student_t_quantile(p, df) == pytest.approx(stats.t.ppf(p, df), rel=0.01)


def test_the_slope_on_consecutive_days_equals_the_slope_computed_from_every_pair_of_times():
    from scipy import stats

    rng = np.random.default_rng(SEED)
    for first in (0.0, 17.0, 20_000.0, 0.5):  # 0.5: not whole days, the general path
        x = first + np.arange(150.0)
        y = 3 + 0.1 * x + rng.standard_t(2, x.size)
        assert RobustTrend().fit(x, y).slope_ == pytest.approx(stats.theilslopes(y, x).slope, rel=1e-12, abs=1e-14)
    shuffled = rng.permutation(150).astype(float)  # distinct times out of order: only pairs in order count
    y = 0.2 * shuffled + rng.normal(0, 1, 150)
    assert RobustTrend().fit(shuffled, y).slope_ == pytest.approx(0.2, abs=0.02)


def test_uneven_times_spanning_as_many_days_as_points_are_not_taken_for_consecutive_days():
    from scipy import stats

    x = np.array([0.0, 0.5, 2.0, 3.5, 4.0])  # 5 points over 4 days, but not one a day
    y = np.array([0.0, 2.0, 1.0, 4.0, 3.0])
    assert RobustTrend().fit(x, y).slope_ == pytest.approx(stats.theilslopes(y, x).slope, rel=1e-12)
