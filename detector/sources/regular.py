"""Put raw samples on a regular UTC time grid: sort, resolve duplicates, average per bin, gaps as NaN.

Everything here is vectorised numpy (no Python loop per sample): a source may call it for thousands
of series of about ten thousand points each.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from detector.core.instants import rfc3339, rfc3339_unix
from detector.core.series import DataNote
from detector.errors import DataError

MAX_POINTS = 10_000_000
"""Refuse grids longer than this (e.g. millisecond timestamps read as seconds, or a tiny step)."""

MAX_TIMESTAMP = 1e11
"""Unix seconds beyond this (the year 5138) are almost certainly milliseconds."""


@dataclass(frozen=True)
class Grid:
    """A series on a regular grid, as arrays: ``values[k]`` is the bin starting at ``(first + k) * step_ns``
    nanoseconds since the epoch (``counts[k]``: how many finite samples it averaged)."""

    first: int
    step_ns: int
    values: np.ndarray
    counts: np.ndarray

    def instant(self, k: int) -> pd.Timestamp:
        return pd.Timestamp((self.first + k) * self.step_ns, unit="ns", tz="UTC")

    def series(self) -> pd.Series:
        index = pd.date_range(start=self.instant(0), periods=self.values.size, freq=pd.Timedelta(self.step_ns, unit="ns"))
        return pd.Series(self.values, index=index, dtype=np.float64)


def regularize(
    timestamps: np.ndarray,
    values: np.ndarray,
    step_seconds: float,
    *,
    location: str,
    signal: str,
    min_samples: int = 2,
) -> tuple[pd.Series, list[DataNote]]:
    """Return one series on a regular grid of ``step_seconds``, plus notes on what was changed
    (``regular_grid`` without pandas: the same grid as arrays).

    Parameters
    ----------
    timestamps : array of float
        Unix seconds, in any order; duplicates allowed. Must be finite.
    values : array of float
        Same length as ``timestamps``. NaN marks a gap; +Inf/-Inf become gaps and are noted.
    step_seconds : float
        Grid step in seconds, > 0. Bins are ``[k*step, (k+1)*step)`` since the epoch and are
        labelled by their start.
    location : str
        Where the samples came from (file and series), used in notes and errors.
    signal : str
        Signal name, copied into each note.

    Returns
    -------
    series : pandas.Series
        float64 on a ``DatetimeIndex`` (UTC, nanoseconds, ``freq`` = step) from the bin of the first
        finite sample to the bin of the last; the mean of the finite samples in each bin, NaN when
        a bin has none.
    notes : list of DataNote
        At most one per kind of repair, each with its count: samples out of time order (sorted),
        duplicate timestamps with different values (the last value is kept), infinite values and
        NaN values (gaps), steps that held several samples (averaged) and missing steps inside the
        series (left as NaN gaps, never filled). Equal duplicates (chunk edges) change nothing and
        are dropped without a note.

    Raises
    ------
    DataError
        No finite value at all, fewer than ``min_samples`` finite samples, non-finite or millisecond
        timestamps, or a grid longer than ``MAX_POINTS``.
    """
    grid, notes = regular_grid(timestamps, values, step_seconds, location=location, signal=signal, min_samples=min_samples)
    return grid.series(), notes


def regular_grid(
    timestamps: np.ndarray, values: np.ndarray, step_seconds: float, *, location: str, signal: str, min_samples: int = 2
) -> tuple[Grid, list[DataNote]]:
    """``regularize``'s grid and notes as arrays (no pandas objects: a paged read of thousands of series)."""
    if not step_seconds > 0:
        raise ValueError(f"step_seconds must be > 0, got {step_seconds!r}")
    ts = np.asarray(timestamps, dtype=np.float64).ravel()
    vs = np.asarray(values, dtype=np.float64).ravel()
    if ts.shape != vs.shape:
        raise ValueError(f"timestamps and values differ in length ({ts.size} != {vs.size})")
    _check_timestamps(ts, location)

    notes: list[DataNote] = []
    unsorted = int((ts[1:] < ts[:-1]).sum()) if ts.size > 1 else 0
    if unsorted:
        notes.append(DataNote(signal, f"{unsorted} sample(s) out of time order; sorted by time", location))
    order = np.argsort(ts, kind="stable")  # stable: among equal timestamps the input order is kept
    ts, vs = ts[order], vs[order]
    ts, vs, note = _resolve_duplicates(ts, vs, location=location, signal=signal)
    if note is not None:
        notes.append(note)

    infinite = np.isinf(vs)
    if infinite.any():
        count = int(infinite.sum())
        positive = int((vs[infinite] > 0).sum())
        notes.append(
            DataNote(
                signal,
                f"{count} infinite value(s) ({positive} +Inf, {count - positive} -Inf) treated as gaps, "
                f"first at {rfc3339_unix(ts[infinite][0])}",
                location,
            )
        )
        vs = np.where(infinite, np.nan, vs)

    finite = ~np.isnan(vs)
    n_finite = int(finite.sum())
    n_nan = ts.size - n_finite - int(infinite.sum())
    if n_nan and n_finite:
        notes.append(
            DataNote(signal, f"{n_nan} NaN value(s) read as gaps, first at {rfc3339_unix(ts[np.isnan(vs) & ~infinite][0])}", location)
        )
    if n_finite == 0:
        raise DataError(f"all {ts.size} value(s) are NaN/Inf", location=location)
    if n_finite < min_samples:
        raise DataError(f"only one finite sample (at {rfc3339_unix(ts[finite][0])}): a single point cannot show a trend", location=location)

    grid = _bin_means(ts[finite], vs[finite], step_seconds, location)
    offsets = np.floor(ts / step_seconds).astype(np.int64) - grid.first
    return grid, notes + _grid_notes(grid, offsets, step_seconds, location, signal)


