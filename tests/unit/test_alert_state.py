"""Alert lifecycle across runs: new, active, resolved, kept while undelivered, never a duplicate."""

import json
from pathlib import Path

import pandas as pd
import pytest
import requests

from detector.configuration.schema import Config
from detector.core.evaluation import Evaluation
from detector.core.findings import Finding
from detector.core.series import SeriesKey, labels_of
from detector.errors import SourceError, StoreError
from detector.service.live import state_path_for
from detector.service.schedule import resend_ttl
from detector.sinks.alert_state import load_state
from detector.sinks.alertmanager import AlertmanagerSink

T0 = pd.Timestamp("2025-03-01T10:00:00Z")
HOUR = pd.Timedelta(hours=1)
TTL = 3 * 3600.0
AM_A, AM_B = "http://am-a.test:9093", "http://am-b.test:9093"


class FakeAlertmanagers:
    """Stands in for the HTTP session: records accepted alerts per URL; a URL can be down or rejecting."""

    def __init__(self):
        self.down: set[str] = set()
        self.status: dict[str, int] = {}
        self.received: dict[str, list[dict]] = {}

    def post(self, url, json=None, timeout=None, **_):
        base = url.removesuffix("/api/v2/alerts")
        if base in self.down:
            raise requests.ConnectionError("connection refused")
        response = requests.Response()
        response.status_code = self.status.get(base, 200)
        response._content = b"bad alert" if response.status_code >= 400 else b""
        if response.ok:
            self.received.setdefault(base, []).extend(json)
        return response

    def firing(self, url, at):
        """Label sets Alertmanager would show as active at ``at``: the last post per label set wins."""
        latest = {}
        for alert in self.received.get(url, []):
            latest[tuple(sorted(alert["labels"].items()))] = alert
        return {k: a for k, a in latest.items() if pd.Timestamp(a["endsAt"]) > at}


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


def config(signals=("disk_used_bytes", "webhook_p99_seconds"), min_severity="warning"):
    return Config.model_validate(
        {
            "signals": [{"name": name, "query": f"{name}_query", "ceiling": 100} for name in signals],
            "alertmanager": {"url": [AM_A, AM_B], "min_severity": min_severity},
        }
    )


def finding(pvc="data-0", severity="warning", kind="breach_forecast", signal="disk_used_bytes", at=T0):
    return Finding(key=SeriesKey(signal, labels_of({"pvc": pvc})), kind=kind, severity=severity, evaluated_at=at, summary=f"{pvc} fills up")


def evaluation(*findings, at=T0, errors=None):
    return Evaluation(at=at, findings=tuple(findings), errors=errors or {})


@pytest.fixture
def world(tmp_path):
    fake, clock = FakeAlertmanagers(), Clock(T0)

    def sink(cfg=None):
        cfg = cfg or config()
        return AlertmanagerSink(cfg, cfg.alertmanager, tmp_path / "alerts.json", fake, clock, TTL)

    return fake, clock, sink, tmp_path / "alerts.json"


def test_a_new_finding_fires_with_starts_at_now_and_ends_at_three_intervals_later(world):
    fake, clock, sink, _ = world
    report = sink().send(evaluation(finding()))
    assert report.ok and report.delivered == 1 and report.pending == 0
    (alert,) = fake.received[AM_A]
    assert pd.Timestamp(alert["startsAt"]) == T0
    assert pd.Timestamp(alert["endsAt"]) == T0 + pd.Timedelta(seconds=TTL)
    assert fake.received[AM_B] == fake.received[AM_A]


def test_an_active_finding_is_resent_every_run_with_the_same_starts_at(world):
    fake, clock, sink, _ = world
    sink().send(evaluation(finding()))
    clock.now = T0 + 5 * HOUR
    sink().send(evaluation(finding(at=clock.now), at=clock.now))
    first, second = fake.received[AM_A]
    assert first["labels"] == second["labels"]
    assert second["startsAt"] == first["startsAt"]
    assert pd.Timestamp(second["endsAt"]) == clock.now + pd.Timedelta(seconds=TTL)


def test_a_finding_that_is_gone_is_resolved_at_once_and_then_no_longer_sent(world):
    fake, clock, sink, path = world
    sink().send(evaluation(finding("data-0"), finding("data-1")))
    clock.now = T0 + HOUR
    sink().send(evaluation(finding("data-1"), at=clock.now))
    assert set(fake.firing(AM_A, clock.now)) == {
        (("alertname", "SlowburnBreachForecast"), ("pvc", "data-1"), ("severity", "warning"), ("signal", "disk_used_bytes"))
    }
    resolved = [a for a in fake.received[AM_A] if a["labels"]["pvc"] == "data-0"][-1]
    assert pd.Timestamp(resolved["endsAt"]) <= clock.now and resolved["startsAt"] == T0.strftime("%Y-%m-%dT%H:%M:%SZ")
    clock.now = T0 + 2 * HOUR
    before = len(fake.received[AM_A])
    sink().send(evaluation(finding("data-1"), at=clock.now))
    assert [a["labels"]["pvc"] for a in fake.received[AM_A][before:]] == ["data-1"]
    assert len(load_state(path).active) == 1


