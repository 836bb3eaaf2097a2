"""The evaluation turns model output into the findings a person acts on."""

import numpy as np
import pandas as pd
import pytest

from detector.configuration.schema import Config
from detector.core.series import SeriesSet
from detector.engine.evaluate import evaluate
from tests.synthetic import START, fill_series, hourly_index, quiet_series

SEED = 99


def run(signals, series_by_signal, at_day, days):
    index = hourly_index(days)
    data = SeriesSet(
        series={name: {labels: pd.Series(v, index=index) for labels, v in by.items()} for name, by in series_by_signal.items()}
    )
    at = index[0] + pd.Timedelta(days=at_day)
    return evaluate(Config.model_validate({"signals": signals}), data, at)


def creeping_p99(rng, days, onset_day=40, doubling_days=30, top_bucket=25.0):
    t = np.arange(days * 24)
    level = 0.3 * np.exp(np.log(2) / doubling_days * np.maximum(t / 24 - onset_day, 0))
    y = level * (1 + 0.25 * np.sin(2 * np.pi * t / 24)) * np.exp(rng.normal(0, 0.1, len(t)))
    return np.minimum(y, top_bucket)


def test_a_filling_disk_is_a_warning_weeks_ahead_and_critical_near_the_end():
    rng = np.random.default_rng(SEED)
    used = fill_series(rng, 200, full_at_day=180)
    signals = [{"name": "disk_used_bytes", "ceiling": 100.0, "horizon": "60d", "severity": {"critical_within": "7d"}}]
    early = run(signals, {"disk_used_bytes": {(): used}}, at_day=140, days=200)
    late = run(signals, {"disk_used_bytes": {(): used}}, at_day=176, days=200)
    (warning,) = early.at_least("warning")
    assert warning.kind == "breach_forecast" and warning.severity == "warning"
    first_full = hourly_index(200)[np.argmax(used >= 100.0)]  # the first sample at capacity
    assert warning.eta_lower - pd.Timedelta(days=2) <= first_full <= warning.eta_upper + pd.Timedelta(days=2)
    assert late.at_least("critical")[0].kind == "breach_forecast"


def test_a_creeping_p99_is_dated_from_its_onset_and_reported_as_growth():
    rng = np.random.default_rng(SEED)
    p99 = creeping_p99(rng, 200)
    evaluation = run([{"name": "webhook_p99_seconds", "ceiling": 30, "censor_at": 25}], {"webhook_p99_seconds": {(): p99}}, 150, 200)
    (finding,) = evaluation.at_least("warning")
    assert abs((finding.onset - pd.Timestamp("2025-02-15", tz="UTC")).days) <= 10
    assert finding.magnitude > 5
    assert "since 2025-02" in finding.summary


def test_a_p99_pinned_at_the_top_bucket_is_critical_and_said_to_be_at_least_that():
    rng = np.random.default_rng(SEED)
    p99 = creeping_p99(rng, 240, onset_day=20, doubling_days=25)
    evaluation = run([{"name": "webhook_p99_seconds", "ceiling": 30, "censor_at": 25}], {"webhook_p99_seconds": {(): p99}}, 239, 240)
    assert p99[-24:].min() == 25.0
    (finding,) = evaluation.at_least("critical")
    assert finding.censored and "at least 25 s" in finding.summary


def test_quiet_series_raise_nothing_above_info():
    rng = np.random.default_rng(SEED)
    series = {(("i", str(i)),): quiet_series(rng, 200) for i in range(20)}
    evaluation = run([{"name": "queue_depth", "ceiling": 1e9}], {"queue_depth": series}, 199, 200)
    assert evaluation.series_evaluated == 20
    assert evaluation.at_least("warning") == []


