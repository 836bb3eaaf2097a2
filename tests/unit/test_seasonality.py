import numpy as np
import pandas as pd

from models.seasonality import SeasonalProfile

SEED = 5
START = pd.Timestamp("2025-01-06", tz="UTC").timestamp()


def test_a_daily_cycle_is_found_and_removed():
    rng = np.random.default_rng(SEED)
    t = np.arange(60 * 24)
    y = 100 + 20 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 2, len(t))
    model = SeasonalProfile().fit(y, START, 3600)
    assert "daily" in model.periods_
    assert np.std(model.transform(y)) < 0.3 * np.std(y)


def test_a_weekend_dip_is_found_as_a_weekly_cycle():
    rng = np.random.default_rng(SEED)
    t = np.arange(70 * 24)
    weekend = ((t // 24) % 7) >= 5
    y = 100 - 40 * weekend + rng.normal(0, 2, len(t))
    assert "weekly" in SeasonalProfile().fit(y, START, 3600).periods_


def test_noise_has_no_cycle():
    rng = np.random.default_rng(SEED)
    y = 100 + rng.normal(0, 5, 60 * 24)
    model = SeasonalProfile().fit(y, START, 3600)
    assert model.periods_ == ()
    assert np.array_equal(model.transform(y), y)


def test_a_cycle_that_scales_with_the_level_is_multiplicative():
    t = np.arange(60 * 24)
    level = np.exp(t / (60 * 24))
    y = level * (1 + 0.3 * np.sin(2 * np.pi * t / 24))
    model = SeasonalProfile().fit(y, START, 3600)
    assert model.multiplicative_ and model.peak_excursion_ > 1.2


def test_mode_none_keeps_the_series():
    y = 100 + 20 * np.sin(2 * np.pi * np.arange(30 * 24) / 24)
    assert SeasonalProfile(mode="none").fit(y, START, 3600).periods_ == ()
