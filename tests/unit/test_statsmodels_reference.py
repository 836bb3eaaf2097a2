"""The trend interval and the seasonal profile against independent implementations: statsmodels'
OLS (plain and Newey-West HAC), its classical decomposition and STL, and scipy's Theil-Sen.

Each test computes the same quantity twice, by our model and by the reference, on seeded series
where theory says they should agree, and fails when they do not.
"""

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.tsa.seasonal import STL, seasonal_decompose

from models.seasonality import SeasonalProfile
from models.trend import RobustTrend

SEED = 17
START = 1_736_121_600.0  # 2025-01-06T00:00:00Z, a Monday
HOUR = 3600.0
TRUE_SLOPE = 0.1


def _ar1(rng: np.random.Generator, n: int, phi: float) -> np.ndarray:
    """Stationary AR(1) noise with unit innovations."""
    eps = rng.normal(0.0, 1.0, n)
    out = np.empty(n)
    out[0] = eps[0] / np.sqrt(1 - phi**2)
    for i in range(1, n):
        out[i] = phi * out[i - 1] + eps[i]
    return out


def _newey_west_lags(n: int) -> int:
    return int(np.floor(4 * (n / 100) ** (2 / 9)))


def test_the_theil_sen_slope_is_scipys_theilslopes_with_gaps_and_spikes():
    rng = np.random.default_rng(SEED)
    for n in (5, 14, 61, 180, 400):
        x = np.arange(n, dtype=float)
        y = 3 + 0.2 * x + rng.standard_t(2, n)
        y[rng.random(n) < 0.1] = np.nan
        keep = np.isfinite(y)
        assert RobustTrend().fit(x, y).slope_ == pytest.approx(stats.theilslopes(y[keep], x[keep]).slope, rel=1e-12, abs=1e-14)


@pytest.mark.parametrize("n", [60, 120])
def test_with_white_noise_slope_and_interval_agree_with_ordinary_least_squares(n):
    rng = np.random.default_rng(SEED)
    x = np.arange(n, dtype=float)
    se_ratio, slope_gap, ours_cover, ols_cover = [], [], 0, 0
    for _ in range(200):
        y = 2 + TRUE_SLOPE * x + rng.normal(0, 1, n)
        ours = RobustTrend(confidence=0.8).fit(x, y)
        ols = sm.OLS(y, sm.add_constant(x)).fit()
        se_ratio.append(ours.slope_se_ / ols.bse[1])
        slope_gap.append(abs(ours.slope_ - ols.params[1]) / ols.bse[1])
        low, high = ours.slope_interval_
        ours_cover += low <= TRUE_SLOPE <= high
        low, high = ols.conf_int(alpha=0.2)[1]
        ols_cover += low <= TRUE_SLOPE <= high
    assert 0.9 <= np.median(se_ratio) <= 1.1  # same standard error, robust scale or not
    assert np.median(slope_gap) < 0.3  # Theil-Sen within a fraction of a standard error
    assert 0.72 <= ours_cover / 200 <= 0.88
    assert abs(ours_cover - ols_cover) / 200 <= 0.06


@pytest.mark.parametrize("n", [60, 120])
def test_with_autocorrelated_noise_the_interval_is_at_least_newey_wests_and_keeps_its_coverage(n):
    rng = np.random.default_rng(SEED)
    x = np.arange(n, dtype=float)
    se_ratio, ours_cover = [], 0
    for _ in range(200):
        y = 2 + TRUE_SLOPE * x + _ar1(rng, n, 0.5)
        ours = RobustTrend(confidence=0.8).fit(x, y)
        hac = sm.OLS(y, sm.add_constant(x)).fit(cov_type="HAC", cov_kwds={"maxlags": _newey_west_lags(n)})
        se_ratio.append(ours.slope_se_ / hac.bse[1])
        low, high = ours.slope_interval_
        ours_cover += low <= TRUE_SLOPE <= high
    # Newey-West with its usual lag count under-covers on short AR(1) series; ours is wider
    # by the AR(1) long-run factor, but not by more than that
    assert 1.0 <= np.median(se_ratio) <= 1.6
    assert 0.72 <= ours_cover / 200 <= 0.88


