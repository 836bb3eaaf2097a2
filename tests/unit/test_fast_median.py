import numpy as np

from models._validation import median_of, nanmedian_of, quantiles_of

SEED = 11


def test_the_fast_median_is_numpys_median_for_odd_and_even_lengths():
    rng = np.random.default_rng(SEED)
    for n in range(1, 60):
        values = rng.standard_t(3, n) * 10 ** rng.uniform(-3, 9)
        assert median_of(values) == np.median(values)


def test_the_fast_median_leaves_its_input_in_place():
    values = np.array([5.0, 1.0, 4.0, 2.0])
    median_of(values)
    assert values.tolist() == [5.0, 1.0, 4.0, 2.0]


def test_missing_values_are_ignored_and_an_empty_input_has_no_median():
    assert nanmedian_of(np.array([np.nan, 3.0, 1.0, np.nan, 2.0])) == 2.0
    assert np.isnan(nanmedian_of(np.array([np.nan, np.nan])))


def test_long_even_arrays_on_both_sides_of_the_one_pivot_switch_give_numpys_median():
    rng = np.random.default_rng(SEED)
    for n in (510, 512, 514, 516, 4320, 16110):
        values = rng.standard_t(3, n) * 10 ** rng.uniform(-3, 9)
        values[: n // 7] = values[0]  # ties across the middle
        assert median_of(rng.permutation(values)) == np.median(values)


def test_two_quantiles_from_one_partition_are_numpys_percentiles():
    rng = np.random.default_rng(SEED)
    for n in (1, 2, 3, 20, 21, 181, 4320):
        values = rng.lognormal(0, 2, n)
        for low, high in ((0.05, 0.95), (0.0, 1.0), (0.25, 0.5)):
            assert quantiles_of(values, low, high) == tuple(np.percentile(values, (100 * low, 100 * high)))
