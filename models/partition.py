"""Optimal partitioning of a series into straight-line segments, on prefix sums.

Each segment is an ordinary least-squares line whose cost is its residual sum of squares; all
costs come from six prefix sums in O(1). The programme is exact for up to ``FINE_POINTS``
samples (120 days of daily levels). A longer series is first partitioned optimally with
changepoints restricted to every k-th sample (k = ceil(n / 120)), then each changepoint moves to
its best sample within k: the programme's cost stays that of 120 points, so the whole search
grows linearly with the series' length.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

FINE_POINTS = 120  # longer series search changepoints on a coarser grid first, then refine
_BLOCK = 24  # most end points per vectorised step


def optimal_partition(prefix: np.ndarray, n: int, min_size: int, min_last: int, beta: float) -> list[int]:
    """Changepoints (segment starts after 0) minimising total cost + ``beta`` per segment, every
    segment at least ``min_size`` long except the last, which may be ``min_last`` (<= min_size)."""
    stride = max(1, -(-n // FINE_POINTS))
    grid = np.append(np.arange(0, n, stride), n)
    best, last = optimal_partition_grid(prefix, grid, min_size, beta)
    if min_last < min_size:
        # the last segment may be shorter: the optimum before every start is known, so only
        # the final step of the programme changes
        starts = np.flatnonzero(grid <= n - min_last)
        candidates = best[starts] + segment_cost(prefix, grid[starts], n) + beta
        last[-1] = int(starts[np.argmin(candidates)])
    breaks = [int(grid[i]) for i in _backtrack(last, len(grid) - 1)]
    return _refine(prefix, breaks, n, min_size, min_last, stride) if stride > 1 else breaks


def prefix_sums(y: np.ndarray, finite: np.ndarray) -> np.ndarray:
    """Rows: count, x, x^2, y, x*y, y^2 cumulated, with a leading zero column (shape 6 x n+1)."""
    x = np.arange(len(y), dtype=float) - len(y) / 2.0
    w = finite.astype(float)
    stacked = np.vstack([w, w * x, w * x * x, y, x * y, y * y])
    out = np.zeros((6, len(y) + 1))
    np.cumsum(stacked, axis=1, out=out[:, 1:])
    return out


def segment_cost(prefix: np.ndarray, starts: np.ndarray, end: int) -> np.ndarray:
    """Residual sum of squares of a least-squares line on [s, end) for every s in ``starts``."""
    d = prefix[:, end][:, None] - prefix[:, starts]
    return rss(d)


def rss(d: np.ndarray) -> np.ndarray:
    """Residual sum of squares of each line from its 6 differenced prefix sums (``d`` is
    consumed: it is a temporary, and working in place keeps this the cheap part)."""
    n, sx, sxx, sy, sxy, syy = d
    safe_n = np.maximum(n, 1.0)  # a count: 0 or at least 1
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.multiply(sx, sx)
        t /= safe_n
        np.subtract(sxx, t, out=sxx)  # cxx
        np.multiply(sx, sy, out=t)
        t /= safe_n
        np.subtract(sxy, t, out=sxy)  # cxy
        np.multiply(sy, sy, out=t)
        t /= safe_n
        np.subtract(syy, t, out=syy)  # cyy
        flat = sxx <= 1e-9
        np.multiply(sxy, sxy, out=t)
        sxx[flat] = 1.0
        t /= sxx
        t[flat] = 0.0
        np.subtract(syy, t, out=syy)  # rss
    np.maximum(syy, 0.0, out=syy)
    syy[n <= 2] = 0.0
    return syy


def optimal_partition_grid(prefix: np.ndarray, grid: np.ndarray, min_size: int, beta: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact dynamic programme over segment boundaries restricted to ``grid`` (sorted sample
    indices from 0 to n, at most ``FINE_POINTS + 1`` of them; every index of a short series
    gives the unrestricted optimum), a block of end points at a time.

    A segment ending at ``end`` starts at ``end - min_size`` or earlier, so the optimal costs of
    end points less than ``min_size`` apart depend only on end points before them: each such block
    is one vectorised step over the precomputed segment costs.
    Returns, per grid point, the optimal cost up to it and the grid index where its last segment starts.
    """
    size = len(grid)
    best = np.full(size, np.inf)
    best[0] = -beta
    last = np.zeros(size, dtype=int)
    sub = prefix[:, grid]
    # the grid has at most FINE_POINTS + 1 boundaries: the cost of every segment long enough in one
    # call (< 1 MiB); the others (too short, or reversed: more than half the square) stay infinite
    # [end, start] flattened, end, start: the pairs far enough apart (cached per grid)
    flat, ends, starts = _long_enough(np.asarray(grid, dtype=np.int64).tobytes(), min_size)
    differences = np.take(sub, ends, axis=1)
    differences -= np.take(sub, starts, axis=1)
    long_enough = rss(differences)
    long_enough += beta
    costs: np.ndarray = np.full(size * size, np.inf)  # flat, then [end, start]
    costs[flat] = long_enough
    costs = costs.reshape(size, size)  # [end, start]
    reach = np.searchsorted(grid, grid + min_size).tolist()  # first end a block may not share
    width_of = np.searchsorted(grid, grid - min_size, side="right").tolist()
    rows = np.arange(_BLOCK)
    index = reach[0]
    while index < size:
        stop = min(reach[index], index + _BLOCK, size)
        width = width_of[stop - 1]
        candidates = costs[index:stop, :width] + best[:width]
        choice = candidates.argmin(axis=1)
        best[index:stop] = candidates[rows[: stop - index], choice]
        last[index:stop] = choice
        index = stop
    return best, last


@lru_cache(maxsize=64)
def _long_enough(grid_bytes: bytes, min_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The (end, start) pairs of a grid (given as its int64 bytes) at least ``min_size`` samples
    apart: flat indices into the square, and the end and start grid indices (read-only, shared:
    series of one length share one grid)."""
    grid = np.frombuffer(grid_bytes, dtype=np.int64)
    flat = np.flatnonzero(grid[None, :] <= grid[:, None] - min_size)
    ends, starts = np.divmod(flat, len(grid))
    for array in (flat, ends, starts):
        array.flags.writeable = False
    return flat, ends, starts


def _refine(prefix: np.ndarray, breaks: list[int], n: int, min_size: int, min_last: int, stride: int) -> list[int]:
    """Move each changepoint found on the coarse grid to the exact sample (within ``stride``)
    that minimises the cost of its two segments, keeping every segment long enough."""
    bounds = [0, *breaks, n]
    for i in range(1, len(bounds) - 1):
        shortest_after = min_last if i == len(bounds) - 2 else min_size
        lo = max(bounds[i] - stride + 1, bounds[i - 1] + min_size)
        hi = min(bounds[i] + stride - 1, bounds[i + 1] - shortest_after)
        if hi <= lo:
            continue
        options = np.arange(lo, hi + 1)
        at = prefix[:, options]
        # the segments before and after each option, costed in one call
        both = rss(np.concatenate((at - prefix[:, [bounds[i - 1]]], prefix[:, [bounds[i + 1]]] - at), axis=1))
        bounds[i] = int(options[np.argmin(both[: len(options)] + both[len(options) :])])
    return bounds[1:-1]


def _backtrack(last: np.ndarray, n: int) -> list[int]:
    breaks = []
    end = n
    while end > 0:
        start = int(last[end])
        if start > 0:
            breaks.append(start)
        end = start
    return sorted(breaks)
