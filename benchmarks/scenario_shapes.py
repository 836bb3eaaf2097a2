"""Seeded building blocks of the scenario suite: hourly series that reach their ceiling, and ones that don't.

Every generator takes a ``numpy.random.Generator`` and returns a :class:`Scenario`: the values, the
ceiling at every sample (constant, or stepped up by an online resize), and the known incident time
(the first sample at or above the ceiling) and growth onset, or ``None`` for the negative controls.
All series end at :data:`END` and are 240-300 days long; values are in arbitrary units whose scale
is drawn per series (1 to 1e11), the ceiling being that scale.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.signal import lfilter

END = pd.Timestamp("2026-01-05T00:00:00Z")  # a Monday; every series ends here
HOURS = 24
INCIDENT_SHAPES = ("linear", "exponential", "accelerating", "step_then_linear")
QUIET_SHAPES = ("seasonal_spiky", "shift_down", "sawtooth", "mean_reverting_queue", "gaps_and_surges", "warmup_plateau")


@dataclass(frozen=True)
class Scenario:
    """One benchmark series with its ground truth.

    ``ceiling`` holds the limit at every sample (same units as ``values``). ``incident`` is the
    first sample at or above it; ``onset`` the start of the growth that led there (may precede the
    data). Both are ``None`` for a negative control.
    """

    name: str
    shape: str
    index: pd.DatetimeIndex
    values: np.ndarray
    ceiling: np.ndarray
    incident: pd.Timestamp | None
    onset: pd.Timestamp | None
    resized: bool
    noise: float

    @property
    def constant_ceiling(self) -> bool:
        return bool(np.all(self.ceiling == self.ceiling[0]))

    @property
    def start(self) -> pd.Timestamp:
        return self.index[0]


# --- shared texture: seasonality, noise, spikes, resets, gaps -------------------------------------


def _index(rng: np.random.Generator) -> pd.DatetimeIndex:
    days = int(rng.integers(240, 301))
    return pd.date_range(END - pd.Timedelta(days=days), periods=days * HOURS, freq="h")


def _seasonal(rng: np.random.Generator, index: pd.DatetimeIndex) -> np.ndarray:
    """Multiplicative daily cycle (0-25 %) and weekend dip (0-10 %), each present in ~2/3 of series."""
    hour = index.hour.to_numpy() + index.minute.to_numpy() / 60
    daily = rng.uniform(0, 0.25) * (rng.random() < 0.7)
    weekly = rng.uniform(0, 0.10) * (rng.random() < 0.6)
    phase = rng.uniform(0, 24)
    weekend = index.day_of_week.to_numpy() >= 5
    return 1 + daily * np.sin(2 * np.pi * (hour - phase) / 24) - weekly * weekend


def _noise(rng: np.random.Generator, n: int) -> tuple[np.ndarray, float]:
    """Multiplicative AR(1) noise; the level (marginal sd) is low, medium or high."""
    sd = float(rng.choice([rng.uniform(0.003, 0.015), rng.uniform(0.015, 0.05), rng.uniform(0.05, 0.12)]))
    phi = rng.uniform(0, 0.95)
    eps = rng.normal(0, sd * np.sqrt(1 - phi**2), n)
    return lfilter([1.0], [1.0, -phi], eps), sd


def _texture(rng: np.random.Generator, y: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Spikes (kept under 95 % of ``cap``), counter-like resets (to near zero, then rebuilt), scrape gaps."""
    y = y.copy()
    n = len(y)
    if rng.random() < 0.6:
        spikes = rng.random(n) < rng.uniform(0.0005, 0.008)
        y[spikes] = np.minimum(y[spikes] * rng.uniform(1.5, 3.0, spikes.sum()), 0.95 * cap[spikes])
    if rng.random() < 0.3:  # counter-like resets: to near zero, rebuilt in 1-48 h
        for at in rng.integers(0, n - 48, rng.integers(1, 6)):
            hours = int(rng.integers(1, 49))
            y[at : at + hours] *= np.linspace(rng.uniform(0.0, 0.1), 1.0, hours + 1)[:-1]
    if rng.random() < 0.6:  # scrape gaps: hours, sometimes days
        for _ in range(rng.integers(1, 6)):
            at = int(rng.integers(0, n - 1))
            length = int(rng.integers(1, 12)) if rng.random() < 0.8 else int(rng.integers(24, 96))
            y[at : at + length] = np.nan
    return y


# --- incident series ---------------------------------------------------------------------------------


def _progress(shape: str, x: np.ndarray) -> np.ndarray:
    """Growth from 0 at the onset to 1 at the nominal incident, for ``x`` in days-fraction units."""
    x = np.clip(x, 0, None)
    if shape == "accelerating":
        return x**2.5
    return x


