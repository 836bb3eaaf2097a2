"""`slowburn run` live against a real Prometheus backfilled with the incident replicas finds what the
offline run on the exported files finds, and delivers it to a real Alertmanager and Pushgateway."""

import io
import json
from pathlib import Path

import pandas as pd
import pytest
import requests
import yaml

from detector.cli import main
from detector.configuration.schema import load_config
from detector.core.environment import Environment
from detector.sources.export import ExportSource
from tests.integration.promstack import (
    BackfillSeries,
    backfill,
    free_port,
    missing_binaries,
    start_alertmanager,
    start_prometheus,
    start_pushgateway,
    write_alertmanager_config,
)

pytestmark = [pytest.mark.integration, pytest.mark.skipif(bool(missing_binaries()), reason="Prometheus tools are not installed")]
ROOT = Path(__file__).resolve().parents[2]
REPLICAS, REPLICA_CONFIG = ROOT / "data" / "replicas", ROOT / "config" / "replicas.yaml"
AT = "2026-01-10T00:00:00Z"  # five days before the Redis disks fill, six weeks before the VPA outage


def metric_name(signal: str) -> str:
    return f"replica_{signal}"


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    """Prometheus holding every replica series as ``replica_<signal>`` with the series' own labels."""
    config = load_config(REPLICA_CONFIG)
    data = ExportSource(REPLICAS).fetch(config.signals)
    assert not data.errors, data.errors
    series = []
    for name, by_labels in data.series.items():
        for labels, values in by_labels.items():
            finite = values.dropna()
            stamps = (finite.index - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(seconds=1)
            series.append(BackfillSeries(metric_name(name), dict(labels), stamps.to_numpy(dtype=float), finite.to_numpy(dtype=float)))
    tsdb = backfill(series, tmp_path_factory.mktemp("tsdb"))
    server = start_prometheus(tsdb)
    yield server
    server.stop()


def live_config(path: Path, prometheus_url: str, **sinks) -> Path:
    """The replica config with each query reading the backfilled series, plus the live endpoints."""
    document = yaml.safe_load(REPLICA_CONFIG.read_text())
    for signal in document["signals"]:
        signal["query"] = metric_name(signal["name"])
    document["prometheus"] = {"url": prometheus_url}
    document.update(sinks)
    path.write_text(yaml.safe_dump(document))
    return path


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), Environment(stdout=out, stderr=err, environ={}))
    return code, out.getvalue(), err.getvalue()


def findings(path: Path) -> set[tuple]:
    document = json.loads(path.read_text())
    return {(f["signal"], tuple(sorted(f["labels"].items())), f["kind"], f["severity"]) for f in document["findings"]}


@pytest.mark.parametrize("with_store", [False, True], ids=["in-memory", "streamed-from-the-store"])
def test_a_live_run_finds_the_same_findings_as_the_offline_run_on_the_exported_files(prometheus, tmp_path, with_store):
    code, out, err = run(
        "run", "--config", str(REPLICA_CONFIG), "--data", str(REPLICAS), "--at", AT, "--json", str(tmp_path / "offline.json")
    )
    assert code == 0, err
    store = {"store": {"path": str(tmp_path / "history.db")}} if with_store else {}
    config = live_config(tmp_path / "live.yaml", prometheus.url, **store)
    code, out, err = run(
        "run", "--config", str(config), "--at", AT, "--json", str(tmp_path / "live.json"), "--state", str(tmp_path / "state.json")
    )
    assert code == 0, err
    offline, live = findings(tmp_path / "offline.json"), findings(tmp_path / "live.json")
    assert any(f[3] in ("warning", "critical") for f in offline)  # the comparison is about something
    assert live == offline
    assert "pvc_used_bytes" in out and "breach_forecast" in out
    assert (tmp_path / "history.db").is_file() == with_store


def test_a_live_run_delivers_its_warnings_to_alertmanager_and_its_metrics_to_the_pushgateway(prometheus, tmp_path):
    am = start_alertmanager(write_alertmanager_config(tmp_path / "am.yml", "http://127.0.0.1:9/unused"), storage_dir=tmp_path / "am")
    pg = start_pushgateway()
    try:
        config = live_config(
            tmp_path / "live.yaml",
            prometheus.url,
            alertmanager={"url": am.url, "min_severity": "warning"},
            pushgateway={"url": pg.url, "job": "slowburn"},
            schedule={"cron": "0 * * * *"},
        )
        code, out, err = run(
            "run", "--config", str(config), "--at", AT, "--json", str(tmp_path / "live.json"), "--state", str(tmp_path / "state.json")
        )
        assert code == 0, err
        expected = {
            (s, dict(labels).get("persistentvolumeclaim"), k)
            for s, labels, k, sev in findings(tmp_path / "live.json")
            if sev in ("warning", "critical")
        }
        alerts = requests.get(am.url + "/api/v2/alerts", timeout=5).json()
        assert {(a["labels"]["signal"], a["labels"].get("persistentvolumeclaim"), _kind(a)) for a in alerts} == expected
        assert all(a["labels"]["dataset"] == "replicas" and a["generatorURL"].startswith(prometheus.url + "/graph?") for a in alerts)
        pushed = requests.get(pg.url + "/metrics", timeout=5).text
        assert 'slowburn_series_evaluated{instance="",job="slowburn"}' in pushed
        assert "slowburn_risk_severity{" in pushed
    finally:
        am.stop()
        pg.stop()


