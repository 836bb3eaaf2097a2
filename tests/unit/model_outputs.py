"""Seeded inputs for the models and their outputs flattened to plain numbers, for the pinned-output test.

``tests/unit/fixtures/model_outputs.json`` holds what the models computed on these inputs before the
speed work; ``test_model_outputs_pinned.py`` recomputes and compares. After a deliberate change of a
model's numbers, regenerate with ``python3 -m tests.unit.model_outputs --write`` and say why in the commit.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from models.changepoints import PiecewiseLinearSegmenter
from models.pipeline import SeriesAnalyzer
from models.seasonality import SeasonalProfile
from models.trend import RobustTrend

FIXTURE = Path(__file__).parent / "fixtures" / "model_outputs.json"
SEED = 20261130
START = 1_736_121_600.0  # 2025-01-06T00:00:00Z, a Monday
HOUR = 3600.0
LONG_ARRAY = 24  # longer arrays are pinned by sums and their ends


def _ar1(rng: np.random.Generator, n: int, phi: float, sd: float) -> np.ndarray:
    eps = rng.normal(0.0, sd, n)
    out = np.empty(n)
    out[0] = eps[0]
    for i in range(1, n):
        out[i] = phi * out[i - 1] + eps[i]
    return out


def _hours(days: int) -> np.ndarray:
    return np.arange(days * 24, dtype=float)


def analyzer_cases() -> list[tuple[str, dict[str, Any]]]:
    """(name, keyword arguments of ``SeriesAnalyzer.fit``) for a seeded mix of shapes."""
    rng = np.random.default_rng(SEED)
    cases: list[tuple[str, dict[str, Any]]] = []
    t = _hours(180)
    daily = 1 + 0.25 * np.sin(2 * np.pi * t / 24)
    weekend = 1 - 0.15 * (((t // 24) % 7) >= 5)
    quiet = 200 * daily * weekend * np.exp(rng.normal(0, 0.05, t.size))
    cases.append(("quiet_daily_weekly_cycle", {"values": quiet, "ceiling": 400.0}))
    growth = 50 * np.exp(np.maximum(t / 24 - 90, 0) * np.log(2) / 30) * daily * np.exp(rng.normal(0, 0.04, t.size))
    cases.append(("exponential_growth_after_day_90", {"values": growth, "ceiling": 2000.0}))
    linear = 40 + 0.3 * t / 24 + rng.normal(0, 1.5, t.size)
    linear[rng.random(t.size) < 0.01] *= 3
    cases.append(("linear_growth_with_spikes", {"values": linear, "ceiling": 120.0}))
    step = 100 + 60 * (t / 24 >= 120) + 0.4 * np.maximum(t / 24 - 120, 0) + _ar1(rng, t.size, 0.9, 1.0)
    step[1000:1030] = np.nan
    step[2500:2503] = np.nan
    cases.append(("step_then_ramp_with_gaps", {"values": step, "ceiling": 250.0}))
    walk = 500 + np.cumsum(rng.normal(0, 0.8, t.size))
    cases.append(("random_walk_no_ceiling", {"values": walk}))
    free = 80 - 0.2 * t / 24 + rng.normal(0, 0.6, t.size)
    cases.append(("falling_free_space_direction_down", {"values": free, "ceiling": 10.0, "direction": "down"}))
    p99 = np.minimum(2 * np.exp(t / 24 / 40) * np.exp(rng.normal(0, 0.1, t.size)), 25.0)
    cases.append(("latency_censored_at_the_top_bucket", {"values": p99, "ceiling": 30.0, "censor_at": 25.0}))
    t90 = _hours(90)
    short = 10 + 0.05 * t90 / 24 + rng.normal(0, 0.3, t90.size)
    cases.append(("short_history_90_days_exact_partition", {"values": short, "ceiling": 20.0}))
    jump = 30 + rng.normal(0, 1.0, t.size)
    jump[-20:] += 45
    cases.append(("sudden_jump_in_the_last_day", {"values": jump, "ceiling": 100.0}))
    t6 = np.arange(300 * 4, dtype=float)
    six = 1000 * (1 + 0.002 * t6 / 4) * np.exp(rng.normal(0, 0.03, t6.size))
    cases.append(("six_hour_steps_300_days", {"values": six, "step": 6 * HOUR, "ceiling": 2500.0}))
    t5 = np.arange(30 * 288, dtype=float)
    five = 5 + 0.02 * t5 / 288 + 0.5 * np.sin(2 * np.pi * t5 / 288) + rng.normal(0, 0.2, t5.size)
    cases.append(("five_minute_steps_30_days", {"values": five, "step": 300.0, "ceiling": 8.0, "start": START + 7 * HOUR}))
    plateau = 100 * (1 + 0.9 * (1 - np.exp(-t / 24 / 20))) + rng.normal(0, 1.0, t.size)
    cases.append(("warm_up_plateau", {"values": plateau, "ceiling": 220.0, "now": START + 181 * 86400.0}))
    return cases


def estimator_cases() -> dict[str, Callable[[], dict[str, Any]]]:
    """Direct fits of the single models, including paths the pipeline cases may not reach."""
    rng = np.random.default_rng(SEED + 1)
    x = np.arange(700, dtype=float)
    y = 3.0 + 0.01 * x + rng.standard_t(3, x.size)
    y[::37] = np.nan
    odd_x = np.arange(61, dtype=float)
    odd_y = 1.0 - 0.2 * odd_x + rng.normal(0, 2.0, odd_x.size)
    t = _hours(60)
    cycle = 10 + 2 * np.sin(2 * np.pi * t / 24) + 1.0 * (((t // 24) % 7) >= 5) + rng.normal(0, 0.3, t.size)
    pieces = np.concatenate(
        [rng.normal(0, 1, 50), 8 + rng.normal(0, 1, 40), 8 + 0.5 * np.arange(60) + rng.normal(0, 1, 60), rng.normal(30, 1, 250)]
    )
    return {
        "robust_trend_700_points_thinned_with_gaps": lambda: _fitted(RobustTrend(0.8).fit(x, y)),
        "robust_trend_61_points_falling": lambda: _fitted(RobustTrend(0.9, 0.5).fit(odd_x, odd_y)),
        "seasonal_profile_additive_daily_weekly": lambda: _fitted(SeasonalProfile().fit(cycle, START, HOUR)),
        "seasonal_profile_multiplicative": lambda: _fitted(SeasonalProfile().fit(np.exp(cycle / 5), START + 5 * HOUR, HOUR)),
        "segmenter_400_points_coarse_grid": lambda: _fitted(PiecewiseLinearSegmenter(min_size=14, min_last_size=7).fit(pieces)),
        "segmenter_150_points_exact": lambda: _fitted(PiecewiseLinearSegmenter(min_size=10).fit(pieces[:150])),
    }


def _fitted(estimator: Any) -> dict[str, Any]:
    learned = sorted((name, value) for name, value in vars(estimator).items() if name.endswith("_") and not name.startswith("_"))
    return {name: flatten(value) for name, value in learned}


def flatten(value: Any) -> Any:
    """Plain JSON values: dataclasses as dicts, arrays and tuples as lists, numpy scalars as Python ones."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: flatten(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, np.ndarray):
        return _array_summary(value) if value.size > LONG_ARRAY else [flatten(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [flatten(v) for v in value]
    if isinstance(value, dict):
        return {str(k): flatten(v) for k, v in value.items()}
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return float(value)
    return value


def _array_summary(values: np.ndarray) -> dict[str, Any]:
    """A long array as position-sensitive sums and its ends (keeps the fixture small)."""
    v = values.astype(float)
    finite = np.isfinite(v)
    index = np.arange(v.size, dtype=float)
    return {
        "size": int(v.size),
        "finite": int(finite.sum()),
        "sum": float(v[finite].sum()),
        "index_weighted_sum": float((index[finite] * v[finite]).sum()),
        "sum_of_squares": float((v[finite] ** 2).sum()),
        "head": [float(x) for x in v[:4]],
        "tail": [float(x) for x in v[-4:]],
    }


def analyze(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The flattened ``SeriesAnalysis`` of one case."""
    args = dict(kwargs)
    values, start, step = args.pop("values"), args.pop("start", START), args.pop("step", HOUR)
    return flatten(SeriesAnalyzer().fit(values, start, step, **args).analysis_)


def current_outputs() -> dict[str, Any]:
    return {
        "analyses": {name: analyze(kwargs) for name, kwargs in analyzer_cases()},
        "estimators": {name: fit() for name, fit in estimator_cases().items()},
    }


def differences(expected: Any, actual: Any, path: str = "", rel: float = 1e-9, abs_: float = 1e-12) -> list[str]:
    """Where two flattened outputs differ (floats within ``rel``/``abs_``; NaN equals NaN)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        if expected.keys() != actual.keys():
            return [f"{path}: keys {sorted(expected)} != {sorted(actual)}"]
        return [d for k in expected for d in differences(expected[k], actual[k], f"{path}.{k}", rel, abs_)]
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{path}: length {len(expected)} != {len(actual)}"]
        return [d for i, (e, a) in enumerate(zip(expected, actual, strict=True)) for d in differences(e, a, f"{path}[{i}]", rel, abs_)]
    if isinstance(expected, float) or isinstance(actual, float):
        if not isinstance(actual, (int, float)) or isinstance(actual, bool) or isinstance(expected, bool):
            return [f"{path}: {expected!r} != {actual!r}"]
        if math.isnan(expected) and math.isnan(actual):
            return []
        if math.isclose(expected, actual, rel_tol=rel, abs_tol=abs_):
            return []
        return [f"{path}: {expected!r} != {actual!r}"]
    return [] if expected == actual and type(expected) is type(actual) else [f"{path}: {expected!r} != {actual!r}"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help=f"write {FIXTURE.name}")
    args = parser.parse_args(argv)
    outputs = current_outputs()
    if args.write:
        FIXTURE.parent.mkdir(exist_ok=True)
        FIXTURE.write_text(json.dumps(outputs, indent=0, sort_keys=True) + "\n")
        print(f"wrote {FIXTURE}")
    else:
        print(json.dumps(outputs, indent=1, sort_keys=True)[:2000])


if __name__ == "__main__":
    main()
