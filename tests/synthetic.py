"""Seeded synthetic series shared by the tests: quiet ones (no risk) and risky ones."""

from __future__ import annotations

import numpy as np
import pandas as pd

START = pd.Timestamp("2025-01-06T00:00:00Z")  # a Monday


def hourly_index(days: int, start: pd.Timestamp = START) -> pd.DatetimeIndex:
    return pd.date_range(start, periods=days * 24, freq="h", tz="UTC")


def quiet_series(rng: np.random.Generator, days: int) -> np.ndarray:
    """Stationary level with a random mix of daily/weekly cycles, AR(1) noise, spikes and gaps."""
    n = days * 24
    t = np.arange(n)
    level = rng.uniform(10, 1000)
    daily = rng.uniform(0, 0.3) * np.sin(2 * np.pi * (t % 24) / 24 + rng.uniform(0, 6))
    weekly = rng.uniform(0, 0.15) * (((t // 24) % 7) >= 5)
    phi = rng.uniform(0, 0.97)
    sd = rng.uniform(0.02, 0.15)
    eps = rng.normal(0, sd * np.sqrt(1 - phi**2), n)
    noise = np.empty(n)
    noise[0] = rng.normal(0, sd)
    for i in range(1, n):
        noise[i] = phi * noise[i - 1] + eps[i]
    y = level * (1 + daily - weekly + noise)
    spikes = rng.random(n) < rng.uniform(0, 0.01)
    y[spikes] *= rng.uniform(2, 5, spikes.sum())
    for _ in range(rng.integers(0, 4)):
        gap = rng.integers(0, n - 48)
        y[gap : gap + rng.integers(2, 48)] = np.nan
    return np.maximum(y, 0.0)


def fill_series(
    rng: np.random.Generator, days: int, full_at_day: float, start_fraction: float = 0.5, capacity: float = 100.0
) -> np.ndarray:
    """A disk filling linearly from ``start_fraction`` of ``capacity`` to full at ``full_at_day``."""
    t = np.arange(days * 24) / 24.0
    used = capacity * (start_fraction + (1 - start_fraction) * t / full_at_day)
    used += rng.normal(0, capacity * 0.005, len(t))
    return np.minimum(used, capacity)
