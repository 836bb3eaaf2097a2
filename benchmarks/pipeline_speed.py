"""Per-series pipeline cost on 240 days of hourly data (issue target: median <= 5 ms), next to a floor.

Run: python -m benchmarks.pipeline_speed [--series 200] [--days 240] [--repeat 3]
Prints the median, 90th percentile and mean wall time of ``SeriesAnalyzer.fit`` over a seeded mix
of quiet, seasonal, spiky, trending and filling series, one process, one thread; each series is
timed ``--repeat`` times and its best time kept (a loaded machine adds noise, never speed). The
floor is a few vectorised numpy passes over the same samples (``numpy_floor``): what any model
that reads every sample a handful of times costs; the ratio says how far the pipeline is above it.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from functools import partial

import numpy as np
import pandas as pd

from models.pipeline import SeriesAnalyzer

SEED = 20261121


def seeded_mix(rng: np.random.Generator, count: int, days: int) -> list[tuple[np.ndarray, float | None]]:
    n = days * 24
    t = np.arange(n)
    out = []
    for i in range(count):
        level: float | np.ndarray = rng.uniform(1, 1000)  # becomes a curve for the growing kinds
        season = 1 + rng.uniform(0, 0.3) * np.sin(2 * np.pi * t / 24)
        noise = np.exp(rng.normal(0, rng.uniform(0.02, 0.2), n))
        kind = i % 4
        if kind == 1:
            level = level * np.exp(np.maximum(t / 24 - days / 3, 0) * np.log(2) / 40)
        elif kind == 2:
            level = level * (0.5 + 0.5 * t / n)
        y = level * season * noise
        spikes = rng.random(n) < 0.005
        y[spikes] *= 4
        ceiling = float(np.max(y) * 1.3) if kind != 3 else None
        out.append((y, ceiling))
    return out


def numpy_floor(values: np.ndarray, per_day: int) -> float:
    """A few vectorised passes over the samples: finite mask, running sum, day-by-day sort, differences."""
    finite = np.isfinite(values)
    running = np.cumsum(np.where(finite, values, 0.0))
    whole = len(values) // per_day * per_day
    days = np.sort(values[:whole].reshape(-1, per_day), axis=1)
    steps = np.diff(values)
    return float(running[-1] + days[:, per_day // 2].sum() + steps[finite[1:]].sum())


def fit_new_analyzer(y: np.ndarray, start: float, ceiling: float | None) -> SeriesAnalyzer:
    """One timed run: a new analyzer fitted to hourly ``y`` (nothing carried over between runs)."""
    return SeriesAnalyzer().fit(y, start, 3600.0, ceiling=ceiling)


def best_times_ms(run: Callable[[], object], repeat: int) -> float:
    """The best of ``repeat`` wall times of ``run()``, in milliseconds."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - t0)
    return best * 1000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--series", type=int, default=200)
    parser.add_argument("--days", type=int, default=240)
    parser.add_argument("--repeat", type=int, default=3, help="time each series this many times, keep the best")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(SEED)
    series = seeded_mix(rng, args.series, args.days)
    start = pd.Timestamp("2025-06-01", tz="UTC").timestamp()
    for y, ceiling in series[:5]:  # warm-up: imports, caches
        SeriesAnalyzer().fit(y, start, 3600.0, ceiling=ceiling)
    cpu0 = time.process_time()
    ms = np.array([best_times_ms(partial(fit_new_analyzer, y, start, ceiling), args.repeat) for y, ceiling in series])
    cpu1 = time.process_time()
    floor = np.array([best_times_ms(partial(numpy_floor, y, 24), args.repeat) for y, _ in series])
    cpu2 = time.process_time()
    runs = len(series) * args.repeat
    cpu_ms, floor_cpu_ms = (cpu1 - cpu0) / runs * 1000, (cpu2 - cpu1) / runs * 1000
    print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}, numpy {np.__version__}")
    print(f"per-series pipeline, {args.days} days hourly ({args.days * 24} points), {len(ms)} series, 1 process:")
    print(
        f"  median {np.median(ms):.2f} ms   p90 {np.percentile(ms, 90):.2f} ms   mean {ms.mean():.2f} ms   "
        f"=> {1000 / ms.mean():.0f} series/s per core"
    )
    print(f"  floor (a few numpy passes over the same samples): median {np.median(floor):.3f} ms   mean {floor.mean():.3f} ms")
    print(
        f"  CPU time per series (all repeats): pipeline {cpu_ms:.2f} ms, floor {floor_cpu_ms:.3f} ms "
        f"(less disturbed by other jobs than wall time); load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"  ratio pipeline / floor: {ms.mean() / floor.mean():.1f}x (means), "
        f"{np.median(ms) / np.median(floor):.1f}x (medians); "
        f"best of {args.repeat} per series"
    )


if __name__ == "__main__":
    main()
