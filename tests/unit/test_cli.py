"""The real `slowburn` entry point: output, exit codes, and one-line errors for bad input."""

import io
import json
import shutil
from pathlib import Path

import pytest

from detector.cli import main
from detector.core.environment import Environment
from detector.errors import ExitStatus

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "replicas.yaml"
REPLICAS = ROOT / "data" / "replicas"


def slowburn(*argv):
    out, err = io.StringIO(), io.StringIO()
    try:
        status = main(list(argv), Environment(stdout=out, stderr=err))
    except SystemExit as exc:  # argparse usage errors
        status = exc.code
    return status, out.getvalue(), err.getvalue()


@pytest.fixture()
def data_copy(tmp_path):
    target = tmp_path / "data"
    shutil.copytree(REPLICAS, target)
    return target


def test_run_prints_findings_and_writes_json_with_the_same_findings(tmp_path):
    out_json = tmp_path / "findings.json"
    status, out, err = slowburn(
        "run", "--config", str(CONFIG), "--data", str(REPLICAS), "--at", "2026-01-10T00:00:00Z", "--json", str(out_json)
    )
    assert status == ExitStatus.OK, err
    document = json.loads(out_json.read_text())
    assert document["evaluated_at"] == "2026-01-10T00:00:00Z"
    flagged = {f["signal"] for f in document["findings"] if f["severity"] in ("warning", "critical")}
    assert {"pvc_used_bytes", "webhook_p99_seconds", "backend_memory_bytes"} <= flagged
    for finding in document["findings"]:
        assert finding["summary"] in out


def test_python_dash_m_detector_is_the_same_program():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "detector", "--version"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0 and result.stdout.startswith("slowburn ")


def test_a_corrupt_file_fails_its_signal_only_with_a_partial_exit_code(data_copy):
    (data_copy / "vpa_objects.json").write_text('{"status": "success", "data": {"resultType": "matrix", "result": [')
    status, out, err = slowburn("run", "--config", str(CONFIG), "--data", str(data_copy))
    assert status == ExitStatus.PARTIAL
    assert "vpa_objects.json:1:" in out
    assert "pvc_used_bytes" in out  # the other signals still ran


def test_an_empty_file_names_itself(data_copy):
    (data_copy / "vpa_objects.json").write_text("")
    status, out, _ = slowburn("run", "--config", str(CONFIG), "--data", str(data_copy))
    assert status == ExitStatus.PARTIAL and "vpa_objects.json" in out


@pytest.mark.parametrize(
    "argv, expected_status, fragment",
    [
        (["run", "--config", "missing.yaml", "--data", str(REPLICAS)], ExitStatus.CONFIG, "missing.yaml: file not found"),
        (["run", "--config", str(CONFIG), "--data", "/nonexistent/dir"], ExitStatus.DATA, "/nonexistent/dir"),
        (["run", "--config", str(CONFIG), "--data", str(REPLICAS), "--at", "yesterday-ish"], ExitStatus.USAGE, "--at"),
        (["backtest", "--config", str(CONFIG), "--data", str(REPLICAS), "--every", "0d"], ExitStatus.USAGE, "--every"),
        (["backtest", "--config", str(CONFIG), "--data", str(REPLICAS), "--every=-1d"], ExitStatus.USAGE, "--every"),
        (["frobnicate"], ExitStatus.USAGE, "invalid choice"),
    ],
)
def test_bad_input_is_one_line_with_a_distinct_exit_code(argv, expected_status, fragment):
    status, _, err = slowburn(*argv)
    assert status == expected_status
    assert fragment in err
    assert "Traceback" not in err and err.count("\n") == 1


def test_a_malformed_incidents_file_is_its_own_error(tmp_path):
    bad = tmp_path / "incidents.yaml"
    bad.write_text("- signal: no_such_signal\n  at: 2026-01-01T00:00:00Z\n")
    status, _, err = slowburn("backtest", "--config", str(CONFIG), "--data", str(REPLICAS), "--incidents", str(bad))
    assert status == ExitStatus.INCIDENTS
    assert f"{bad}:1" in err and "no_such_signal" in err


def test_a_config_error_points_at_the_file_and_line(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("signals:\n  - name: a\n    ceiling: {signal: nope}\n")
    status, _, err = slowburn("run", "--config", str(config), "--data", str(REPLICAS))
    assert status == ExitStatus.CONFIG
    assert f"{config}:3" in err and "nope" in err


def test_all_nan_and_single_point_series_are_reported_and_the_rest_runs(tmp_path):
    data = tmp_path / "d"
    data.mkdir()
    (data / "flat.csv").write_text("timestamp,value\n2025-01-01T00:00:00Z,NaN\n2025-01-01T01:00:00Z,NaN\n")
    (data / "single.csv").write_text("timestamp,value\n2025-01-01T00:00:00Z,1\n")
    rows = "\n".join(f"{1735689600 + 3600 * i},{100 + i % 24}" for i in range(24 * 40))
    (data / "fine.csv").write_text("timestamp,value\n" + rows + "\n")
    config = tmp_path / "c.yaml"
    config.write_text("signals:\n  - name: flat\n  - name: single\n  - name: fine\n")
    status, out, _ = slowburn("run", "--config", str(config), "--data", str(data))
    assert status == ExitStatus.PARTIAL
    assert "flat.csv" in out and "single.csv" in out
    assert "series 1 evaluated" in out
