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
    y[100:103] += 20  # a 3-sample surge cannot become a regime
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


def test_a_ramp_a_week_old_is_a_regime_only_when_the_last_segment_may_be_short():
    rng = np.random.default_rng(SEED)
    y = np.r_[np.zeros(150), 1.0 * np.arange(1, 9)] + rng.normal(0, 0.5, 158)
    strict = PiecewiseLinearSegmenter(min_size=14).fit(y)
    early = PiecewiseLinearSegmenter(min_size=14, min_last_size=7).fit(y)
    assert all(b <= 158 - 14 for b in strict.breakpoints_)
    assert abs(early.breakpoints_[-1] - 150) <= 2
    assert all(np.diff([0, *early.breakpoints_[:-1]]) >= 14)  # only the last segment may be short


def test_a_short_last_segment_is_not_invented_on_noise():
    rng = np.random.default_rng(SEED)
    found = [len(PiecewiseLinearSegmenter(min_size=14, min_last_size=7).fit(rng.normal(0, 1, 180)).breakpoints_) for _ in range(50)]
    assert sum(found) <= 2


def _brute_force_optimum(prefix, n, min_size, beta):
    """The textbook optimal-partitioning recursion, one end point at a time."""
    from models.partition import segment_cost

    best = np.full(n + 1, np.inf)
    best[0] = -beta
    for end in range(min_size, n + 1):
        starts = np.arange(0, end - min_size + 1)
        best[end] = np.min(best[starts] + segment_cost(prefix, starts, end) + beta)
    return best


def test_the_block_programme_finds_the_textbook_optimum():
    from models.partition import optimal_partition_grid, prefix_sums

    rng = np.random.default_rng(SEED)
    for _ in range(20):
        y = np.cumsum(rng.normal(0, 0.3, 200)) + rng.normal(0, 1, 200)
        y[rng.integers(0, 200, 10)] = np.nan
        prefix = prefix_sums(np.where(np.isfinite(y), y, 0.0), np.isfinite(y))
        best, _ = optimal_partition_grid(prefix, np.arange(201), 9, 15.0)
        np.testing.assert_allclose(best[9:], _brute_force_optimum(prefix, 200, 9, 15.0)[9:], rtol=1e-9, atol=1e-9)


def test_a_long_series_searched_on_a_coarse_grid_still_dates_changes_to_the_sample():
    rng = np.random.default_rng(SEED)
    y = np.r_[np.zeros(173), np.full(130, 4.0), 4.0 + 0.05 * np.arange(97)] + rng.normal(0, 0.5, 400)
    seg = PiecewiseLinearSegmenter(min_size=14).fit(y)
    assert abs(seg.breakpoints_[0] - 173) <= 1
    assert abs(seg.breakpoints_[-1] - 303) <= 6
    assert min(np.diff([0, *seg.breakpoints_, 400])) >= 14
