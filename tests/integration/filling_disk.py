"""A real Prometheus holding one disk that fills from 50 % to full in ~150 days, hourly up to the
last hour: a breach is forecast. Shared by the serve and credential tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tests.integration.promstack import BackfillSeries, Server, backfill, start_prometheus


def start_filling_disk_prometheus(tsdb_dir: Path, seed: int) -> Server:
    rng = np.random.default_rng(seed)
    end = pd.Timestamp.now(tz="UTC").floor("h") - pd.Timedelta(hours=1)
    stamps = pd.date_range(end=end, periods=120 * 24, freq="h")
    used = 50.0 + 50.0 * np.arange(len(stamps)) / (150 * 24) + rng.normal(0, 0.3, len(stamps))
    seconds = (stamps - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(seconds=1)
    tsdb = backfill([BackfillSeries("disk_used_bytes", {"pvc": "data-0"}, seconds.to_numpy(dtype=float), used)], tsdb_dir)
    return start_prometheus(tsdb)
