"""regularize: raw samples in any order onto a regular UTC grid, with notes on what was changed."""

import numpy as np
import pandas as pd
import pytest

from detector.errors import DataError
from detector.sources.regular import regularize

SEED = 20250601
T0 = 1_748_736_000  # 2025-06-01T00:00:00Z, a multiple of one hour and of one day
HOUR = 3600.0


def grid(timestamps, values, step=HOUR):
    return regularize(np.asarray(timestamps, float), np.asarray(values, float), step, location="f.json x{}", signal="x")


def test_unsorted_samples_come_out_sorted_on_a_utc_grid_with_the_step_as_frequency_and_a_note_counts_them():
    series, notes = grid([T0 + 2 * HOUR, T0, T0 + HOUR], [3.0, 1.0, 2.0])
    assert list(series) == [1.0, 2.0, 3.0]
    assert str(series.index.tz) == "UTC"
    assert series.index.freq == pd.Timedelta(hours=1)
    assert series.index[0] == pd.Timestamp("2025-06-01T00:00:00Z")
    assert series.dtype == np.float64
    assert [n.message for n in notes] == ["1 sample(s) out of time order; sorted by time"]
    assert notes[0].location == "f.json x{}" and notes[0].signal == "x"


def test_samples_already_in_order_leave_no_note():
    _, notes = grid([T0, T0 + HOUR, T0 + 2 * HOUR], [1.0, 2.0, 3.0])
    assert notes == []


def test_bins_are_anchored_at_multiples_of_the_step_since_the_epoch():
    series, _ = grid([T0 + 1000, T0 + 4000, T0 + 8000], [1.0, 2.0, 3.0])
    assert list(series.index) == list(pd.date_range("2025-06-01T00:00:00Z", periods=3, freq="h"))
    daily, _ = grid([T0 + 5 * HOUR, T0 + 30 * HOUR], [1.0, 2.0], step=86400.0)
    assert daily.index[0] == pd.Timestamp("2025-06-01T00:00:00Z")
    assert daily.index[1] == pd.Timestamp("2025-06-02T00:00:00Z")


def test_an_index_in_nanoseconds_so_asi8_counts_nanoseconds():
    series, _ = grid([T0, T0 + HOUR], [1.0, 2.0])
    assert series.index.asi8[0] == T0 * 10**9


def test_equal_duplicates_at_chunk_edges_collapse_without_a_note():
    series, notes = grid([T0, T0 + HOUR, T0 + HOUR, T0 + 2 * HOUR], [1.0, 2.0, 2.0, 3.0])
    assert list(series) == [1.0, 2.0, 3.0]
    assert notes == []


def test_duplicates_with_different_values_keep_the_last_and_are_counted_in_a_note():
    stamps = [T0, T0 + HOUR, T0 + HOUR, T0 + 2 * HOUR, T0 + 3 * HOUR, T0 + 3 * HOUR]
    series, notes = grid(stamps, [1.0, 2.0, 9.0, 3.0, 4.0, 7.0])
    assert list(series) == [1.0, 9.0, 3.0, 7.0]
    assert len(notes) == 1
    text = str(notes[0])
    assert "f.json x{}" in text
    assert "2 timestamp(s) with different values" in text
    assert "2025-06-01T01:00:00Z" in text


def test_the_last_duplicate_is_the_last_in_input_order_even_when_input_is_unsorted():
    series, _ = grid([T0 + HOUR, T0, T0 + HOUR], [5.0, 1.0, 6.0])
    assert series.iloc[1] == 6.0


def test_samples_within_one_bin_are_averaged_with_one_note_counting_samples_and_steps():
    series, notes = grid([T0, T0 + 600, T0 + 1200, T0 + HOUR + 60, T0 + 2 * HOUR, T0 + 2 * HOUR + 60], [1.0, 2.0, 6.0, 10.0, 1.0, 3.0])
    assert list(series) == [3.0, 10.0, 2.0]
    assert [n.message for n in notes] == [
        "5 samples averaged into 2 step(s) of 3600 s (several samples per step), first at 2025-06-01T00:00:00Z"
    ]


def test_nan_samples_are_gaps_and_leading_or_trailing_gaps_are_trimmed():
    stamps = T0 + HOUR * np.arange(6)
    series, notes = grid(stamps, [np.nan, 1.0, np.nan, np.nan, 4.0, np.nan])
    assert series.index[0] == pd.Timestamp(T0 + HOUR, unit="s", tz="UTC")
    assert len(series) == 4
    assert np.isnan(series.iloc[1]) and np.isnan(series.iloc[2])
    assert [n.message for n in notes] == ["4 NaN value(s) read as gaps, first at 2025-06-01T00:00:00Z"]


def test_missing_samples_are_left_as_gaps_with_one_note_counting_steps_and_gaps():
    stamps = [T0, T0 + 3 * HOUR, T0 + 4 * HOUR, T0 + 6 * HOUR]
    series, notes = grid(stamps, [1.0, 2.0, 3.0, 4.0])
    assert series.isna().sum() == 3
    assert [n.message for n in notes] == ["3 missing step(s) in 2 gap(s) left as NaN (not filled), first at 2025-06-01T01:00:00Z"]


def test_missing_samples_leave_nan_bins_on_a_continuous_index():
    series, _ = grid([T0, T0 + 5 * HOUR], [1.0, 2.0])
    assert len(series) == 6
    assert series.isna().sum() == 4


def test_infinite_values_become_gaps_and_are_counted_with_the_first_timestamp():
    stamps = T0 + HOUR * np.arange(5)
    series, notes = grid(stamps, [1.0, np.inf, 2.0, -np.inf, 3.0])
    assert np.isnan(series.iloc[1]) and np.isnan(series.iloc[3])
    assert len(notes) == 1
    text = str(notes[0])
    assert "f.json x{}" in text and "2 infinite value(s)" in text and "1 +Inf, 1 -Inf" in text
    assert "2025-06-01T01:00:00Z" in text
    assert notes[0].signal == "x"


def test_all_nan_or_inf_values_raise_a_data_error_naming_the_location():
    with pytest.raises(DataError, match="all 3 value") as caught:
        grid([T0, T0 + HOUR, T0 + 2 * HOUR], [np.nan, np.inf, np.nan])
    assert caught.value.location == "f.json x{}"


def test_a_single_finite_sample_raises_because_a_point_cannot_show_a_trend():
    with pytest.raises(DataError, match="single point cannot show a trend"):
        grid([T0, T0 + HOUR, T0 + HOUR], [np.nan, 5.0, 5.0])


def test_millisecond_timestamps_are_refused_instead_of_landing_in_the_far_future():
    with pytest.raises(DataError, match="milliseconds"):
        grid([T0 * 1000.0, (T0 + HOUR) * 1000.0], [1.0, 2.0])


def test_a_grid_matches_a_pandas_groupby_reference_on_random_irregular_samples():
    rng = np.random.default_rng(SEED)
    stamps = T0 + rng.uniform(0, 400 * HOUR, size=3000)
    values = rng.normal(size=3000)
    values[rng.choice(3000, size=100, replace=False)] = np.nan
    series, _ = grid(stamps, values)
    frame = pd.Series(values, index=pd.to_datetime(stamps, unit="s", utc=True)).dropna()
    reference = frame.groupby(frame.index.floor("h")).mean()
    reference = reference.reindex(pd.date_range(reference.index[0], reference.index[-1], freq="h"))
    np.testing.assert_allclose(series.to_numpy(), reference.to_numpy(), rtol=1e-12, equal_nan=True)
    assert (series.index == reference.index).all()
