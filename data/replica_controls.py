"""Negative controls for the replicas: series that never reach their ceiling but look risky to a
naive 6 h ``predict_linear`` rule (noise, daily/weekly cycles, spikes, steps down, warm-ups, gaps).

Ceilings (in ``config/replicas.yaml``) are listed in ``CEILINGS``; units as in each docstring.
"""

from __future__ import annotations

import numpy as np
from replica_shapes import GIB, Grid, Shape, ar1, daily, lognoise, seconds, spikes, weekly

SHIFT_DOWN = "2025-11-01T00:00:00Z"
CACHE_RESTART = "2025-10-10T04:00:00Z"
REFUNDS_APPEAR = "2025-10-01T09:00:00Z"
CEILINGS = {
    "control_seasonal_latency_seconds": 2.0,
    "control_shift_down_seconds": 2.0,
    "control_log_volume_bytes": 10 * GIB,
    "control_queue_depth": 1000.0,
    "control_gappy_surge_rps": 1000.0,
    "control_cache_warmup_bytes": 4 * GIB,
}


def seasonal_latency(rng: np.random.Generator, g: Grid) -> list[Shape]:
    """Latency (s): 0.2 with daily and weekly cycles and a few hours at ~4x now and then."""
    value = 0.2 * daily(g, 0.2) * weekly(g, 0.15) * lognoise(rng, g, 0.06)
    value *= 1.0 + spikes(rng, g, 0.7, (2, 4), (3.5, 4.5))
    return [Shape("control_seasonal_latency_seconds", {"service": "checkout"}, value)]


def shift_down(rng: np.random.Generator, g: Grid) -> list[Shape]:
    """Latency (s): 0.8, improving to 0.3 at ``SHIFT_DOWN``; daily cycle and noise."""
    level = np.where(g.seconds >= seconds(SHIFT_DOWN), 0.3, 0.8)
    value = level * daily(g, 0.1, 14.0) * lognoise(rng, g, 0.05)
    return [Shape("control_shift_down_seconds", {"service": "search"}, value)]


def log_volume(rng: np.random.Generator, g: Grid) -> list[Shape]:
    """Log buffer (bytes): the day's log grows until rotation at 00:00, where it is compressed to 15 %;
    the weekly rotation (Monday 00:00) deletes the compressed files. Peaks ~5-6 GiB."""
    day = (g.seconds - g.seconds[0]) // 86400
    days = int(day[-1]) + 1
    weekday = ((g.seconds[::24] // 86400 + 3) % 7)[:days]
    volume = 3.2 * GIB * np.where(weekday >= 5, 0.7, 1.0) * np.exp(rng.normal(0.0, 0.08, days))
    profile = daily(g, 0.5, 14.0)[:24]
    done = np.concatenate([[0.0], np.cumsum(profile)[:-1]]) / profile.sum()  # share written before hour h
    kept = np.zeros(days)
    for d in range(1, days):
        kept[d] = 0.0 if weekday[d] == 0 else kept[d - 1] + 0.15 * volume[d - 1]
    value = 0.4 * GIB + kept[day] + volume[day] * done[g.hour]
    value = np.floor(value * (1.0 + rng.normal(0.0, 0.002, g.n)) / 4096) * 4096
    return [Shape("control_log_volume_bytes", {"namespace": "logging", "persistentvolumeclaim": "fluentd-buffer"}, value, digits=0)]


def queue_depth(rng: np.random.Generator, g: Grid) -> list[Shape]:
    """Messages waiting: AR(1) around 200 (orders); a second queue appears at ``REFUNDS_APPEAR``."""
    orders = np.maximum(np.round(200.0 + ar1(rng, g.n, 0.95, 60.0)), 0.0)
    refunds = np.maximum(np.round(40.0 + ar1(rng, g.n, 0.9, 15.0)), 0.0)
    name = "app_queue_depth"
    return [
        Shape("control_queue_depth", {"__name__": name, "queue": "orders"}, orders, digits=0),
        Shape(
            "control_queue_depth", {"__name__": name, "queue": "refunds"}, refunds, digits=0, missing=g.seconds < seconds(REFUNDS_APPEAR)
        ),
    ]


def gappy_surge(rng: np.random.Generator, g: Grid) -> list[Shape]:
    """Requests per second: ~100 with cycles, three one-day surges (up to ~3x), gaps of 6-48 h."""
    value = 100.0 * daily(g, 0.3) * weekly(g, 0.2) * lognoise(rng, g, 0.03)
    days = g.n // 24
    chosen = rng.choice(np.arange(10, days - 10), size=8, replace=False)
    surge_days, gap_days = chosen[:3], chosen[3:]
    bump = np.sin(np.pi * (np.arange(24) + 0.5) / 24.0)
    for day, factor in zip(surge_days, (1.6, 2.0, 3.0), strict=True):
        value[day * 24 : day * 24 + 24] *= 1.0 + (factor - 1.0) * bump
    missing = np.zeros(g.n, dtype=bool)
    for day, hours in zip(gap_days, (6, 12, 20, 30, 48), strict=True):
        first = day * 24 + int(rng.integers(0, 24))
        missing[first : first + hours] = True
    return [Shape("control_gappy_surge_rps", {"service": "api"}, value, missing=missing)]


def cache_warmup(rng: np.random.Generator, g: Grid) -> list[Shape]:
    """Cache size (bytes): warms from 0.2 GiB to a 3 GiB plateau in ~10 days; again after a restart."""
    restart = seconds(CACHE_RESTART)
    age = np.where(g.seconds < restart, g.seconds - g.seconds[0], g.seconds - restart) / 86400.0
    value = GIB * (3.0 - 2.8 * np.exp(-age / 2.5)) * lognoise(rng, g, 0.005)
    return [
        Shape(
            "control_cache_warmup_bytes",
            {"pod": "cache-0"},
            np.floor(value / 4096) * 4096,
            digits=0,
            missing=g.seconds == restart,  # the restarting pod was not scraped that hour
        )
    ]
