"""``slowburn backtest --executor dask://HOST:PORT`` on a real Dask cluster on 127.0.0.1: the scores of
the replay in one process, byte for byte; the data is scattered to the workers once, not sent with
every step."""

from __future__ import annotations

import io
import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from detector.cli import main
from detector.core.environment import Environment
from detector.engine.executor import LostChunk
from detector.errors import ExitStatus
from tests.integration.dask_cluster import DaskCluster, dask_missing, start_dask_cluster

pytestmark = pytest.mark.skipif(dask_missing(), reason="needs the dask command and the distributed package (pip install .[dask])")
ROOT = Path(__file__).resolve().parents[2]
REPLICAS = ROOT / "data" / "replicas"
SPAN = ("--start", "2025-11-01T00:00:00Z", "--end", "2025-11-24T00:00:00Z")  # 24 evaluations: 3 steps


@pytest.fixture(scope="module")
def cluster() -> Iterator[DaskCluster]:
    with start_dask_cluster(workers=2) as started:
        yield started


def backtest(tmp_path: Path, name: str, *extra: str) -> tuple[int, str, str, bytes]:
    out, err = io.StringIO(), io.StringIO()
    document = tmp_path / f"{name}.json"
    argv = ["backtest", "--config", str(ROOT / "config" / "replicas.yaml"), "--data", str(REPLICAS), "--incidents"]
    argv += [str(REPLICAS / "incidents.yaml"), *SPAN, "--json", str(document), *extra]
    status = main(argv, Environment(stdout=out, stderr=err))
    return status, out.getvalue(), err.getvalue(), document.read_bytes() if document.exists() else b""


def test_a_backtest_on_dask_scores_exactly_what_the_local_replay_scores(cluster, tmp_path):
    local_status, local_out, _, local_json = backtest(tmp_path, "local", "--workers", "1")
    dask_status, dask_out, err, dask_json = backtest(tmp_path, "dask", "--executor", cluster.flag)
    assert dask_status == local_status == ExitStatus.OK, err
    assert json.loads(local_json)["evaluations"] == 24 and json.loads(local_json)["series"]  # there is something to compare
    assert dask_json == local_json and dask_out == local_out


def test_workers_given_with_a_dask_executor_are_said_to_be_unused(cluster, tmp_path):
    status, _, err, _ = backtest(tmp_path, "dask", "--executor", cluster.flag, "--workers", "3")
    assert status == ExitStatus.OK, err
    assert "slowburn: --workers 3 is not used: the models run on the Dask cluster (--executor)" in err


def test_an_unreachable_scheduler_is_one_line_and_exit_10(tmp_path):
    from tests.integration.promstack import free_port

    status, out, err, _ = backtest(tmp_path, "none", "--executor", f"dask://127.0.0.1:{free_port()}")
    assert status == ExitStatus.EXECUTOR == 10
    assert len(err.strip().splitlines()) == 1 and "cannot reach the Dask scheduler" in err and out == ""


def test_the_inputs_reach_each_dask_worker_once_not_once_per_step(cluster, tmp_path):
    from detector.backtest.dask_steps import DaskSteps
    from detector.configuration.dask_address import parse_dask_address
    from detector.configuration.executor_settings import DaskSettings
    from detector.engine.dask_executor import dask_executor
    from tests.unit.test_step_pool import Inputs, add_offset

    log, finished = tmp_path / "arrivals", []
    with dask_executor(DaskSettings(address=parse_dask_address(cluster.flag, "dask").tcp), "test") as executor:
        results = DaskSteps(executor).run_steps(add_offset, Inputs(log, 100), list(range(12)), finished.append)
    assert results == [100 + step for step in range(12)] and sorted(finished) == list(range(12))
    assert 1 <= len(log.read_text().split()) <= len(cluster.workers)


def slow_step(inputs, step: int) -> int:
    """A step that says it started (``STARTED``/PID) and takes a moment, so a test can kill its worker."""
    marker = inputs.log.parent / "started"
    marker.mkdir(exist_ok=True)
    (marker / str(os.getpid())).write_text("")
    time.sleep(1.5)
    return step + inputs.offset


def kill_started_workers(marker: Path, victims: int, cluster: DaskCluster) -> threading.Thread:
    def kill() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (marker.exists() and any(marker.iterdir())):
            time.sleep(0.05)
        started = [int(p.name) for p in marker.iterdir()] if marker.exists() else []
        pids = started[:1] if victims == 1 else [w.pid for w in cluster.workers]
        for pid in pids:
            os.kill(pid, signal.SIGKILL)

    killer = threading.Thread(target=kill, daemon=True)
    killer.start()
    return killer


@pytest.fixture
def fresh_cluster() -> Iterator[DaskCluster]:
    """A cluster of its own, for a test that kills its workers."""
    with start_dask_cluster(workers=2) as started:
        yield started


def _steps_on(cluster: DaskCluster, worker_wait: float):
    from detector.configuration.dask_address import parse_dask_address
    from detector.configuration.executor_settings import DaskSettings
    from detector.engine.dask_executor import dask_executor

    settings = DaskSettings(address=parse_dask_address(cluster.flag, "dask").tcp, connect_timeout=20, worker_wait=worker_wait)
    return dask_executor(settings, "--executor")


def test_a_dask_worker_killed_mid_replay_costs_time_not_steps(fresh_cluster, tmp_path):
    from detector.backtest.dask_steps import DaskSteps
    from tests.unit.test_step_pool import Inputs

    with _steps_on(fresh_cluster, 30.0) as executor:
        killer = kill_started_workers(tmp_path / "started", 1, fresh_cluster)
        results = DaskSteps(executor).run_steps(slow_step, Inputs(tmp_path / "log", 100), list(range(6)), lambda i: None)
        killer.join(timeout=60)
    assert sorted(w.process.poll() for w in fresh_cluster.workers if w.process.poll() is not None) == [-signal.SIGKILL]
    assert results == [100 + step for step in range(6)]


def test_when_every_dask_worker_is_gone_the_steps_not_replayed_come_back_lost_not_dropped(fresh_cluster, tmp_path):
    from detector.backtest.dask_steps import DATA_LOST, DaskSteps
    from tests.unit.test_step_pool import Inputs

    with _steps_on(fresh_cluster, 1.0) as executor:
        killer = kill_started_workers(tmp_path / "started", 2, fresh_cluster)
        results = DaskSteps(executor).run_steps(slow_step, Inputs(tmp_path / "log", 100), list(range(6)), lambda i: None)
        killer.join(timeout=60)
    lost = [r for r in results if isinstance(r, LostChunk)]
    assert len(results) == 6 and lost
    assert all(r.reason == DATA_LOST or r.reason.startswith("no Dask worker left in tcp://127.0.0.1:") for r in lost), (
        results
    )  # which first is a race
    assert all(r == 100 + i for i, r in enumerate(results) if not isinstance(r, LostChunk))
