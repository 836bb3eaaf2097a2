"""A series on its grid cut to a window as arrays gives the window pandas gives: same values, start,
first and last finite points, and last sample before an empty window."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from detector.core.series_batches import window_of
from detector.sources.grid_window import grid_window
from detector.sources.regular import regular_grid, regularize

LABELS = (("pod", "a"),)
START = pd.Timestamp("2026-01-01T00:00:00Z").timestamp()


def _samples(rng: np.random.Generator, step: float) -> tuple[np.ndarray, np.ndarray]:
    n = int(rng.integers(3, 400))
    ts = START + step * np.sort(rng.choice(2000, size=n, replace=False)) + rng.uniform(0, step, n) * rng.integers(0, 2)
    vs = rng.normal(10, 2, n)
    vs[rng.random(n) < 0.1] = np.nan
    vs[0] = vs[-1] = 1.0
    return ts, vs


def _same(a, b) -> None:
    assert a.labels == b.labels
    assert np.array_equal(a.values, b.values, equal_nan=True)
    assert (np.isnan(a.start) and np.isnan(b.start)) or a.start == b.start
    assert (a.first, a.last, a.last_before) == (b.first, b.last, b.last_before)


@pytest.mark.parametrize("seed", range(40))
def test_a_grid_cut_to_any_window_is_the_window_pandas_cuts(seed):
    rng = np.random.default_rng(seed)
    step = float(rng.choice([60.0, 300.0, 3600.0]))
    ts, vs = _samples(rng, step)
    grid, grid_notes = regular_grid(ts, vs, step, location="x", signal="s")
    series, notes = regularize(ts, vs, step, location="x", signal="s")
    assert grid_notes == notes
    span = 2200 * step
    for _ in range(10):
        earliest = pd.Timestamp(START + rng.uniform(-0.2, 1.1) * span, unit="s", tz="UTC").floor("s")
        at = earliest + pd.Timedelta(seconds=float(rng.uniform(0, 0.8) * span))
        _same(grid_window(LABELS, grid, earliest, at), window_of(LABELS, series, earliest, at))


def test_a_window_after_the_last_sample_names_the_last_sample_before_it():
    ts = START + 3600.0 * np.arange(48)
    grid, _ = regular_grid(ts, np.arange(48.0), 3600.0, location="x", signal="s")
    window = grid_window(
        LABELS, grid, pd.Timestamp(START + 3600.0 * 60, unit="s", tz="UTC"), pd.Timestamp(START + 3600.0 * 90, unit="s", tz="UTC")
    )
    assert window.values.size == 0 and window.first is None
    assert window.last_before == pd.Timestamp(START + 3600.0 * 47, unit="s", tz="UTC")