def test_findings_below_the_minimum_severity_are_not_sent(world):
    fake, clock, sink, _ = world
    sink().send(evaluation(finding("a", severity="info"), finding("b", severity="critical")))
    assert [a["labels"]["pvc"] for a in fake.received[AM_A]] == ["b"]


def test_alerts_of_a_signal_that_failed_are_held_and_resent_with_the_same_starts_at_when_it_recovers(world):
    fake, clock, sink, _ = world
    sink().send(evaluation(finding()))
    clock.now = T0 + HOUR
    sink().send(evaluation(at=clock.now, errors={"disk_used_bytes": SourceError("HTTP 503")}))
    assert len(fake.received[AM_A]) == 1  # neither resolved nor refreshed
    assert len(fake.firing(AM_A, clock.now)) == 1
    clock.now = T0 + 2 * HOUR
    sink().send(evaluation(finding(at=clock.now), at=clock.now))
    first, again = fake.received[AM_A]
    assert again["startsAt"] == first["startsAt"] and pd.Timestamp(again["endsAt"]) == clock.now + pd.Timedelta(seconds=TTL)


def test_alerts_of_a_signal_that_keeps_failing_expire_and_its_return_is_a_new_alert(world):
    fake, clock, sink, path = world
    sink().send(evaluation(finding()))
    for hours in (1, 2, 3, 4):
        clock.now = T0 + hours * HOUR
        sink().send(evaluation(at=clock.now, errors={"disk_used_bytes": SourceError("query matched nothing")}))
    assert fake.firing(AM_A, clock.now) == {} and load_state(path).active == {}
    clock.now = T0 + 5 * HOUR
    sink().send(evaluation(finding(at=clock.now), at=clock.now))
    assert pd.Timestamp(fake.received[AM_A][-1]["startsAt"]) == clock.now


def test_alerts_of_a_signal_removed_from_the_config_are_resolved(world):
    fake, clock, sink, _ = world
    sink().send(evaluation(finding(signal="webhook_p99_seconds")))
    clock.now = T0 + HOUR
    sink(config(signals=("disk_used_bytes",))).send(evaluation(at=clock.now))
    assert fake.firing(AM_A, clock.now) == {}


def test_a_severity_change_resolves_the_old_label_set_and_keeps_starts_at(world):
    fake, clock, sink, _ = world
    sink().send(evaluation(finding(severity="warning")))
    clock.now = T0 + HOUR
    sink().send(evaluation(finding(severity="critical", at=clock.now), at=clock.now))
    firing = list(fake.firing(AM_A, clock.now).values())
    assert [a["labels"]["severity"] for a in firing] == ["critical"]
    assert pd.Timestamp(firing[0]["startsAt"]) == T0


def test_undelivered_alerts_are_kept_and_delivered_by_the_next_run_without_a_new_starts_at(world):
    fake, clock, sink, path = world
    fake.down = {AM_A, AM_B}
    report = sink().send(evaluation(finding("data-0"), finding("data-1")))
    assert not report.ok and report.pending == 2 and fake.received == {}
    assert len(load_state(path).outbox[AM_A]) == 2
    fake.down = set()
    clock.now = T0 + HOUR
    report = sink().send(evaluation(finding("data-0", at=clock.now), at=clock.now))  # data-1 cleared meanwhile
    assert report.ok and report.pending == 0
    received = fake.received[AM_A]
    assert len(received) == 2  # one per label set, not the stale copy too
    by_pvc = {a["labels"]["pvc"]: a for a in received}
    assert pd.Timestamp(by_pvc["data-0"]["startsAt"]) == T0 and pd.Timestamp(by_pvc["data-0"]["endsAt"]) > clock.now
    assert pd.Timestamp(by_pvc["data-1"]["endsAt"]) <= clock.now  # its resolution, not a firing copy
    assert load_state(path).outbox == {}


def test_a_resolution_that_could_not_be_delivered_is_delivered_by_the_next_run(world):
    fake, clock, sink, _ = world
    sink().send(evaluation(finding()))
    fake.down = {AM_A, AM_B}
    clock.now = T0 + HOUR
    assert not sink().send(evaluation(at=clock.now)).ok
    fake.down = set()
    clock.now = T0 + 2 * HOUR
    sink().send(evaluation(at=clock.now))
    assert fake.firing(AM_A, clock.now) == {} and len(fake.received[AM_A]) == 2


