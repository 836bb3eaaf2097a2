"""The fleet benchmark's series on disk: written into a history store, read back in pages.

``write_fleet_store`` writes the same seeded series as ``fleet_scale.fleet`` (same generator, same
order) into a ``HistoryStore`` file, a thousand series per transaction, so that writing 50,000
series never holds the fleet in memory. ``numpy_floor`` is the floor the per-series cost is
compared with: a few vectorised numpy passes over the same samples (a daily median, a
least-squares line, a sort for quantiles, the differences), timed in CPU seconds.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.pipeline_speed import seeded_mix
from detector.configuration.schema import Config
from detector.core.series_batches import SeriesBatches
from detector.sources.base import RawSeries
from detector.sources.prometheus_chunks import TimeRange
from detector.store.history import HistoryStore, StoreKey

WRITE_GROUP = 1000
"""Series per write transaction."""


def fleet_config(days: int) -> Config:
    lookback = f"{max(days, 180)}d"
    return Config.model_validate(
        {
            "signals": [
                {"name": "fleet_ratio", "query": "fleet_ratio", "ceiling": 1.0, "lookback": lookback},
                {"name": "fleet_plain", "query": "fleet_plain", "lookback": lookback},
            ]
        }
    )


def write_fleet_store(path: Path, count: int, days: int, end: pd.Timestamp, seed: int) -> None:
    """``count`` series of ``days`` hourly samples into a new store at ``path`` (as ``fleet_scale.fleet``)."""
    rng = np.random.default_rng(seed)
    timestamps = (end - pd.Timedelta(days=days)).timestamp() + 3600.0 * np.arange(days * 24)
    span = TimeRange(int(timestamps[0] * 1000), int(timestamps[-1] * 1000))
    store = HistoryStore(path, retention=10 * 365 * 86400.0)
    groups: dict[str, list[RawSeries]] = {"fleet_ratio": [], "fleet_plain": []}
    with store.open(check=False) as session:
        for block in range(-(-count // 4)):
            for j, (y, ceiling) in enumerate(seeded_mix(rng, 4, days)):
                i = 4 * block + j
                if i >= count:
                    break
                name, values = ("fleet_plain", y) if ceiling is None else ("fleet_ratio", y / ceiling)
                groups[name].append(RawSeries({"series": f"s{i:05d}"}, timestamps, values))
            if sum(map(len, groups.values())) >= WRITE_GROUP or 4 * (block + 1) >= count:
                for name, raws in groups.items():
                    if raws:
                        session.write(StoreKey(name, name, 3_600_000), raws, span)
                groups = {"fleet_ratio": [], "fleet_plain": []}


def numpy_floor(config: Config, source: SeriesBatches, at: pd.Timestamp, size: int = 256) -> tuple[int, float]:
    """(series, CPU seconds) of a few vectorised passes over every series' samples, batch by batch
    (reading is not counted): daily medians, a least-squares line, a sort, the first differences."""
    series, cpu = 0, 0.0
    for signal in config.signals:
        read = source.read(signal.name, at - pd.Timedelta(seconds=signal.lookback), at, size)
        for batch in read.batches:
            matrix = np.vstack([w.values for w in batch])
            t0 = time.process_time()
            days = matrix.shape[1] // 24
            np.nanmedian(matrix[:, : days * 24].reshape(len(batch), days, 24), axis=2)
            x = np.arange(matrix.shape[1], dtype=float)
            np.linalg.lstsq(np.vstack([x, np.ones_like(x)]).T, np.nan_to_num(matrix).T, rcond=None)
            np.sort(matrix, axis=1)
            np.diff(matrix, axis=1)
            cpu += time.process_time() - t0
            series += len(batch)
    return series, cpu
