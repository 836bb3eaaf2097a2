"""A ceiling query that fails once, against real Prometheus and Alertmanager: the breach alerts it
feeds are held (still firing, same startsAt, never resolved), and the next run goes on as before.

A loopback proxy in front of the real Prometheus (holding the shifted incident replicas) fails the
``pvc_capacity_bytes`` query on demand, as an overloaded server or a network blip would."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
import requests
import yaml

from detector.cli import main
from detector.core.environment import Environment
from tests.integration.loopback_http import LoopbackHTTPServer, Recorded
from tests.integration.promstack import ALERTMANAGER, missing_binaries, start_alertmanager, write_alertmanager_config
from tests.integration.replica_backfill import REPLICA_CONFIG
from tests.integration.test_alertmanager_sink import WebhookReceiver

pytestmark = pytest.mark.skipif(bool(missing_binaries(ALERTMANAGER)), reason="prometheus-alertmanager is not installed")
REPLICA_AT = pd.Timestamp("2026-01-10T00:00:00Z")  # five days before the Redis disks fill (replica time)
CEILING_QUERY = "pvc_capacity_bytes"


def config(path: Path, prometheus_url: str, alertmanager_url: str) -> Path:
    document = yaml.safe_load(REPLICA_CONFIG.read_text())
    document["signals"] = [s for s in document["signals"] if s["name"] in ("pvc_used_bytes", CEILING_QUERY)]
    for signal in document["signals"]:
        signal["query"] = signal["name"]
    document.update(prometheus={"url": prometheus_url, "retries": 0}, alertmanager={"url": alertmanager_url, "min_severity": "warning"})
    path.write_text(yaml.safe_dump(document))
    return path


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), Environment(stdout=out, stderr=err, environ={})), out.getvalue(), err.getvalue()


def firing(am_url: str) -> dict[str, str]:
    """alertname/pvc -> startsAt of the alerts Alertmanager shows as active."""
    alerts = requests.get(am_url + "/api/v2/alerts", params={"active": "true"}, timeout=5).json()
    return {f"{a['labels']['alertname']}/{a['labels']['persistentvolumeclaim']}": a["startsAt"] for a in alerts}


def test_a_failed_ceiling_query_holds_the_breach_alerts_with_their_starts_at(replica_prometheus, replica_history, tmp_path):
    failing = {"on": False}

    def proxy(request: Recorded) -> tuple[int, dict[str, str], bytes]:
        if failing["on"] and request.params.get("query") == [CEILING_QUERY]:
            return 422, {"Content-Type": "application/json"}, b'{"status":"error","errorType":"execution","error":"query timed out"}'
        answer = requests.get(replica_prometheus.url + request.path, params={k: v[0] for k, v in request.params.items()}, timeout=30)
        return answer.status_code, {"Content-Type": "application/json"}, answer.content

    webhook = WebhookReceiver()
    am = start_alertmanager(write_alertmanager_config(tmp_path / "am.yml", webhook.url), storage_dir=tmp_path / "am")
    at = (REPLICA_AT + pd.Timedelta(seconds=replica_history.shift_seconds)).isoformat()
    try:
        with LoopbackHTTPServer(proxy) as server:
            cfg = config(tmp_path / "live.yaml", server.url, am.url)
            args = ("run", "--config", str(cfg), "--at", at, "--state", str(tmp_path / "state.json"))
            code, out, err = run(*args)
            assert code == 0, err
            before = firing(am.url)
            assert any(name.startswith("SlowburnBreachForecast/") for name in before), before
            failing["on"] = True
            code, out, err = run(*args)
            assert code == 5, err  # partial: the ceiling signal failed
            assert firing(am.url) == before  # held: none resolved, none new, same startsAt
            (note,) = [line for line in err.splitlines() if "held" in line]
            assert "signal pvc_used_bytes: held" in note and "its ceiling signal pvc_capacity_bytes failed" in note
            failing["on"] = False
            code, out, err = run(*args)
            assert code == 0, err
            assert firing(am.url) == before  # the same alerts, never re-created
        webhook.wait_for("firing", len(before))
        assert webhook.alerts("resolved") == []
    finally:
        am.stop()
        webhook.stop()