def test_with_one_of_two_alertmanagers_down_the_run_succeeds_and_the_other_catches_up_later(world):
    fake, clock, sink, path = world
    fake.down = {AM_B}
    report = sink().send(evaluation(finding()))
    assert report.ok and report.pending == 1 and any(AM_B in p for p in report.problems)
    assert AM_A not in load_state(path).outbox
    fake.down = set()
    clock.now = T0 + HOUR
    sink().send(evaluation(at=clock.now))
    assert fake.firing(AM_B, clock.now) == {} and fake.firing(AM_A, clock.now) == {}
    assert [pd.Timestamp(a["startsAt"]) for a in fake.received[AM_B]] == [T0]


def test_a_batch_alertmanager_rejects_is_reported_and_not_retried_forever(world):
    fake, clock, sink, path = world
    fake.status = {AM_A: 400, AM_B: 400}
    report = sink().send(evaluation(finding()))
    assert not report.ok and "HTTP 400" in report.problems[0]
    assert load_state(path).outbox == {}


@pytest.mark.parametrize(
    "garbage",
    [
        b"{not json",
        b"\xff\xfe\x00garbage",
        b"[1, 2]",
        b'{"version": 99}',
        b"[" * 100_000,
        b'{"version": 1, "active": {"x": {"signal": "s"}}}',
        b'{"version": 1, "active": {"x": {"signal": "s", "starts_at": "2025-03-01T09:00:00Z", "payload": {"labels": 5}}}}',
        b'{"version": 1, "outbox": {"http://am-a.test:9093": [{"labels": {"a": "b"}, "startsAt": "yesterday"}]}}',
    ],
)
def test_a_damaged_alert_state_is_set_aside_with_a_timestamp_and_delivery_goes_on_from_a_fresh_state(world, garbage):
    fake, clock, sink, path = world
    path.write_bytes(garbage)
    report = sink().send(evaluation(finding()))
    assert report.ok and report.delivered == 1 and len(fake.received[AM_A]) == 1
    aside = path.with_name("alerts.json.damaged-20250301T100000Z")
    assert aside.read_bytes() == garbage  # nothing lost: kept for a post-mortem
    assert "alerts.json.damaged-20250301T100000Z" in report.problems[0] and "fresh alert state" in report.problems[0]
    assert len(load_state(path).active) == 1


def test_the_damaged_state_is_reported_once_and_the_next_run_keeps_the_fresh_starts_at(world):
    fake, clock, sink, path = world
    path.write_text("{not json")
    sink().send(evaluation(finding()))
    clock.now = T0 + HOUR
    report = sink().send(evaluation(finding(at=clock.now), at=clock.now))
    assert report.problems == ()
    assert [a["startsAt"] for a in fake.received[AM_A]] == ["2025-03-01T10:00:00Z"] * 2


def test_two_damaged_states_within_one_second_never_overwrite_each_other(world):
    fake, clock, sink, path = world
    for text in ("first {", "second {"):
        path.write_text(text)
        sink().send(evaluation(finding()))
        path.write_text(text)
        sink().send(evaluation(finding()))
    kept = sorted(p.name for p in path.parent.iterdir() if ".damaged-" in p.name)
    assert len(kept) == 4 and {(path.parent / name).read_text() for name in kept} == {"first {", "second {"}


def test_a_damaged_state_that_cannot_be_set_aside_stops_the_sink_with_its_path(world, monkeypatch):
    fake, clock, sink, path = world
    path.write_text("{not json")

    def refuse(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("detector.sinks.alert_state.os.replace", refuse)
    with pytest.raises(StoreError, match="alerts.json.*move it away"):
        sink().send(evaluation(finding()))
    assert fake.received == {}


def test_the_state_file_is_replaced_whole_and_leaves_no_temporary_file(world):
    fake, clock, sink, path = world
    sink().send(evaluation(finding()))
    document = json.loads(path.read_text())
    assert document["version"] == 1 and len(document["active"]) == 1
    assert [p.name for p in path.parent.iterdir()] == ["alerts.json"]


@pytest.mark.parametrize("cron, hours", [("0 * * * *", 3), ("*/5 * * * *", 1), ("0 9 * * 1-5", 3 * 72), ("30 2 * * *", 72)])
def test_alerts_live_three_of_the_longest_gaps_of_the_schedule_and_at_least_an_hour(cron, hours):
    assert resend_ttl(cron) == hours * 3600


def test_the_alert_state_is_given_explicitly_or_lives_next_to_the_history_store():
    with_store = Config.model_validate({"signals": [{"name": "a"}], "store": {"path": "/data/history.db"}})
    without = Config.model_validate({"signals": [{"name": "a"}]})
    assert state_path_for(with_store, None, {}) == Path("/data/history.db.alerts.json")
    assert state_path_for(without, None, {}) == Path("slowburn-alerts.json")
    assert state_path_for(with_store, None, {"SLOWBURN_STATE": "/x/s.json"}) == Path("/x/s.json")
    assert state_path_for(with_store, "/y/s.json", {"SLOWBURN_STATE": "/x/s.json"}) == Path("/y/s.json")
