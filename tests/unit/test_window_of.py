"""Cutting a series to its evaluation window by searching the index's integer stamps gives the window
pandas' own slicing gives, whatever the index's time unit and wherever the window falls."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from detector.core.series_batches import _window, window_of


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_the_window_found_on_the_stamps_is_the_window_pandas_slices(unit):
    rng = np.random.default_rng(7)
    series = pd.Series(rng.random(500), index=pd.date_range("2025-07-01", periods=500, freq="37s", tz="UTC").as_unit(unit))
    series.iloc[rng.random(500) < 0.2] = np.nan
    judged = 0
    for _ in range(300):
        earliest = (series.index[0] + pd.Timedelta(int(rng.integers(-(10**12), 2 * 10**13)), unit="ns")).floor("s")
        at = (earliest + pd.Timedelta(int(rng.integers(0, 2 * 10**13)), unit="ns")).floor("s")
        window = window_of((), series, earliest, at)
        sliced = _window(series, earliest, at)
        values = sliced.to_numpy(dtype=float)
        finite = np.flatnonzero(np.isfinite(values))
        assert np.array_equal(window.values, values, equal_nan=True)
        if len(finite):
            judged += 1
            assert window.start == sliced.index[0].timestamp()
            assert (window.first, window.last) == (sliced.index[finite[0]], sliced.index[finite[-1]])
            assert window.first is not None and window.first.unit == unit
        else:
            assert window.first is None and window.last is None
    assert judged > 100  # most windows hold samples, so the comparison covers them


def test_a_bound_between_two_stamps_starts_the_window_at_the_next_one():
    series = pd.Series([1.0, 2.0, 3.0], index=pd.date_range("2026-01-01", periods=3, freq="h", tz="UTC").as_unit("s"))
    window = window_of((), series, pd.Timestamp("2026-01-01T00:30:00.5Z"), pd.Timestamp("2026-01-01T02:00:00Z"))
    assert list(window.values) == [2.0] and window.first == pd.Timestamp("2026-01-01T01:00:00Z")
