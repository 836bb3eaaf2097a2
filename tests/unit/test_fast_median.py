import numpy as np

from models._validation import median_of, nanmedian_of

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
