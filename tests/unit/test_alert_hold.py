"""An alert is held (kept firing with its startsAt, not resolved, not re-created) while anything it
depends on failed this run: its signal, its ceiling signal, the Kubernetes limits of its ceiling, its drivers."""

import numpy as np
import pandas as pd
import pytest

from detector.configuration.schema import Config
from detector.core.evaluation import Evaluation
from detector.core.findings import Finding
from detector.core.series import SeriesKey, labels_of
from detector.errors import SourceError
from detector.sinks.alert_hold import holds
from detector.sinks.alertmanager import AlertmanagerSink
from tests.unit.test_alert_state import AM_A, HOUR, T0, TTL, Clock, FakeAlertmanagers

HICCUP = SourceError("HTTP 503: overloaded")


def config():
    return Config.model_validate(
        {
            "signals": [
                {"name": "used", "query": "used_q", "ceiling": {"signal": "capacity"}, "drivers": ["writes"]},
                {"name": "capacity", "query": "capacity_q"},
                {"name": "writes", "query": "writes_q"},
                {"name": "latency", "query": "latency_q", "ceiling": {"limit": "webhook_timeout", "default": 30}},
                {"name": "other", "query": "other_q", "ceiling": 10},
            ],
            "alertmanager": {"url": [AM_A], "min_severity": "warning"},
        }
    )


def finding(kind="breach_forecast", severity="warning", signal="used", pvc="data-0", at=T0):
    return Finding(key=SeriesKey(signal, labels_of({"pvc": pvc})), kind=kind, severity=severity, evaluated_at=at, summary="s")


@pytest.fixture
def world(tmp_path):
    fake, clock = FakeAlertmanagers(), Clock(T0)
    cfg = config()

    def send(*findings, errors=None):
        sink = AlertmanagerSink(cfg, cfg.alertmanager, tmp_path / "alerts.json", fake, clock, TTL)
        return sink.send(Evaluation(at=clock.now, findings=tuple(findings), errors=errors or {}))

    return fake, clock, send


def kinds(fake, at):
    return sorted((dict(k)["alertname"], dict(k)["severity"], a["startsAt"]) for k, a in fake.firing(AM_A, at).items())


def test_a_ceiling_hiccup_neither_resolves_the_breach_alert_nor_starts_a_new_one(world):
    fake, clock, send = world
    send(finding())
    clock.now = T0 + HOUR  # capacity failed: 'used' judged without its ceiling finds only a drift
    report = send(finding("sustained_drift", at=clock.now), errors={"capacity": HICCUP})
    assert len(fake.received[AM_A]) == 1  # nothing resolved, nothing new
    assert kinds(fake, clock.now) == [("SlowburnBreachForecast", "warning", "2025-03-01T10:00:00Z")]
    (note,) = [p for p in report.problems if "held" in p]
    assert note.startswith('signal used: held 1 alert(s) (not resolved, same startsAt): SlowburnBreachForecast used{pvc="data-0"}')
    assert "deferred 1 new alert(s)" in note and note.endswith("its ceiling signal capacity failed")
    clock.now = T0 + 2 * HOUR
    send(finding(at=clock.now))
    assert kinds(fake, clock.now) == [("SlowburnBreachForecast", "warning", "2025-03-01T10:00:00Z")]  # same startsAt
    assert all(a["labels"]["alertname"] == "SlowburnBreachForecast" for a in fake.received[AM_A])


def test_a_severity_change_judged_without_the_ceiling_waits_for_a_complete_run(world):
    fake, clock, send = world
    send(finding(severity="critical"))
    clock.now = T0 + HOUR
    send(finding(severity="warning", at=clock.now), errors={"capacity": HICCUP})
    assert kinds(fake, clock.now) == [("SlowburnBreachForecast", "critical", "2025-03-01T10:00:00Z")]


def test_an_alert_the_run_still_confirms_is_refreshed_while_its_ceiling_failed(world):
    fake, clock, send = world
    send(finding("sustained_drift"))
    clock.now = T0 + HOUR
    send(finding("sustained_drift", at=clock.now), errors={"capacity": HICCUP})
    assert len(fake.received[AM_A]) == 2 and fake.received[AM_A][1]["startsAt"] == fake.received[AM_A][0]["startsAt"]


