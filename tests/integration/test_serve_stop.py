"""Stopping `slowburn serve` (workers > 1) while a run is stuck on a Prometheus that never answers:
SIGTERM or Ctrl-C to the whole process group ends every child (pool workers, forkserver, resource
tracker), prints one line and no traceback, and exits 0."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import yaml

from tests.integration.loopback_http import LoopbackHTTPServer, Recorded
from tests.integration.promstack import free_port

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
HANG_GUARD = 60.0


def session_members(sid: int) -> list[tuple[int, str]]:
    """(pid, command) of every live (non-zombie) process in session ``sid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_text().replace("\0", " ")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[3]) == sid and fields[0] != "Z":
            found.append((int(entry.name), command))
    return found


def wait_until(condition, what: str, timeout: float = HANG_GUARD) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"never happened: {what}")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_to_the_process_group_during_a_stuck_run_ends_every_child_with_one_line(tmp_path, sig):
    def stall(request: Recorded) -> tuple[int, dict[str, str], bytes]:
        server.stopping.wait(HANG_GUARD)
        return 503, {}, b""

    with LoopbackHTTPServer(stall) as server:
        config = tmp_path / "c.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "prometheus": {"url": server.url, "retries": 0, "timeout": 120, "query_deadline": 600},
                    "schedule": {"cron": "0 0 1 1 *", "run_deadline": 900},
                    "signals": [{"name": "disk", "query": "disk_used_bytes", "ceiling": 100.0, "lookback": "30d"}],
                }
            )
        )
        port = free_port()
        serve = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "detector",
                "serve",
                "--config",
                str(config),
                "--listen",
                f"127.0.0.1:{port}",
                "--state",
                str(tmp_path / "state.json"),
                "--workers",
                "2",
                "--shutdown-timeout",
                "1s",
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            wait_until(lambda: server.requests, "the run queried the stuck Prometheus")
            # serve, the forkserver, the resource tracker and the pool's workers are up: what must not be orphaned
            wait_until(lambda: len(session_members(serve.pid)) >= 4, "serve started its worker processes")
            assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json()["status"] == "starting"
            os.killpg(serve.pid, sig)
            out, err = serve.communicate(timeout=HANG_GUARD)
        finally:
            if serve.poll() is None:
                os.killpg(serve.pid, signal.SIGKILL)
                serve.communicate()
    lines = err.strip().splitlines()
    assert serve.returncode == 0, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert lines[0].startswith("slowburn: serving /metrics") and len(lines) == 2, err
    assert lines[1] == f"slowburn: {sig.name} received: stopped, abandoning the run in progress after 1 s"
    wait_until(lambda: not session_members(serve.pid), "every child process ended", timeout=5)
