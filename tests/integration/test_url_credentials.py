"""Credentials written into URLs (`http://user:password@host`) are used for the requests and never
shown, stored or sent on: a secret planted in the Prometheus, Alertmanager and Pushgateway URLs
appears in no output of `slowburn run`, its state file, the alerts the real Alertmanager received,
or the metrics the real Pushgateway holds, whether the servers are up or down."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import requests
import yaml

from tests.integration.filling_disk import start_filling_disk_prometheus
from tests.integration.promstack import (
    free_port,
    missing_binaries,
    start_alertmanager,
    start_pushgateway,
    write_alertmanager_config,
)

pytestmark = [pytest.mark.integration, pytest.mark.skipif(bool(missing_binaries()), reason="Prometheus tools are not installed")]
ROOT = Path(__file__).resolve().parents[2]
SEED = 12
SECRETS = {"prometheus": "prom-pw-7f3a91", "alertmanager": "am-pw-2c8e44", "pushgateway": "pg-pw-9b1d07"}


def with_secret(url: str, part: str) -> str:
    return url.replace("http://", f"http://slowburn:{SECRETS[part]}@")


@pytest.fixture(scope="module")
def filling_disk(tmp_path_factory):
    """A disk going from 50 % to full in ~150 days, hourly, up to the last hour: a breach is forecast."""
    server = start_filling_disk_prometheus(tmp_path_factory.mktemp("tsdb"), SEED)
    yield server
    server.stop()


def slowburn_run(tmp_path: Path, name: str, prometheus: str, alertmanager: str, pushgateway: str) -> str:
    config = tmp_path / f"{name}.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "prometheus": {"url": prometheus, "retries": 1, "timeout": 5},
                "alertmanager": {"url": alertmanager, "timeout": 5},
                "pushgateway": {"url": pushgateway, "timeout": 5},
                "signals": [{"name": "disk_used_bytes", "query": "disk_used_bytes", "ceiling": 100.0, "lookback": "120d"}],
            }
        )
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "detector",
            "run",
            "--config",
            str(config),
            "--state",
            str(tmp_path / "state.json"),
            "--json",
            str(tmp_path / f"{name}.json"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    json_out = tmp_path / f"{name}.json"
    return "\n".join([done.stdout, done.stderr, json_out.read_text() if json_out.exists() else ""])


def test_a_password_in_any_url_reaches_no_output_state_alert_or_pushed_metric(filling_disk, tmp_path):
    am = start_alertmanager(write_alertmanager_config(tmp_path / "am.yml", "http://127.0.0.1:9/unused"), storage_dir=tmp_path / "am")
    gateway = start_pushgateway()
    down = f"http://127.0.0.1:{free_port()}"
    try:
        prometheus_url = with_secret(filling_disk.url, "prometheus")
        outputs = {
            "all up": slowburn_run(
                tmp_path, "up", prometheus_url, with_secret(am.url, "alertmanager"), with_secret(gateway.url, "pushgateway")
            ),
            "sinks down": slowburn_run(
                tmp_path, "sinks-down", prometheus_url, with_secret(down, "alertmanager"), with_secret(down, "pushgateway")
            ),
            "prometheus down": slowburn_run(
                tmp_path,
                "prom-down",
                with_secret(down, "prometheus"),
                with_secret(am.url, "alertmanager"),
                with_secret(gateway.url, "pushgateway"),
            ),
        }
        alerts = requests.get(am.url + "/api/v2/alerts", timeout=5).json()
        pushed = requests.get(gateway.url + "/metrics", timeout=5).text
    finally:
        am.stop()
        gateway.stop()
    outputs["state file"] = (tmp_path / "state.json").read_text()
    outputs["alertmanager's alerts"] = str(alerts)
    outputs["pushgateway's metrics"] = pushed
    # what the outputs must still say: the link to the Prometheus query, the unreachable endpoints, the metrics
    assert alerts and all(a["generatorURL"].startswith(filling_disk.url + "/graph?") for a in alerts)
    assert down.removeprefix("http://") in outputs["sinks down"] and down.removeprefix("http://") in outputs["prometheus down"]
    assert "slowburn_last_success_timestamp_seconds" in pushed
    leaks = [(where, part) for where, text in outputs.items() for part, secret in SECRETS.items() if secret in text]
    assert leaks == []
