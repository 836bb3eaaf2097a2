"""`slowburn serve` as a real process: it runs at start, answers /metrics and /healthz, alerts, and
exits 0 soon after SIGTERM or SIGINT, even in the middle of a run."""

import json
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
import yaml

from detector.errors import ConfigError
from detector.service.http_server import Health, LastRun, parse_listen
from tests.integration.filling_disk import start_filling_disk_prometheus
from tests.integration.promstack import (
    free_port,
    missing_binaries,
    start_alertmanager,
    write_alertmanager_config,
)

ROOT = Path(__file__).resolve().parents[2]
SEED = 11
needs_servers = pytest.mark.skipif(bool(missing_binaries()), reason="Prometheus tools are not installed")


class Serve:
    """A ``slowburn serve`` child process on a free port."""

    def __init__(self, config: Path, state: Path, *extra: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "detector",
                "serve",
                "--config",
                str(config),
                "--listen",
                f"127.0.0.1:{self.port}",
                "--state",
                str(state),
                "--workers",
                "1",
                *extra,
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def get(self, path):
        return requests.get(self.url + path, timeout=5)

    def wait_for_health(self, status, timeout=60.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.process.communicate()
            try:
                body = self.get("/healthz").json()
                if body["status"] == status:
                    return body
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"/healthz never said {status!r}")

    def stop(self, sig=signal.SIGTERM, timeout=15.0):
        """Send ``sig`` and return (exit code, seconds it took, stderr)."""
        started = time.monotonic()
        self.process.send_signal(sig)
        _, err = self.process.communicate(timeout=timeout)
        return self.process.returncode, time.monotonic() - started, err

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


def write_config(path: Path, prometheus_url: str, **extra) -> Path:
    document = {
        "prometheus": {"url": prometheus_url, "retries": 0, "timeout": 30},
        "schedule": {"cron": "0 0 1 1 *"},  # the run at start is the only one during a test
        "signals": [{"name": "disk_used_bytes", "query": "disk_used_bytes", "ceiling": 100.0, "lookback": "120d"}],
        **extra,
    }
    path.write_text(yaml.safe_dump(document))
    return path


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    """A disk filling from 50 % to full in ~150 days, sampled hourly up to the last hour."""
    server = start_filling_disk_prometheus(tmp_path_factory.mktemp("tsdb"), SEED)
    yield server
    server.stop()


@pytest.mark.integration
@needs_servers
@pytest.mark.parametrize("with_store", [False, True], ids=["in-memory", "streamed-from-the-store"])
def test_serve_runs_at_start_exposes_metrics_and_health_alerts_and_exits_0_on_sigterm(prometheus, tmp_path, with_store):
    am = start_alertmanager(write_alertmanager_config(tmp_path / "am.yml", "http://127.0.0.1:9/unused"), storage_dir=tmp_path / "am")
    store = {"store": {"path": str(tmp_path / "history.db")}} if with_store else {}
    config = write_config(tmp_path / "c.yaml", prometheus.url, alertmanager={"url": am.url}, **store)
    serve = Serve(config, tmp_path / "state.json")
    try:
        health = serve.wait_for_health("ok")
        assert health["last_run"]["status"] == "OK" and serve.get("/healthz").status_code == 200
        metrics = serve.get("/metrics").text
        assert (
            'slowburn_risk_severity{kind="breach_forecast",pvc="data-0",series="{pvc=\\"data-0\\"}",signal="disk_used_bytes"} 1.0'
            in metrics
        )
        assert "slowburn_last_success_timestamp_seconds" in metrics and "slowburn_series_evaluated 1.0" in metrics
        (alert,) = requests.get(am.url + "/api/v2/alerts", timeout=5).json()
        assert alert["labels"]["alertname"] == "SlowburnBreachForecast" and alert["labels"]["pvc"] == "data-0"
        assert json.loads((tmp_path / "state.json").read_text())["active"]
        assert serve.get("/nothing").status_code == 404
        code, _, err = serve.stop(signal.SIGTERM)  # the time it takes: python3 -m benchmarks.timings
        assert code == 0, err
        assert "abandoning" not in err
        assert "SIGTERM received" in err and "stopped" in err
        assert (tmp_path / "history.db").is_file() == with_store
    finally:
        serve.kill()
        am.stop()


@pytest.mark.integration
@needs_servers
def test_healthz_is_503_when_the_last_run_could_not_reach_prometheus_and_sigint_still_exits_0(tmp_path):
    serve = Serve(write_config(tmp_path / "c.yaml", f"http://127.0.0.1:{free_port()}"), tmp_path / "state.json")
    try:
        body = serve.wait_for_health("failing")
        assert serve.get("/healthz").status_code == 503 and body["last_run"]["status"] == "SOURCE"
        assert 'slowburn_signal_failed{signal="disk_used_bytes"} 1.0' in serve.get("/metrics").text
        code, _, err = serve.stop(signal.SIGINT)
        assert code == 0, err
        assert "abandoning" not in err and "stopped" in err
    finally:
        serve.kill()


@pytest.mark.integration
def test_sigterm_during_a_run_that_hangs_abandons_it_after_the_shutdown_timeout_and_exits_0(tmp_path):
    silent = socket.socket()  # accepts connections, never answers: a hung Prometheus
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    accepted = []
    threading.Thread(target=lambda: accepted.append(silent.accept()), daemon=True).start()
    serve = Serve(
        write_config(tmp_path / "c.yaml", f"http://127.0.0.1:{silent.getsockname()[1]}"),
        tmp_path / "state.json",
        "--shutdown-timeout",
        "1s",
    )
    try:
        serve.wait_for_health("starting")
        deadline = time.monotonic() + 20
        while not accepted and time.monotonic() < deadline:
            time.sleep(0.1)
        assert accepted, "the run never queried the hung Prometheus"
        code, _, err = serve.stop(signal.SIGTERM)
        assert code == 0, err
        assert "abandoning the run in progress after 1 s" in err
    finally:
        serve.kill()
        silent.close()


def test_healthz_is_200_while_starting_within_the_grace_and_503_after_it():
    clock = [0.0]
    health = Health(grace_seconds=60, monotonic=lambda: clock[0])
    assert health.check()[0] == 200
    clock[0] = 61
    code, body = health.check()
    assert code == 503 and body["status"] == "no run finished"
    health.record(LastRun("PARTIAL", True, 0.0, 1.0))
    assert health.check()[0] == 200
    health.record(LastRun("STORE", False, 0.0, 1.0))
    assert health.check()[0] == 503


@pytest.mark.parametrize("text, expected", [("0.0.0.0:9464", ("0.0.0.0", 9464)), (":9464", ("0.0.0.0", 9464)), ("[::1]:0", ("::1", 0))])
def test_listen_addresses_parse_to_host_and_port(text, expected):
    assert parse_listen(text) == expected


@pytest.mark.parametrize("text", ["9464", "host:", "host:99999", "host:http"])
def test_a_bad_listen_address_is_a_config_error_naming_the_expected_form(text):
    with pytest.raises(ConfigError, match="HOST:PORT"):
        parse_listen(text)