def _phase_means(values: np.ndarray, period: int) -> np.ndarray:
    whole = len(values) // period * period
    means = np.asarray(values)[:whole].reshape(-1, period).mean(axis=0)
    return means - means.mean()


def _references(values: np.ndarray, period: int) -> dict[str, np.ndarray]:
    return {
        "classical decomposition": _phase_means(seasonal_decompose(values, model="additive", period=period).seasonal, period),
        "STL": _phase_means(STL(values, period=period, robust=True).fit().seasonal, period),
    }


def test_a_daily_cycle_matches_the_classical_decomposition_and_stl():
    rng = np.random.default_rng(SEED)
    t = np.arange(60 * 24, dtype=float)
    y = 0.01 * t + 5 * np.sin(2 * np.pi * t / 24) + 2 * np.cos(4 * np.pi * t / 24) + rng.normal(0, 1.5, t.size)
    profile = SeasonalProfile().fit(y, START, HOUR)
    assert profile.periods_ == ("daily",) and not profile.multiplicative_
    ours = _phase_means(profile.seasonal(t.size), 24)
    for name, reference in _references(y, 24).items():
        assert np.max(np.abs(ours - reference)) < 0.05 * np.ptp(reference), name


def test_a_weekly_cycle_matches_the_decompositions_over_a_week():
    rng = np.random.default_rng(SEED)
    t = np.arange(60 * 24, dtype=float)
    y = 5 * np.sin(2 * np.pi * t / 24) + 8 * (((t // 24) % 7) >= 5) + rng.normal(0, 1.5, t.size)
    profile = SeasonalProfile().fit(y, START, HOUR)
    assert profile.periods_ == ("daily", "weekly")
    ours = _phase_means(profile.seasonal(t.size), 168)
    for name, reference in _references(y, 168).items():
        assert np.max(np.abs(ours - reference)) < 0.1 * np.ptp(reference), name


def test_a_multiplicative_cycle_matches_the_multiplicative_decomposition():
    rng = np.random.default_rng(SEED)
    t = np.arange(60 * 24, dtype=float)
    y = 50 * np.exp(0.02 * t / 24 + 0.3 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 0.05, t.size))
    profile = SeasonalProfile().fit(y, START, HOUR)
    assert profile.multiplicative_ and profile.periods_ == ("daily",)
    ours = _phase_means(profile.seasonal(t.size), 24)  # log factors
    factors = seasonal_decompose(y, model="multiplicative", period=24).seasonal
    reference = _phase_means(np.log(factors), 24)
    assert np.max(np.abs(ours - reference)) < 0.02 * np.ptp(reference)


def _stl_strength(values: np.ndarray, period: int) -> float:
    """Seasonal strength of Wang, Smith and Hyndman: 1 - var(remainder) / var(seasonal + remainder)."""
    fit = STL(values, period=period, robust=True).fit()
    remainder, seasonal = np.asarray(fit.resid), np.asarray(fit.seasonal)
    return max(0.0, 1.0 - remainder.var() / (seasonal + remainder).var())


def test_a_cycle_is_kept_where_stl_finds_a_strong_one_and_not_where_it_finds_a_weak_one():
    rng = np.random.default_rng(SEED)
    t = np.arange(60 * 24, dtype=float)
    noise = rng.normal(0, 1.5, t.size) + np.cumsum(rng.normal(0, 0.05, t.size))
    cyclic = noise + 5 * np.sin(2 * np.pi * t / 24)
    assert _stl_strength(cyclic, 24) > 0.6
    assert SeasonalProfile().fit(cyclic, START, HOUR).periods_ == ("daily",)
    assert _stl_strength(noise, 24) < 0.3
    assert SeasonalProfile().fit(noise, START, HOUR).periods_ == ()
