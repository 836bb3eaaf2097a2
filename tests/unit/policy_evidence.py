"""A real analysis of a seeded rising series, and ways to move one piece of its evidence (for gate tests)."""

from __future__ import annotations

from dataclasses import replace
from functools import cache

import numpy as np

from detector.config import Signal
from detector.policy.gates import Gate, Verdict
from detector.policy.judge import Decision, judge
from detector.policy.thresholds import DEFAULT_POLICY, DetectionPolicy
from models.analysis import SeriesAnalysis
from models.evidence import HeldEvidence, TrendEvidence
from models.pipeline import SeriesAnalyzer

START = 1.7e9
CEILING = 300.0


@cache
def rising() -> SeriesAnalysis:
    """120 days hourly, 100 + 0.5/day with noise sd 2, ceiling 300 (a long, clean, significant rise)."""
    rng = np.random.default_rng(20261129)
    n = 120 * 24
    values = 100 + 0.5 * np.arange(n) / 24 + rng.normal(0, 2, n)
    return SeriesAnalyzer().fit(values, START, 3600.0, ceiling=CEILING).analysis_


def signal(**settings: object) -> Signal:
    return Signal.model_validate({"name": "used", "ceiling": CEILING, **settings})


def verdict(a: SeriesAnalysis, sig: Signal | None = None, policy: DetectionPolicy = DEFAULT_POLICY) -> tuple[list[Decision], Verdict]:
    return judge(sig or signal(), policy, a)


def kinds(a: SeriesAnalysis, sig: Signal | None = None, policy: DetectionPolicy = DEFAULT_POLICY) -> dict[str, str]:
    """kind -> severity of the decisions on ``a``."""
    return {d.kind: d.severity for d in verdict(a, sig, policy)[0]}


def the_gate(a: SeriesAnalysis, name: str, sig: Signal | None = None, policy: DetectionPolicy = DEFAULT_POLICY) -> Gate:
    (found,) = [g for g in verdict(a, sig, policy)[1].gates if g.name == name]
    return found


def with_slope_t(a: SeriesAnalysis, t: float) -> SeriesAnalysis:
    """The same analysis with a slope whose t-value is ``t`` (the standard error kept)."""
    return replace(a, trend=TrendEvidence(t * a.trend.se, a.trend.se, a.trend.n_effective))


def with_held(a: SeriesAnalysis, **fields: float) -> SeriesAnalysis:
    return replace(a, held=replace(a.held, **fields))


def quiet_held(a: SeriesAnalysis) -> SeriesAnalysis:
    """No saturation and no shift evidence."""
    nan = float("nan")
    return replace(a, held=HeldEvidence(a.held.saturation_level, a.held.short_sigma, nan, nan, nan))