def incident_scenario(rng: np.random.Generator, name: str) -> Scenario:
    """A series that grows from a quiet baseline to its ceiling (possibly after one online resize)."""
    shape = str(rng.choice(INCIDENT_SHAPES))
    index = _index(rng)
    n = len(index)
    day = np.arange(n) / HOURS
    total = day[-1]
    nominal = rng.uniform(110, total - 2)  # the trend reaches the ceiling here
    duration = float(np.exp(rng.uniform(np.log(21), np.log(200))))
    onset = nominal - duration  # may be before the first sample
    scale = 10 ** rng.uniform(0, 11)
    resized = rng.random() < 0.25
    final = scale * (rng.uniform(1.3, 2.5) if resized else 1.0)
    base = scale * rng.uniform(0.15, 0.55)
    x = (day - onset) / duration
    if shape == "exponential":
        trend = base * np.exp(np.log(final / base) * np.clip(x, 0, None))
    elif shape == "step_then_linear":
        step = base * rng.uniform(1.2, 1.6)
        trend = np.where(x > 0, step + (final - step) * np.clip(x, 0, None), base)
    else:
        trend = base + (final - base) * _progress(shape, x)
    seasonal = _seasonal(rng, index)
    noise, sd = _noise(rng, n)
    clean = trend * seasonal * (1 + noise)
    ceiling = np.full(n, final)
    if resized:  # the operator grows the volume at ~90 % full
        near = np.flatnonzero(clean >= 0.9 * scale)
        at = int(near[0]) if len(near) else n // 2
        ceiling[:at] = scale
    y = _texture(rng, clean, ceiling)
    hit = np.flatnonzero(np.nan_to_num(y, nan=-np.inf) >= ceiling)
    if not len(hit) or hit[0] < 60 * HOURS:  # keep only incidents inside the data
        return incident_scenario(rng, name)
    first = int(hit[0])
    y[first:] = np.minimum(y[first:], ceiling[first:])  # full stays full
    return Scenario(name, shape, index, y, ceiling, index[first], index[0] + pd.Timedelta(days=onset), bool(resized), sd)


# --- negative controls -------------------------------------------------------------------------------


def _level_stationary(rng: np.random.Generator, day: np.ndarray) -> np.ndarray:
    return np.full(len(day), rng.uniform(0.1, 0.6))


def _level_shift_down(rng: np.random.Generator, day: np.ndarray) -> np.ndarray:
    at = rng.uniform(30, day[-1] - 10)
    high = rng.uniform(0.3, 0.65)
    return np.where(day < at, high, high * rng.uniform(0.4, 0.8))


def _level_sawtooth(rng: np.random.Generator, day: np.ndarray) -> np.ndarray:
    period = float(rng.choice([1, 1, 2, 3, 7]))
    low, high = rng.uniform(0.02, 0.2), rng.uniform(0.4, 0.75)
    phase = rng.uniform(0, period)
    return low + (high - low) * (((day + phase) % period) / period)


def _level_queue(rng: np.random.Generator, day: np.ndarray) -> np.ndarray:
    """Queue depth: mean-reverting (hourly AR(1), phi 0.9-0.99) with bursts that drain over hours."""
    n = len(day)
    phi = rng.uniform(0.9, 0.99)
    arrivals = rng.exponential(1.0, n) * (rng.random(n) < rng.uniform(0.01, 0.05)) * rng.uniform(2, 6)
    depth = lfilter([1.0], [1.0, -phi], arrivals + rng.normal(0, 0.05, n))
    depth = np.maximum(depth, 0.0)
    return rng.uniform(0.05, 0.2) + 0.6 * depth / max(np.percentile(depth, 99.9), 1e-9) * rng.uniform(0.3, 0.8)


def _level_surges(rng: np.random.Generator, day: np.ndarray) -> np.ndarray:
    level = np.full(len(day), rng.uniform(0.1, 0.35))
    for start in rng.uniform(0, day[-1] - 1, rng.integers(1, 5)):
        level[(day >= start) & (day < start + 1)] *= rng.uniform(1.5, 2.5)
    return level


def _level_warmup(rng: np.random.Generator, day: np.ndarray) -> np.ndarray:
    plateau = rng.uniform(0.3, 0.65)
    first = plateau * rng.uniform(0.1, 0.4)
    tau = rng.uniform(1.5, 8)
    return plateau - (plateau - first) * np.exp(-day / tau)


QUIET_LEVELS: dict[str, Callable[[np.random.Generator, np.ndarray], np.ndarray]] = {
    "seasonal_spiky": _level_stationary,
    "shift_down": _level_shift_down,
    "sawtooth": _level_sawtooth,
    "mean_reverting_queue": _level_queue,
    "gaps_and_surges": _level_surges,
    "warmup_plateau": _level_warmup,
}


def quiet_scenario(rng: np.random.Generator, name: str, shape: str | None = None) -> Scenario:
    """A negative control: never reaches (or trends toward) its ceiling."""
    shape = shape or str(rng.choice(QUIET_SHAPES))
    index = _index(rng)
    n = len(index)
    day = np.arange(n) / HOURS
    scale = 10 ** rng.uniform(0, 11)
    seasonal = _seasonal(rng, index) if shape not in ("sawtooth", "mean_reverting_queue") else 1.0
    noise, sd = _noise(rng, n)
    y = scale * QUIET_LEVELS[shape](rng, day) * seasonal * (1 + noise)
    ceiling = np.full(n, scale)
    resized = rng.random() < 0.15
    if resized:  # a harmless resize: more room, same load
        ceiling[int(rng.integers(n // 4, 3 * n // 4)) :] *= rng.uniform(1.3, 2.0)
    if shape == "gaps_and_surges":  # long scrape outages on top of the usual gaps
        for at in rng.integers(0, n - 1, rng.integers(1, 4)):
            y[at : at + int(rng.integers(24, 120))] = np.nan
    y = np.minimum(_texture(rng, y, ceiling), 0.95 * ceiling)
    return Scenario(name, f"quiet:{shape}", index, np.maximum(y, 0.0), ceiling, None, None, bool(resized), sd)


def make_scenarios(seed: int, incidents: int, quiet: int) -> list[Scenario]:
    """``incidents`` series with a known incident and ``quiet`` negative controls, all from one seed.

    Quiet shapes are assigned round-robin so every control is represented in any suite of 6 or more.
    """
    rng = np.random.default_rng(seed)
    out = [incident_scenario(rng, f"inc-{i:04d}") for i in range(incidents)]
    out += [quiet_scenario(rng, f"quiet-{i:04d}", QUIET_SHAPES[i % len(QUIET_SHAPES)]) for i in range(quiet)]
    return out
