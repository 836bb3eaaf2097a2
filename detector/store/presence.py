"""Whether the history store holds samples of a signal in a window, without reading the series.

The streamed live path asks it after a pull (``sources.prometheus_store_pull``): a signal whose
window holds no stored sample is absent (or too young), as ``fetch`` would find after reading the
whole window back. Read-only, on its own connection in SQLite's read-only mode.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from detector.configuration.schema import Signal
from detector.errors import StoreError
from detector.store.history import StoreKey
from detector.store.integrity import decoded
from detector.store.schema import guard


def series_with_samples(path: Path, signal: Signal, start_ms: int, end_ms: int, enough: int | None = None) -> int:
    """How many stored series of ``signal`` have a sample in ``[start_ms, end_ms]`` (counting stops at ``enough``)."""
    if not path.is_file():
        raise StoreError("history store not found", location=str(path))
    key = StoreKey(signal.name, signal.query or "", round(signal.step * 1000))
    found: set[int] = set()
    with guard(path, "open"):
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        with guard(path, "read"):
            rows = connection.execute(
                "SELECT b.series_id, b.ts, b.vals, b.first_ms, b.last_ms FROM blocks b JOIN series s ON s.id = b.series_id"
                " JOIN signals g ON g.id = s.signal_id WHERE g.name = ? AND g.query = ? AND g.step_ms = ?"
                " AND b.last_ms >= ? AND b.first_ms <= ?",
                (key.signal, key.query, key.step_ms, start_ms, end_ms),
            )
            for series_id, ts_blob, vals_blob, first_ms, last_ms in rows:
                if int(series_id) in found:
                    continue
                ts, _ = decoded(path, ts_blob, vals_blob, first_ms, last_ms)
                if np.any((ts >= start_ms) & (ts <= end_ms)):
                    found.add(int(series_id))
                    if enough is not None and len(found) >= enough:
                        break
    finally:
        connection.close()
    return len(found)
