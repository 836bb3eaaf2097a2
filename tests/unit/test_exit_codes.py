"""Every documented exit code (README table, ``errors.ExitStatus``) is what the real CLI returns
for its cause: one test per code, each through ``detector.cli.main`` (or the interpreter for a bug).
EXECUTOR (10) belongs to the Dask work and is tested there."""

from __future__ import annotations

import io
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from detector.cli import main
from detector.core.environment import Environment
from detector.errors import ExitStatus

ROOT = Path(__file__).resolve().parents[2]
NOW = pd.Timestamp("2026-03-01T00:00:00Z")
DAYS = 40


def slowburn(*argv: str, now=lambda: NOW) -> tuple[int, str]:
    """The exit status and everything said (stdout, then stderr)."""
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), Environment(stdout=out, stderr=err, now=now, environ={}))
    return status, out.getvalue() + err.getvalue()


def write_signal(directory: Path, name: str, seed: int) -> None:
    """DAYS of hourly, seeded, flat noise for one series of ``name`` (a CSV export)."""
    rng = np.random.default_rng(seed)
    stamps = pd.date_range(NOW - pd.Timedelta(days=DAYS), periods=DAYS * 24, freq="h")
    rows = [f"{t:%Y-%m-%dT%H:%M:%SZ},{50 + v:.3f},a" for t, v in zip(stamps, rng.normal(0, 1, len(stamps)), strict=False)]
    (directory / f"{name}.csv").write_text("timestamp,value,pod\n" + "\n".join(rows) + "\n")


def write_config(tmp_path: Path, **extra) -> Path:
    signals = [{"name": "disk", "query": "disk", "ceiling": 100.0}, {"name": "queue", "query": "queue", "ceiling": 100.0}]
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"signals": signals, **extra}))
    return path


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture()
def data(tmp_path: Path) -> Path:
    directory = tmp_path / "data"
    directory.mkdir()
    write_signal(directory, "disk", seed=1)
    write_signal(directory, "queue", seed=2)
    return directory


def test_ok_0_when_every_signal_was_evaluated(tmp_path, data):
    status, said = slowburn("run", "--config", str(write_config(tmp_path)), "--data", str(data))
    assert status == ExitStatus.OK == 0, said


def test_error_1_when_a_bug_escapes_with_its_traceback(tmp_path, data):
    probe = (
        "import sys\nfrom detector.cli import main\nfrom detector.core.environment import Environment\n"
        "def broken_clock():\n    raise RuntimeError('a bug')\n"
        f"sys.exit(main(['run', '--config', {str(write_config(tmp_path))!r}, '--data', {str(data)!r}], Environment(now=broken_clock)))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == ExitStatus.ERROR == 1
    assert "Traceback" in result.stderr and "RuntimeError: a bug" in result.stderr


def test_usage_2_for_a_malformed_option_value(tmp_path, data):
    status, said = slowburn("run", "--config", str(write_config(tmp_path)), "--data", str(data), "--at", "yesterday")
    assert status == ExitStatus.USAGE == 2 and "--at" in said


def test_config_3_for_a_config_file_that_is_not_there(tmp_path, data):
    status, said = slowburn("run", "--config", str(tmp_path / "missing.yaml"), "--data", str(data))
    assert status == ExitStatus.CONFIG == 3 and "missing.yaml" in said


@pytest.mark.parametrize("command", [["run"], ["backtest"], ["explain", "--series", "disk"]])
def test_data_4_for_an_empty_data_directory_in_every_command(tmp_path, command):
    empty = tmp_path / "empty"
    empty.mkdir()
    status, said = slowburn(*command, "--config", str(write_config(tmp_path)), "--data", str(empty))
    assert status == ExitStatus.DATA == 4, said
    assert str(empty) in said and "Traceback" not in said


def test_partial_5_when_one_signal_of_two_failed(tmp_path, data):
    (data / "queue.csv").unlink()
    status, said = slowburn("run", "--config", str(write_config(tmp_path)), "--data", str(data))
    assert status == ExitStatus.PARTIAL == 5 and "queue" in said


def test_partial_5_from_a_backtest_when_one_signal_of_two_failed(tmp_path, data):
    (data / "queue.csv").unlink()
    status, said = slowburn("backtest", "--config", str(write_config(tmp_path)), "--data", str(data), "--every", "7d")
    assert status == ExitStatus.PARTIAL == 5, said


def test_source_6_when_prometheus_cannot_be_reached(tmp_path):
    config = write_config(tmp_path, prometheus={"url": f"http://127.0.0.1:{closed_port()}", "retries": 0, "timeout": 2})
    status, said = slowburn("run", "--config", str(config))
    assert status == ExitStatus.SOURCE == 6 and "127.0.0.1" in said


def test_sink_7_when_the_json_output_cannot_be_written(tmp_path, data):
    target = tmp_path / "no-such-dir" / "findings.json"
    status, said = slowburn("run", "--config", str(write_config(tmp_path)), "--data", str(data), "--json", str(target))
    assert status == ExitStatus.SINK == 7 and str(target) in said


def test_store_8_when_the_history_store_cannot_be_opened(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    config = write_config(
        tmp_path,
        prometheus={"url": f"http://127.0.0.1:{closed_port()}", "retries": 0, "timeout": 2},
        store={"path": str(blocker / "history.db")},
    )
    status, said = slowburn("run", "--config", str(config))
    assert status == ExitStatus.STORE == 8, said


def test_incidents_9_for_a_malformed_incidents_file(tmp_path, data):
    incidents = tmp_path / "incidents.yaml"
    incidents.write_text("- signal: no_such_signal\n  at: 2026-01-01T00:00:00Z\n")
    status, said = slowburn("backtest", "--config", str(write_config(tmp_path)), "--data", str(data), "--incidents", str(incidents))
    assert status == ExitStatus.INCIDENTS == 9 and "incidents.yaml" in said


def test_interrupted_130_when_ctrl_c_arrives_during_a_run(tmp_path, data):
    def interrupted_clock() -> pd.Timestamp:
        raise KeyboardInterrupt

    status, said = slowburn("run", "--config", str(write_config(tmp_path)), "--data", str(data), now=interrupted_clock)
    assert status == ExitStatus.INTERRUPTED == 130 and "interrupted" in said and "Traceback" not in said