def test_a_driver_failure_holds_an_alert_the_run_no_longer_finds_but_lets_new_alerts_through(world):
    fake, clock, send = world
    send(finding(pvc="data-0"))
    clock.now = T0 + HOUR
    report = send(finding(pvc="data-1", at=clock.now), errors={"writes": HICCUP})
    assert [dict(k)["pvc"] for k in fake.firing(AM_A, clock.now)] == ["data-0", "data-1"]
    assert any(p.endswith("its driver writes failed") for p in report.problems)
    clock.now = T0 + 2 * HOUR
    send(finding(pvc="data-1", at=clock.now))  # complete run: now it resolves
    assert [dict(k)["pvc"] for k in fake.firing(AM_A, clock.now)] == ["data-1"]


def test_unreadable_kubernetes_limits_hold_the_alerts_of_signals_whose_ceiling_is_a_limit(world):
    fake, clock, send = world
    send(finding(signal="latency"), finding(signal="other"))
    clock.now = T0 + HOUR
    report = send(errors={"kubernetes": SourceError("cannot reach the Kubernetes API")})
    assert [dict(k)["signal"] for k in fake.firing(AM_A, clock.now)] == ["latency"]  # 'other' resolved
    assert any("its ceiling, a Kubernetes limit, was not read" in p for p in report.problems)


def test_alerts_held_by_a_ceiling_that_keeps_failing_expire_at_their_ends_at(world):
    fake, clock, send = world
    send(finding())
    for hours in (1, 2, 3, 4):
        clock.now = T0 + hours * HOUR
        send(errors={"capacity": HICCUP})
    assert fake.firing(AM_A, clock.now) == {} and len(fake.received[AM_A]) == 1


def test_a_failure_of_an_unrelated_signal_holds_nothing():
    assert set(holds(config(), {"other": HICCUP})) == {"other"}
    assert holds(config(), {}) == {}


@pytest.mark.parametrize(
    "failed, signal, reason, judged",
    [
        ({"used"}, "used", "it failed this run", True),
        ({"capacity"}, "used", "its ceiling signal capacity failed", True),
        ({"writes"}, "used", "its driver writes failed", False),
        ({"capacity", "writes"}, "used", "its ceiling signal capacity failed; its driver writes failed", True),
        ({"kubernetes"}, "latency", "its ceiling, a Kubernetes limit, was not read", True),
        ({"kubernetes"}, "kubernetes", "it failed this run", True),
    ],
)
def test_each_dependency_holds_with_its_reason(failed, signal, reason, judged):
    hold = holds(config(), {name: HICCUP for name in failed})[signal]
    assert (hold.reason, hold.judged) == (reason, judged)


def test_a_series_whose_ceiling_signal_failed_is_not_judged_without_it():
    from detector.core.series import SeriesSet
    from detector.engine.evaluate import evaluate

    rng = np.random.default_rng(5)
    index = pd.date_range("2025-01-01", periods=90 * 24, freq="h", tz="UTC")
    used = pd.Series(np.linspace(10, 80, index.size) + rng.normal(0, 0.5, index.size), index=index)
    capacity = pd.Series(100.0, index=index)
    cfg = Config.model_validate(
        {"signals": [{"name": "used", "query": "u", "ceiling": {"signal": "capacity"}}, {"name": "capacity", "query": "c"}]}
    )
    at = index[-1] + pd.Timedelta(hours=1)
    labels = labels_of({"pvc": "data-0"})
    whole = evaluate(cfg, SeriesSet(series={"used": {labels: used}, "capacity": {labels: capacity}}), at)
    assert [f.kind for f in whole.findings if f.key.signal == "used"] == ["breach_forecast"]
    hiccup = evaluate(cfg, SeriesSet(series={"used": {labels: used}}, errors={"capacity": HICCUP}), at)
    assert [f for f in hiccup.findings if f.key.signal == "used"] == []
    assert any(n.message == "not judged: its ceiling signal capacity failed (its alerts are held)" for n in hiccup.notes)
