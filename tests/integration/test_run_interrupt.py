"""Ctrl-C during a one-shot `slowburn run --workers 2`: the workers ignore it, the main process ends
every child, prints one line and no traceback, and exits 130 (as `serve` does with its pool)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from tests.integration.test_serve_stop import HANG_GUARD, session_members, wait_until

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
SERIES = 1200  # enough series for the pool (64 or more) and a pool phase of seconds even with fork
DAYS = 45


def generated(tmp_path: Path) -> tuple[Path, Path]:
    """A data directory with SERIES noisy upward series, hourly for DAYS days, and its config."""
    rng = np.random.default_rng(11)
    hours = DAYS * 24
    stamps = pd.Timestamp("2026-01-01T00:00:00Z").timestamp() + 3600.0 * np.arange(hours)
    rows = ["timestamp,value,pod"]
    for pod in range(SERIES):
        values = 10 + 0.002 * np.arange(hours) * rng.uniform(0.5, 2) + rng.normal(0, 1, hours)
        rows.extend(f"{t:.0f},{v:.4f},p{pod}" for t, v in zip(stamps, values, strict=True))
    data = tmp_path / "data"
    data.mkdir()
    (data / "load.csv").write_text("\n".join(rows) + "\n")
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({"signals": [{"name": "load", "query": "load", "lookback": f"{DAYS}d", "ceiling": 100}]}))
    return config, data


def as_from_a_terminal() -> None:
    """Ctrl-C's default action in the child, as a shell in a terminal gives it: a test runner started
    in the background of a script inherits SIGINT ignored (POSIX), and the child would inherit that too."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("later", [0.0, 1.0], ids=["as-the-workers-start", "while-they-work"])
def test_ctrl_c_during_a_run_with_two_workers_ends_every_child_with_one_line_and_exit_130(tmp_path, later):
    config, data = generated(tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "detector", "run", "--config", str(config), "--data", str(data), "--workers", "2"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=as_from_a_terminal,
    )
    try:
        # two or more children (the workers, or a forkserver and a resource tracker first): the pool is starting
        wait_until(lambda: len(session_members(process.pid)) >= 3 or process.poll() is not None, "the pool started")
        time.sleep(later)  # not a timing assertion: only where in the run the signal lands
        assert process.poll() is None, "the run ended before the pool could be interrupted: give it more series"
        children = [pid for pid, _ in session_members(process.pid) if pid != process.pid]
        os.killpg(process.pid, signal.SIGINT)
        out, err = process.communicate(timeout=HANG_GUARD)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 130, err
    assert err.splitlines() == ["slowburn: interrupted"], err
    assert "Traceback" not in out + err and len(children) >= 2
    wait_until(lambda: not session_members(process.pid), "every child of the run ended")
