"""--version, --help and config or usage errors never import the heavy libraries (they took 7-8 s).

Each case runs the real entry point in a fresh interpreter and reads ``sys.modules`` afterwards:
what was imported, not how long it took (the times are printed by ``python3 -m benchmarks.timings``).
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "replicas.yaml"
HEAVY = ("pandas", "numpy", "scipy", "matplotlib", "kubernetes", "apscheduler", "prometheus_client", "distributed", "dask")

_PROBE = f"""
import contextlib, io, json, sys
from detector.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    status = main(sys.argv[1:])
print(json.dumps({{"status": status, "heavy": sorted(m for m in {HEAVY!r} if m in sys.modules)}}))
"""


def heavy_modules_after(*argv: str, cwd: Path = ROOT) -> tuple[int, list[str]]:
    """Exit status of ``slowburn ARGV`` in a new interpreter, and the heavy modules it imported."""
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    return report["status"], report["heavy"]


@pytest.mark.parametrize(
    "argv",
    [
        ["--version"],
        ["--help"],
        ["run", "--help"],
        ["backtest", "--help"],
        ["serve", "--help"],
        ["explain", "--help"],
        ["limits", "--help"],
    ],
)
def test_version_and_help_import_none_of_the_heavy_libraries(argv):
    status, heavy = heavy_modules_after(*argv)
    assert status == 0
    assert heavy == []


@pytest.mark.parametrize("command", ["run", "backtest", "serve", "explain"])
def test_a_missing_config_file_is_a_config_error_without_the_heavy_libraries(command, tmp_path):
    extra = {"backtest": ["--data", str(tmp_path)], "explain": ["--series", "x"]}.get(command, [])
    status, heavy = heavy_modules_after(command, "--config", str(tmp_path / "missing.yaml"), *extra)
    assert status == 3
    assert heavy == []


def test_an_invalid_config_is_a_config_error_without_the_heavy_libraries(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("signals:\n  - name: x\n    query: up\n    lookbak: 30d\n")
    status, heavy = heavy_modules_after("run", "--config", str(bad), "--data", str(tmp_path))
    assert status == 3
    assert heavy == []


@pytest.mark.parametrize(
    "argv",
    [
        ["run"],  # argparse: --config is required
        ["run", "--config", "c.yaml", "--workers", "many"],
        ["run", "--config", "c.yaml", "--executor", "dask://"],
        ["serve", "--config", "c.yaml", "--executor", "tcp://scheduler:8786"],
        ["nosuchcommand"],
        ["limits"],  # neither --manifests nor --live
    ],
)
def test_usage_errors_import_none_of_the_heavy_libraries(argv):
    status, heavy = heavy_modules_after(*argv)
    assert status == 2
    assert heavy == []


def test_a_malformed_series_selector_is_a_usage_error_without_the_heavy_libraries():
    status, heavy = heavy_modules_after("explain", "--config", str(CONFIG), "--series", "not a selector{")
    assert status == 2
    assert heavy == []


def test_the_probe_sees_the_heavy_libraries_when_a_command_really_evaluates(tmp_path):
    """The check above can fail: a run that evaluates does import pandas, numpy and scipy."""
    status, heavy = heavy_modules_after("run", "--config", str(CONFIG), "--data", str(tmp_path))
    assert status != 0  # an empty data directory: every signal fails, after the models were loaded
    assert {"pandas", "numpy", "scipy"} <= set(heavy)


def test_the_probe_sees_distributed_when_a_run_uses_a_dask_scheduler(tmp_path):
    """Dask is imported only when a cluster is used (here one that does not answer: exit 10)."""
    pytest.importorskip("distributed", reason="the dask extra is not installed")
    config = tmp_path / "c.yaml"
    config.write_text(CONFIG.read_text() + "\nexecutor: {dask: {address: 'tcp://127.0.0.1:9', connect_timeout: 1s}}\n")
    status, heavy = heavy_modules_after("run", "--config", str(config), "--data", str(ROOT / "data" / "replicas"))
    assert status == 10
    assert "distributed" in heavy


@pytest.mark.parametrize("command", ["run", "serve", "explain"])
def test_a_live_run_without_a_prometheus_block_is_a_config_error_without_the_heavy_libraries(command):
    extra = ["--series", 'webhook_p99_seconds{name="vpa.k8s.io"}'] if command == "explain" else []
    status, heavy = heavy_modules_after(command, "--config", str(CONFIG), *extra)  # replicas.yaml has no prometheus:
    assert status == 3
    assert heavy == []


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "--at", "garbage"],
        ["run", "--at", "2026-02-30T00:00:00Z"],
        ["explain", "--series", "vpa_objects", "--at", "garbage"],
        ["backtest", "--start", "garbage"],
        ["backtest", "--end", "1e5"],
    ],
)
def test_a_malformed_time_is_a_usage_error_without_the_heavy_libraries(argv):
    status, heavy = heavy_modules_after(*argv, "--config", str(CONFIG), "--data", str(ROOT / "data" / "replicas"))
    assert status == 2
    assert heavy == []


@pytest.mark.parametrize("command", ["run", "backtest", "explain"])
def test_a_missing_data_directory_is_a_data_error_without_the_heavy_libraries(command, tmp_path):
    extra = ["--series", "vpa_objects"] if command == "explain" else []
    status, heavy = heavy_modules_after(command, "--config", str(CONFIG), "--data", str(tmp_path / "missing"), *extra)
    assert status == 4
    assert heavy == []


@pytest.mark.parametrize("command", ["run", "backtest", "limits", "serve"])
def test_a_missing_manifests_directory_is_a_config_error_without_the_heavy_libraries(command, tmp_path):
    config = [] if command == "limits" else ["--config", str(CONFIG)]
    data = ["--data", str(ROOT / "data" / "replicas")] if command in ("run", "backtest") else []
    if command == "serve":  # a live config, so the manifests are what is wrong
        live = tmp_path / "live.yaml"
        live.write_text(CONFIG.read_text() + "\nprometheus: {url: 'http://127.0.0.1:9'}\n")
        config = ["--config", str(live)]
    status, heavy = heavy_modules_after(command, *config, *data, "--manifests", str(tmp_path / "missing"))
    assert status == 3
    assert heavy == []


def test_a_missing_incidents_file_is_an_incidents_error_without_the_heavy_libraries(tmp_path):
    status, heavy = heavy_modules_after(
        "backtest", "--config", str(CONFIG), "--data", str(ROOT / "data" / "replicas"), "--incidents", str(tmp_path / "missing.yaml")
    )
    assert status == 9
    assert heavy == []


@pytest.mark.parametrize("command", ["run", "serve"])
@pytest.mark.parametrize("schedule", ['{cron: "61 * * * *"}', '{cron: "0 * * * *", run_deadline: 1h}'])
def test_a_bad_schedule_is_a_config_error_before_anything_but_the_cron_parser_is_imported(command, schedule, tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(f'prometheus: {{url: "http://127.0.0.1:1"}}\nschedule: {schedule}\nsignals: [{{name: a, query: up}}]\n')
    status, heavy = heavy_modules_after(command, "--config", str(config))
    assert status == 3
    assert set(heavy) <= {"apscheduler"}  # APScheduler's own crontab parser checks the line
