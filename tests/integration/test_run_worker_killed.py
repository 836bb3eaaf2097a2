"""`slowburn run --workers 2` as a user runs it, with one worker process killed mid-run (as the
kernel's OOM killer would): the run goes on with a fresh pool, says so in its notes, exits 0, and its
findings are those of a run in one process."""

from __future__ import annotations

import json
import os
import signal
import sys
import time

import pytest

from tests.integration.test_backtest_workers import ended, pool_workers, started
from tests.integration.test_run_interrupt import generated
from tests.integration.test_serve_stop import wait_until

pytestmark = pytest.mark.integration


def _run(config, data, workers: str, out) -> list[str]:
    return [sys.executable, "-m", "detector", "run", "--config", str(config), "--data", str(data), "--workers", workers, "--json", str(out)]


def test_a_worker_killed_mid_run_costs_a_fresh_pool_and_a_note_and_the_findings_are_those_of_one_process(tmp_path):
    config, data = generated(tmp_path)
    one = started(_run(config, data, "1", tmp_path / "one.json"))
    assert ended(one) and one.returncode == 0
    process = started(_run(config, data, "2", tmp_path / "two.json"))
    try:
        wait_until(lambda: len(pool_workers(process.pid)) >= 2 or process.poll() is not None, "two workers analysing")
        assert process.poll() is None, "the run ended before a worker could be killed: give it more series"
        time.sleep(0.5)  # the workers are busy with chunks
        os.kill(pool_workers(process.pid)[0], signal.SIGKILL)
    finally:
        out, err = ended(process)
    assert process.returncode == 0, err
    assert "Traceback" not in err
    single, pooled = (json.loads((tmp_path / name).read_text()) for name in ("one.json", "two.json"))
    assert pooled["findings"] == single["findings"]
    notes = [note for note in json.dumps(pooled.get("notes", [])).split('"') if "model worker process died" in note]
    assert notes, "the note saying the chunks of the dead worker were run again"
