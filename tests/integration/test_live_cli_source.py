"""The shipped catalog runs against any Prometheus named on the command line, and a Prometheus that
cannot be reached costs one line on stderr, not one per signal and retry."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from detector.configuration.schema import load_config
from tests.integration.fault_proxy import FaultProxy
from tests.integration.promstack import free_port, missing_binaries

pytestmark = [pytest.mark.integration, pytest.mark.skipif(bool(missing_binaries()), reason="Prometheus tools are not installed")]
ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "config" / "default.yaml"


def slowburn(*argv: str, environ: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "SLOWBURN_PROMETHEUS_URL"} | (environ or {})
    return subprocess.run([sys.executable, "-m", "detector", *argv], cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)


@pytest.mark.parametrize("how", ["flag", "environment", "flag over environment"])
def test_the_shipped_catalog_queries_the_prometheus_given_on_the_command_line(prometheus, tmp_path, how):
    with FaultProxy(prometheus.url, {}) as proxy:
        flag = ["--prometheus", proxy.url] if how != "environment" else []
        environ = {"SLOWBURN_PROMETHEUS_URL": proxy.url if how == "environment" else f"http://127.0.0.1:{free_port()}"}
        done = slowburn("run", "--config", str(CATALOG), "--dry-run", "--state", str(tmp_path / "s.json"), *flag, environ=environ)
        asked = set(proxy.seen)
    assert "needs 'prometheus" not in done.stderr and "Traceback" not in done.stderr
    queries = {s.query for s in load_config(CATALOG).signals}
    assert asked - {f"count({q})" for q in queries} == queries, done.stdout + done.stderr  # count(): absent or too young?


def test_an_unreachable_prometheus_costs_one_line_on_stderr_however_many_signals_and_retries(tmp_path):
    down = f"http://127.0.0.1:{free_port()}"
    config = tmp_path / "c.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "prometheus": {"url": down, "retries": 2, "concurrency": 2},
                "signals": [{"name": f"s{i}", "query": f"metric_{i}", "lookback": "30d"} for i in range(6)],
            }
        )
    )
    done = slowburn("run", "--config", str(config), "--state", str(tmp_path / "s.json"))
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 6
    assert len(lines) == 1 and down.removeprefix("http://") in lines[0] and "Connection refused" in lines[0], done.stderr
    failed = [line for line in done.stdout.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 6 and all("Connection refused" in line for line in failed)