def test_an_improvement_is_not_a_risk_and_a_falling_signal_with_direction_down_is():
    rng = np.random.default_rng(SEED)
    falling = 100 - fill_series(rng, 200, full_at_day=190, start_fraction=0.2) + 1.0  # free space heading to 0
    signals = [{"name": "free_bytes", "ceiling": 0.0, "direction": "down"}, {"name": "latency_seconds", "ceiling": 1e6}]
    evaluation = run(signals, {"free_bytes": {(): falling}, "latency_seconds": {(): falling}}, 150, 200)
    kinds = {(f.key.signal, f.severity) for f in evaluation.findings}
    assert ("free_bytes", "warning") in kinds
    assert not [f for f in evaluation.findings if f.key.signal == "latency_seconds" and f.rank >= 1]


def test_a_context_signal_is_capped_at_info():
    rng = np.random.default_rng(SEED)
    used = fill_series(rng, 200, full_at_day=170)
    signals = [{"name": "objects", "ceiling": 100.0, "severity": {"max_severity": "info"}}]
    evaluation = run(signals, {"objects": {(): used}}, 165, 200)
    assert evaluation.findings and all(f.severity == "info" for f in evaluation.findings)


def test_a_driver_step_that_coincides_with_the_signal_step_is_named():
    rng = np.random.default_rng(SEED)
    days = 200
    t = np.arange(days * 24) / 24
    objects = np.where(t < 120, 800, 2400) + rng.normal(0, 10, len(t))
    latency = np.where(t < 120, 1.0, 1.0 + (t - 120) * 0.15) * np.exp(rng.normal(0, 0.05, len(t)))
    signals = [
        {"name": "latency_seconds", "ceiling": 30, "drivers": ["objects"]},
        {"name": "objects", "severity": {"max_severity": "info"}},
    ]
    evaluation = run(signals, {"latency_seconds": {(): latency}, "objects": {(): objects}}, 199, days)
    (finding,) = [f for f in evaluation.findings if f.key.signal == "latency_seconds" and f.rank >= 1]
    assert finding.driver is not None and finding.driver.signal == "objects"
    assert finding.driver.step_ratio == pytest.approx(3.0, rel=0.1)
    assert "moves with objects" in finding.summary


def test_a_series_younger_than_min_history_is_left_alone():
    rng = np.random.default_rng(SEED)
    evaluation = run([{"name": "disk_used_bytes", "ceiling": 100.0}], {"disk_used_bytes": {(): fill_series(rng, 200, 30)}}, 10, 200)
    assert evaluation.series_evaluated == 0 and evaluation.findings == ()


def test_a_driver_step_younger_than_a_regime_is_still_named_with_its_day():
    rng = np.random.default_rng(SEED)
    days = 200
    t = np.arange(days * 24) / 24
    objects = np.where(t < 190, 800, 2400) + rng.normal(0, 10, len(t))
    latency = (1.0 + t * 0.01) * np.where(t < 190, 1.0, 1.5) * np.exp(rng.normal(0, 0.05, len(t)))
    signals = [
        {"name": "latency_seconds", "ceiling": 30, "drivers": ["objects"]},
        {"name": "objects", "severity": {"max_severity": "info"}},
    ]
    evaluation = run(signals, {"latency_seconds": {(): latency}, "objects": {(): objects}}, 199, days)
    (finding,) = [f for f in evaluation.findings if f.key.signal == "latency_seconds" and f.rank >= 1]
    assert finding.driver is not None and finding.driver.changepoint == hourly_index(days)[190 * 24]
    assert finding.driver.step_ratio == pytest.approx(3.0, rel=0.1)


def test_a_fast_ramp_is_flagged_about_a_week_after_it_starts_not_two():
    rng = np.random.default_rng(SEED)
    t = np.arange(160 * 24) / 24.0
    ratio = 0.3 + 0.035 * np.clip(t - 140, 0, None) + rng.normal(0, 0.005, len(t))  # full 20 days after day 140
    signals = [{"name": "used_ratio", "ceiling": 1.0}]
    early = run(signals, {"used_ratio": {(): ratio}}, at_day=149, days=160)
    (finding,) = early.at_least("warning")
    assert finding.kind == "breach_forecast"
    assert abs((finding.onset - (START + pd.Timedelta(days=140))).days) <= 2
