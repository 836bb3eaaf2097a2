import numpy as np
import pytest

from models.changepoints import PiecewiseLinearSegmenter

SEED = 7


def test_pure_noise_has_no_changepoint():
    rng = np.random.default_rng(SEED)
    found = [len(PiecewiseLinearSegmenter(min_size=14).fit(rng.normal(0, 1, 240)).breakpoints_) for _ in range(50)]
    assert sum(found) <= 2


def test_a_level_shift_is_located_within_two_samples():
    rng = np.random.default_rng(SEED)
    y = np.r_[np.zeros(120), np.full(120, 3.0)] + rng.normal(0, 0.5, 240)
    seg = PiecewiseLinearSegmenter(min_size=14).fit(y)
    assert len(seg.breakpoints_) == 1
    assert abs(seg.breakpoints_[0] - 120) <= 2


def test_a_slope_change_from_flat_to_rising_is_dated_near_its_onset():
    rng = np.random.default_rng(SEED)
    y = np.r_[np.zeros(100), np.arange(140) * 0.1] + rng.normal(0, 0.5, 240)
    seg = PiecewiseLinearSegmenter(min_size=14).fit(y)
    assert len(seg.breakpoints_) == 1
    assert abs(seg.breakpoints_[0] - 100) <= 7
    assert seg.segments_[-1].slope == pytest.approx(0.1, rel=0.1)


def test_missing_values_are_skipped_not_treated_as_zero():
    rng = np.random.default_rng(SEED)
    y = np.r_[np.zeros(120), np.full(120, 3.0)] + rng.normal(0, 0.5, 240)
    y[30:60] = np.nan
    seg = PiecewiseLinearSegmenter(min_size=14).fit(y)
    assert list(seg.breakpoints_) and abs(seg.breakpoints_[0] - 120) <= 2


def test_no_segment_is_shorter_than_min_size():
    rng = np.random.default_rng(SEED)
    y = rng.normal(0, 1, 300)
    y[100:103] += 20          # a 3-sample surge cannot become a regime
    seg = PiecewiseLinearSegmenter(min_size=10).fit(y)
    bounds = [0, *seg.breakpoints_, 300]
    assert min(np.diff(bounds)) >= 10


def test_long_series_use_the_row_wise_programme_with_the_same_answer():
    rng = np.random.default_rng(SEED)
    y = np.r_[np.zeros(900), np.full(900, 2.0)] + rng.normal(0, 0.5, 1800)
    seg = PiecewiseLinearSegmenter(min_size=20).fit(y)
    assert len(seg.breakpoints_) == 1 and abs(seg.breakpoints_[0] - 900) <= 3


def test_refitting_gives_the_same_result_as_a_fresh_fit():
    rng = np.random.default_rng(SEED)
    a, b = rng.normal(0, 1, 200), np.r_[np.zeros(100), np.ones(100) * 5]
    model = PiecewiseLinearSegmenter(min_size=10)
    model.fit(b)
    model.fit(a)
    fresh = PiecewiseLinearSegmenter(min_size=10).fit(a)
    assert list(model.breakpoints_) == list(fresh.breakpoints_)
