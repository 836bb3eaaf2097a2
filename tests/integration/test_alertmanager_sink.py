"""The Alertmanager sink against a real Alertmanager 0.25 that notifies a webhook on 127.0.0.1."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pandas as pd
import pytest
import requests

from detector.configuration.schema import Config
from detector.core.evaluation import Evaluation
from detector.core.findings import Finding
from detector.core.series import SeriesKey, labels_of
from detector.sinks.alertmanager import AlertmanagerSink
from detector.transport.http_client import build_session
from tests.integration.promstack import ALERTMANAGER, missing_binaries, start_alertmanager, write_alertmanager_config

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(bool(missing_binaries(ALERTMANAGER)), reason="prometheus-alertmanager is not installed"),
]
TTL = 3 * 3600.0


class WebhookReceiver:
    """Records every notification Alertmanager posts to it."""

    def __init__(self):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append(json.loads(body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def alerts(self, status):
        return [a for n in self.received for a in n["alerts"] if a["status"] == status]

    def wait_for(self, status, count, timeout=20.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.alerts(status)) >= count:
                return self.alerts(status)
            time.sleep(0.1)
        summary = [(a["status"], a["labels"].get("persistentvolumeclaim"), a["startsAt"]) for n in self.received for a in n["alerts"]]
        raise AssertionError(f"webhook got {len(self.alerts(status))} {status} alert(s), expected {count}: {summary}")

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook():
    receiver = WebhookReceiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def alertmanager(tmp_path, webhook):
    servers = []

    def start(port=None, storage=tmp_path / "am-data"):
        server = start_alertmanager(write_alertmanager_config(tmp_path / "am.yml", webhook.url), port=port, storage_dir=storage)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def config(*urls):
    return Config.model_validate(
        {
            "labels": {"team": "platform"},
            "annotations": {"dashboard": "https://grafana.example/d/slowburn"},
            "prometheus": {"url": "http://prometheus.example:9090"},
            "alertmanager": {"url": list(urls), "min_severity": "warning"},
            "signals": [
                {
                    "name": "pvc_used_bytes",
                    "query": "max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_used_bytes)",
                    "ceiling": 100,
                    "labels": {"tier": "storage"},
                    "annotations": {"runbook_url": "https://runbooks.example/disk"},
                }
            ],
        }
    )


def finding(pvc, now, severity="warning"):
    return Finding(
        key=SeriesKey("pvc_used_bytes", labels_of({"namespace": "redis", "persistentvolumeclaim": pvc, "k8s.io/zone": "a"})),
        kind="breach_forecast",
        severity=severity,
        evaluated_at=now,
        summary=f"{pvc} fills up",
        onset=now - pd.Timedelta(days=40),
        eta=now + pd.Timedelta(days=20),
        eta_lower=now + pd.Timedelta(days=15),
        eta_upper=now + pd.Timedelta(days=30),
        ceiling=100.0,
        current=80.0,
        baseline=40.0,
        magnitude=2.0,
    )


def send(cfg, state, *findings):
    now = pd.Timestamp.now(tz="UTC")
    sink = AlertmanagerSink(
        cfg, cfg.alertmanager, state, build_session(cfg.alertmanager, section="alertmanager"), lambda: pd.Timestamp.now(tz="UTC"), TTL
    )
    return sink.send(Evaluation(at=now, findings=tuple(f(now) if callable(f) else f for f in findings)))


def active(server):
    alerts = requests.get(server.url + "/api/v2/alerts", params={"active": "true"}, timeout=5).json()
    return {a["labels"]["persistentvolumeclaim"]: a for a in alerts}


def test_alerts_appear_in_alertmanager_with_labels_and_annotations_and_reach_the_receiver(tmp_path, alertmanager, webhook):
    am = alertmanager()
    before = pd.Timestamp.now(tz="UTC").floor("s")
    report = send(config(am.url), tmp_path / "state.json", lambda now: finding("data-redis-0", now))
    assert report.ok and report.delivered == 1
    alert = active(am)["data-redis-0"]
    assert alert["labels"] == {
        "alertname": "SlowburnBreachForecast",
        "signal": "pvc_used_bytes",
        "severity": "warning",
        "namespace": "redis",
        "persistentvolumeclaim": "data-redis-0",
        "k8s_io_zone": "a",
        "team": "platform",
        "tier": "storage",
    }
    notes = alert["annotations"]
    assert notes["summary"] == "data-redis-0 fills up" and notes["runbook_url"] == "https://runbooks.example/disk"
    assert notes["dashboard"] == "https://grafana.example/d/slowburn" and "Onset" in notes["description"]
    assert pd.Timestamp(notes["eta"]) > pd.Timestamp(notes["eta_lower"]) > before
    assert alert["generatorURL"].startswith("http://prometheus.example:9090/graph?g0.expr=max+by")
    assert before <= pd.Timestamp(alert["startsAt"]) and pd.Timestamp(alert["endsAt"]) > before + pd.Timedelta(hours=2)
    (notified,) = webhook.wait_for("firing", 1)
    assert notified["labels"]["persistentvolumeclaim"] == "data-redis-0" and notified["annotations"]["eta"] == notes["eta"]


def test_a_later_run_without_the_risk_resolves_it(tmp_path, alertmanager, webhook):
    am = alertmanager()
    state = tmp_path / "state.json"
    send(config(am.url), state, lambda now: finding("data-redis-0", now), lambda now: finding("data-redis-1", now))
    assert set(active(am)) == {"data-redis-0", "data-redis-1"}
    webhook.wait_for("firing", 2)
    assert send(config(am.url), state, lambda now: finding("data-redis-1", now)).ok
    assert set(active(am)) == {"data-redis-1"}
    (resolved,) = webhook.wait_for("resolved", 1)
    assert resolved["labels"]["persistentvolumeclaim"] == "data-redis-0"


def test_an_alertmanager_down_for_one_run_gets_everything_on_the_next_without_duplicates(tmp_path, alertmanager, webhook):
    am = alertmanager()
    state = tmp_path / "state.json"
    send(config(am.url), state, lambda now: finding("a", now), lambda now: finding("b", now))
    first = {pvc: a["startsAt"] for pvc, a in active(am).items()}
    webhook.wait_for("firing", 2)
    am.stop()
    down = send(config(am.url), state, lambda now: finding("a", now), lambda now: finding("c", now))  # b cleared, c new
    assert not down.ok and down.pending == 3
    am = alertmanager(port=am.port)  # back on the same address (alerts are in memory: it knows none)
    up = send(config(am.url), state, lambda now: finding("a", now), lambda now: finding("c", now))
    assert up.ok and up.pending == 0
    now_active = active(am)
    assert set(now_active) == {"a", "c"}
    assert pd.Timestamp(now_active["a"]["startsAt"]) == pd.Timestamp(first["a"])  # the same alert, not a new one
    webhook.wait_for("firing", 3)  # a, b, c: a's notification log survived the restart
    (resolved,) = webhook.wait_for("resolved", 1)
    assert resolved["labels"]["persistentvolumeclaim"] == "b"
    time.sleep(2.5)  # two more group intervals: any duplicate would have arrived
    starts = {}
    for alert in webhook.alerts("firing"):
        starts.setdefault(alert["labels"]["persistentvolumeclaim"], set()).add(pd.Timestamp(alert["startsAt"]))
    assert all(len(s) == 1 for s in starts.values()), starts
    assert set(starts) == {"a", "b", "c"}


def test_with_one_of_a_pair_down_the_other_gets_the_alerts_and_the_first_catches_up(tmp_path, alertmanager, webhook):
    first, second = alertmanager(storage=tmp_path / "am1"), alertmanager(storage=tmp_path / "am2")
    state = tmp_path / "state.json"
    second.stop()
    report = send(config(first.url, second.url), state, lambda now: finding("a", now))
    assert report.ok and report.pending == 1 and any(second.url in p for p in report.problems)
    second = alertmanager(port=second.port, storage=tmp_path / "am2")
    send(config(first.url, second.url), state, lambda now: finding("a", now))
    assert active(second)["a"]["startsAt"] == active(first)["a"]["startsAt"]


def test_a_damaged_state_file_is_set_aside_once_and_delivery_goes_on(tmp_path, alertmanager, webhook):
    am = alertmanager()
    state = tmp_path / "state.json"
    send(config(am.url), state, lambda now: finding("a", now), lambda now: finding("b", now))
    webhook.wait_for("firing", 2)
    first = active(am)["a"]["startsAt"]
    time.sleep(1.1)  # a new startsAt would differ
    state.write_bytes(state.read_bytes()[:40])  # a disk-full truncation
    damaged = send(config(am.url), state, lambda now: finding("a", now), lambda now: finding("c", now))
    assert damaged.ok and damaged.delivered == 2
    (aside,) = [p for p in tmp_path.iterdir() if p.name.startswith("state.json.damaged-")]
    assert "fresh alert state" in damaged.problems[0] and aside.name in damaged.problems[0]
    assert set(active(am)) >= {"a", "c"}
    assert active(am)["a"]["startsAt"] == first  # Alertmanager keeps the earlier startsAt: no new alert
    again = send(config(am.url), state, lambda now: finding("a", now), lambda now: finding("c", now))
    assert again.ok and not any("fresh alert state" in p for p in again.problems)  # said once
    webhook.wait_for("firing", 3)  # a, b, then c: delivery was never blocked