def test_a_run_that_cannot_reach_alertmanager_exits_7_and_the_next_run_delivers_what_it_kept(prometheus, tmp_path):
    port = free_port()
    config = live_config(tmp_path / "live.yaml", prometheus.url, alertmanager={"url": f"http://127.0.0.1:{port}"})
    state = tmp_path / "state.json"
    code, out, err = run("run", "--config", str(config), "--at", AT, "--state", str(state))
    assert code == 7, err
    assert "kept" in err and json.loads(state.read_text())["outbox"]
    kept = {_identity(a) for a in json.loads(state.read_text())["outbox"][f"http://127.0.0.1:{port}"]}
    flagged = [line for line in out.splitlines() if line.startswith(("WARN", "CRIT"))]
    assert kept and len(kept) == len(flagged)  # every warning or worse is kept for later
    am = start_alertmanager(
        write_alertmanager_config(tmp_path / "am.yml", "http://127.0.0.1:9/unused"), port=port, storage_dir=tmp_path / "am"
    )
    try:
        code, out, err = run("run", "--config", str(config), "--at", AT, "--state", str(state))
        assert code == 0, err
        delivered = {_identity(a) for a in requests.get(am.url + "/api/v2/alerts", timeout=5).json()}
        assert delivered == kept and json.loads(state.read_text())["outbox"] == {}
    finally:
        am.stop()


def test_a_live_run_with_prometheus_unreachable_exits_with_the_source_status_and_sends_nothing(tmp_path):
    config = live_config(tmp_path / "live.yaml", f"http://127.0.0.1:{free_port()}")
    document = yaml.safe_load(config.read_text())
    document["prometheus"]["retries"] = 0
    config.write_text(yaml.safe_dump(document))
    code, out, err = run("run", "--config", str(config), "--at", AT, "--state", str(tmp_path / "state.json"))
    assert code == 6, err
    assert "17 failed" in out


def test_a_dry_run_evaluates_and_sends_nothing(prometheus, tmp_path):
    port = free_port()
    config = live_config(tmp_path / "live.yaml", prometheus.url, alertmanager={"url": f"http://127.0.0.1:{port}"})
    code, out, err = run("run", "--config", str(config), "--at", AT, "--dry-run", "--state", str(tmp_path / "state.json"))
    assert code == 0, err
    assert "dry run" in err and not (tmp_path / "state.json").exists()


def test_explain_live_gives_the_same_gates_and_verdict_as_explain_on_the_exported_files(prometheus, tmp_path):
    series = 'pvc_used_bytes{namespace="redis",persistentvolumeclaim="data-redis-0"}'
    code, _, err = run(
        "explain",
        "--config",
        str(REPLICA_CONFIG),
        "--data",
        str(REPLICAS),
        "--series",
        series,
        "--at",
        AT,
        "--json",
        str(tmp_path / "offline.json"),
    )
    assert code == 0, err
    config = live_config(tmp_path / "live.yaml", prometheus.url)
    code, out, err = run("explain", "--config", str(config), "--series", series, "--at", AT, "--json", str(tmp_path / "live.json"))
    assert code == 0, err
    offline, live = (json.loads((tmp_path / name).read_text()) for name in ("offline.json", "live.json"))
    assert live["verdict"] == offline["verdict"] and live["verdict"].startswith(("breach_forecast", "at_ceiling"))
    assert [(g["name"], g["passed"]) for g in live["gates"]] == [(g["name"], g["passed"]) for g in offline["gates"]]
    assert "verdict:" in out


def _kind(alert: dict) -> str:
    names = {
        "SlowburnBreachForecast": "breach_forecast",
        "SlowburnAtCeiling": "at_ceiling",
        "SlowburnSustainedDrift": "sustained_drift",
        "SlowburnStepChange": "step_change",
        "SlowburnRegimeShift": "regime_shift",
        "SlowburnStoppedReporting": "stopped_reporting",
    }
    return names[alert["labels"]["alertname"]]


def _identity(alert: dict) -> tuple:
    return tuple(sorted(alert["labels"].items())), pd.Timestamp(alert["startsAt"])
