"""Per-series pipeline cost on 240 days of hourly data (issue target: median <= 5 ms).

Run: python -m benchmarks.pipeline_speed [--series 200] [--days 240]
Prints the median, 90th percentile and mean wall time of ``SeriesAnalyzer.fit`` over a seeded mix
of quiet, seasonal, spiky, trending and filling series, one process, one thread.
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
import pandas as pd

from models.pipeline import SeriesAnalyzer

SEED = 20261121


def seeded_mix(rng: np.random.Generator, count: int, days: int) -> list[tuple[np.ndarray, float | None]]:
    n = days * 24
    t = np.arange(n)
    out = []
    for i in range(count):
        level: float | np.ndarray = rng.uniform(1, 1000)   # becomes a curve for the growing kinds
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--series", type=int, default=200)
    parser.add_argument("--days", type=int, default=240)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(SEED)
    series = seeded_mix(rng, args.series, args.days)
    start = pd.Timestamp("2025-06-01", tz="UTC").timestamp()
    for y, ceiling in series[:5]:   # warm-up: imports, caches
        SeriesAnalyzer().fit(y, start, 3600.0, ceiling=ceiling)
    times = []
    for y, ceiling in series:
        t0 = time.perf_counter()
        SeriesAnalyzer().fit(y, start, 3600.0, ceiling=ceiling)
        times.append((time.perf_counter() - t0) * 1000)
    ms = np.array(times)
    print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}, numpy {np.__version__}")
    print(f"per-series pipeline, {args.days} days hourly ({args.days * 24} points), {len(ms)} series, 1 process:")
    print(f"  median {np.median(ms):.2f} ms   p90 {np.percentile(ms, 90):.2f} ms   mean {ms.mean():.2f} ms   "
          f"=> {1000 / ms.mean():.0f} series/s per core")


if __name__ == "__main__":
    main()