def _grid_notes(grid: Grid, offsets: np.ndarray, step_seconds: float, location: str, signal: str) -> list[DataNote]:
    """Notes on steps that held several finite samples (``counts``: averaged) and on steps without
    any sample at all (``offsets``: the step of every sample, NaN and Inf included; left as gaps)."""
    notes = []
    counts = grid.counts
    crowded = counts > 1
    if crowded.any():
        notes.append(
            DataNote(
                signal,
                f"{int(counts[crowded].sum())} samples averaged into {int(crowded.sum())} step(s) of {step_seconds:g} s "
                f"(several samples per step), first at {rfc3339(grid.instant(int(np.argmax(crowded))))}",
                location,
            )
        )
    empty = np.ones(counts.size, dtype=bool)
    empty[offsets[(offsets >= 0) & (offsets < counts.size)]] = False
    if empty.any():
        runs = int((empty[1:] & ~empty[:-1]).sum())  # the first and last steps always hold a sample
        notes.append(
            DataNote(
                signal,
                f"{int(empty.sum())} missing step(s) in {runs} gap(s) left as NaN (not filled), "
                f"first at {rfc3339(grid.instant(int(np.argmax(empty))))}",
                location,
            )
        )
    return notes


def _check_timestamps(ts: np.ndarray, location: str) -> None:
    bad = ~np.isfinite(ts)
    if bad.any():
        raise DataError(f"{int(bad.sum())} timestamp(s) are NaN or infinite", location=location)
    if ts.size and np.abs(ts).max() > MAX_TIMESTAMP:
        worst = ts[np.argmax(np.abs(ts))]
        raise DataError(f"timestamp {worst:.17g} is far beyond the year 5000: expected unix seconds, not milliseconds", location=location)


def _resolve_duplicates(ts: np.ndarray, vs: np.ndarray, *, location: str, signal: str) -> tuple[np.ndarray, np.ndarray, DataNote | None]:
    """Keep the last sample of each timestamp (``ts`` sorted); note timestamps whose values differ."""
    if ts.size < 2:
        return ts, vs, None
    same_time = ts[1:] == ts[:-1]
    if not same_time.any():
        return ts, vs, None
    same_value = (vs[1:] == vs[:-1]) | (np.isnan(vs[1:]) & np.isnan(vs[:-1]))
    conflicting = np.unique(ts[1:][same_time & ~same_value])
    keep = np.append(~same_time, True)  # the last sample of each run of equal timestamps
    note = None
    if conflicting.size:
        note = DataNote(
            signal,
            f"{conflicting.size} timestamp(s) with different values; kept the last value of each, first at {rfc3339_unix(conflicting[0])}",
            location,
        )
    return ts[keep], vs[keep], note


def _bin_means(ts: np.ndarray, vs: np.ndarray, step_seconds: float, location: str) -> Grid:
    """Mean of the samples in each step-wide bin, from the first to the last occupied bin; the
    number of samples in each bin; the index of the first bin since the epoch."""
    bins = np.floor(ts / step_seconds).astype(np.int64)
    first, last = int(bins[0]), int(bins[-1])  # ts is sorted
    length = last - first + 1
    if length > MAX_POINTS:
        raise DataError(
            f"the samples span {rfc3339_unix(ts[0])} to {rfc3339_unix(ts[-1])}: {length} points at a step of "
            f"{step_seconds:g} s is more than {MAX_POINTS}; check the timestamps or the step",
            location=location,
        )
    offsets = bins - first
    sums = np.bincount(offsets, weights=vs, minlength=length)
    counts = np.bincount(offsets, minlength=length)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return Grid(first, int(round(step_seconds * 1e9)), means.astype(np.float64), counts)
