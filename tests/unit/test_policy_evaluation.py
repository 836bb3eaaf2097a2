"""Policy decisions seen through the whole evaluation: staleness, regime shifts with their driver,
driver thresholds, the trend's heavy-tail share and the ETA metric following the verdict."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from detector.configuration.schema import Config
from detector.core.series import SeriesSet
from detector.engine.evaluate import evaluate
from detector.policy.thresholds import DEFAULT_POLICY
from models.drivers import link_driver
from models.trend import RobustTrend
from tests.synthetic import fill_series, hourly_index

SEED = 99


def run(signals, series_by_signal, at, days, policy=DEFAULT_POLICY):
    index = hourly_index(days)
    data = SeriesSet(
        series={name: {labels: pd.Series(v, index=index) for labels, v in by.items()} for name, by in series_by_signal.items()}
    )
    return evaluate(Config.model_validate({"signals": signals}), data, index[0] + at, policy=policy)


def disk_that_stopped(silent_hours: int, days: int = 200):
    values = fill_series(np.random.default_rng(SEED), days, 230)
    if silent_hours:
        values = values.copy()
        values[-silent_hours:] = np.nan
    return values


@pytest.mark.parametrize(("silent_hours", "judged"), [(22, True), (23, False), (40 * 24, False)])  # last sample 23 h / 24 h before
def test_a_series_silent_for_more_than_a_day_is_not_judged_and_says_when_it_stopped(silent_hours, judged):
    days = 200
    evaluation = run(
        [{"name": "disk", "ceiling": 100.0}], {"disk": {(): disk_that_stopped(silent_hours, days)}}, pd.Timedelta(days=days), days
    )
    assert bool(evaluation.findings) is judged
    stopped = [n for n in evaluation.notes if "stopped reporting" in n.message]
    assert bool(stopped) is not judged


def test_a_stopped_series_can_get_an_info_finding_when_the_policy_asks():
    days = 200
    policy = DEFAULT_POLICY.with_field("staleness.info_finding", True)
    evaluation = run(
        [{"name": "disk", "ceiling": 100.0}], {"disk": {(): disk_that_stopped(48, days)}}, pd.Timedelta(days=days), days, policy
    )
    (finding,) = evaluation.findings
    assert (finding.kind, finding.severity) == ("stopped_reporting", "info")


def test_stale_after_is_a_per_signal_setting():
    days = 200
    signals = [{"name": "disk", "ceiling": 100.0, "model": {"stale_after": "3d"}}]
    evaluation = run(signals, {"disk": {(): disk_that_stopped(48, days)}}, pd.Timedelta(days=days), days)
    assert evaluation.findings


def test_an_eviction_loop_is_a_regime_shift_warning_naming_the_driver_that_jumped_first():
    rng = np.random.default_rng(SEED)
    days = 90
    n = days * 24
    objects = np.where(np.arange(n) < n - 40, 800.0, 2400.0) + rng.normal(0, 5, n)
    evictions = rng.poisson(0.5, n).astype(float)
    evictions[-14:] = rng.poisson(30, 14)
    signals = [{"name": "evictions", "drivers": ["objects"]}, {"name": "objects", "severity": {"max_severity": "info"}}]
    evaluation = run(signals, {"evictions": {(): evictions}, "objects": {(): objects}}, pd.Timedelta(days=days), days)
    (shift,) = [f for f in evaluation.findings if f.kind == "regime_shift"]
    assert shift.severity == "warning" and shift.key.signal == "evictions"
    assert shift.driver is not None and shift.driver.signal == "objects"
    assert any(g.name.startswith("held level over") and g.passed for g in shift.gates)


def test_a_finding_in_the_json_carries_its_gates():
    days = 200
    evaluation = run([{"name": "disk", "ceiling": 100.0}], {"disk": {(): disk_that_stopped(0, days)}}, pd.Timedelta(days=days), days)
    document = evaluation.findings[0].to_dict()
    assert document["gates"] and {"name", "value", "threshold", "passed"} <= set(document["gates"][0])


def step_pair(driver_step_day: int, driver_ratio: float, days: int = 200):
    t = np.arange(days)
    target = np.where(t < 120, 1.0, 1.0 + (t - 120) * 0.1)
    driver = np.where(t < driver_step_day, 800.0, 800.0 * driver_ratio)
    return target, driver


def test_a_driver_changepoint_coincides_within_seven_days():
    target, driver = step_pair(127, 3.0)
    assert link_driver(target, 0, [120], driver, 0, [127]).coincident_day == 127
    target, driver = step_pair(128, 3.0)
    assert link_driver(target, 0, [120], driver, 0, [128]).coincident_day is None


def test_a_driver_step_must_move_its_level_by_twenty_percent():
    target, driver = step_pair(120, 1.21)
    assert link_driver(target, 0, [120], driver, 0, [120]).coincident_day == 120
    target, driver = step_pair(120, 1.19)
    assert link_driver(target, 0, [120], driver, 0, [120]).coincident_day is None


def test_the_trend_noise_is_at_least_three_quarters_of_the_standard_deviation():
    rng = np.random.default_rng(SEED)
    x = np.arange(60, dtype=float)
    y = rng.normal(0, 0.1, 60)
    y[::10] += 5.0  # a few bursts carry the spread
    sd = float(np.std(y - np.median(y)))
    default = RobustTrend().fit(x, y).sigma_
    assert default == pytest.approx(0.75 * np.std(y - (RobustTrend().fit(x, y).intercept_ + RobustTrend().fit(x, y).slope_ * x)), rel=1e-9)
    assert RobustTrend(heavy_tail_share=0.5).fit(x, y).sigma_ < default < sd


def test_the_exported_eta_follows_the_verdict():
    from detector.service.self_metrics import RiskSnapshot

    days = 200
    evaluation = run([{"name": "disk", "ceiling": 100.0}], {"disk": {(): disk_that_stopped(0, days)}}, pd.Timedelta(days=days), days)
    (key,) = evaluation.verdicts
    snapshot = RiskSnapshot.of(evaluation, evaluation.at)
    assert [v for _, _, v in snapshot.eta] == [pytest.approx(max(0.0, (evaluation.findings[0].eta - evaluation.at).total_seconds()))]
    silenced = replace(evaluation, findings=(), verdicts={key: replace(evaluation.verdicts[key], eta_days=None)})
    assert RiskSnapshot.of(silenced, evaluation.at).eta == ()
