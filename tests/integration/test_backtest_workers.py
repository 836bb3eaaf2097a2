"""`slowburn backtest --workers 2` as a user runs it: Ctrl-C ends every child with one line and exit
130; a worker killed mid-replay costs a retry and a line on stderr, and the scores are those of the
replay in one process, byte for byte."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration.test_run_interrupt import as_from_a_terminal
from tests.integration.test_serve_stop import HANG_GUARD, session_members, wait_until

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
REPLICAS = ROOT / "data" / "replicas"
SPAN = ["--start", "2025-10-01T00:00:00Z", "--end", "2025-12-19T00:00:00Z"]  # 80 evaluations: 10 steps of 8
SHORT_SPAN = ["--start", "2025-12-01T00:00:00Z", "--end", "2025-12-16T00:00:00Z"]  # 16 evaluations: 2 steps, a worker idle


def backtest(*extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "detector",
        "backtest",
        "--config",
        str(ROOT / "config" / "replicas.yaml"),
        "--data",
        str(REPLICAS),
        "--incidents",
        str(REPLICAS / "incidents.yaml"),
        *extra,
    ]


def started(command: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=as_from_a_terminal,
    )


def parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat[stat.rindex(")") + 2 :].split()[1])


def pool_workers(main: int) -> list[int]:
    """The processes replaying steps: every process of the run but the main one, its forkserver
    (a child of the main process) and the resource tracker (whatever the pool's start method)."""
    members = [(pid, command) for pid, command in session_members(main) if pid != main and "resource_tracker" not in command]
    return [pid for pid, command in members if not ("forkserver" in command and parent_of(pid) == main)]


def ended(process: subprocess.Popen[str]) -> tuple[str, str]:
    try:
        return process.communicate(timeout=HANG_GUARD * 4)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.mark.parametrize(
    ("span", "workers", "later"),
    [([], "2", 0.0), ([], "2", 1.0), (SHORT_SPAN, "4", 1.0)],
    ids=["as-the-workers-start", "while-they-work", "with-fewer-steps-than-workers"],
)
def test_ctrl_c_during_a_backtest_with_workers_ends_every_child_with_one_line_and_exit_130(span, workers, later):
    process = started(backtest(*span, "--workers", workers))
    try:
        wait_until(lambda: len(session_members(process.pid)) >= 3 or process.poll() is not None, "the pool started")
        time.sleep(later)  # not a timing assertion: only where in the replay the signal lands
        assert process.poll() is None, "the backtest ended before its pool could be interrupted"
        children = [pid for pid, _ in session_members(process.pid) if pid != process.pid]
        os.killpg(process.pid, signal.SIGINT)
    finally:
        out, err = ended(process)
    assert process.returncode == 130, err
    assert err.splitlines() == ["slowburn: interrupted"], err
    assert "Traceback" not in out + err and len(children) >= 2
    wait_until(lambda: not session_members(process.pid), "every child of the backtest ended")


def test_a_worker_killed_mid_replay_costs_a_retry_and_a_line_and_the_scores_are_those_of_one_process(tmp_path):
    serial = subprocess.run(
        backtest(*SPAN, "--workers", "1", "--json", str(tmp_path / "one.json")),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD * 4,
    )
    assert serial.returncode == 0, serial.stderr
    process = started(backtest(*SPAN, "--workers", "2", "--json", str(tmp_path / "two.json")))
    try:
        wait_until(lambda: len(pool_workers(process.pid)) >= 2 or process.poll() is not None, "two workers replaying")
        assert process.poll() is None, "the backtest ended before a worker could be killed: give it more evaluations"
        os.kill(pool_workers(process.pid)[0], signal.SIGKILL)
    finally:
        out, err = ended(process)
    assert process.returncode == 0, err
    assert [line for line in err.splitlines() if "worker" in line] == [
        line for line in err.splitlines() if line.startswith("slowburn: a backtest worker died: ")
    ]
    assert any(line.startswith("slowburn: a backtest worker died: ") for line in err.splitlines()), err
    assert out == serial.stdout
    assert (tmp_path / "two.json").read_bytes() == (tmp_path / "one.json").read_bytes()
    assert json.loads((tmp_path / "two.json").read_text())["evaluations"] == 80
    wait_until(lambda: not session_members(process.pid), "every child of the backtest ended")
