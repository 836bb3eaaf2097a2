"""The evaluation on a real Dask cluster (a ``dask scheduler`` and two ``dask worker`` processes on
127.0.0.1): the same findings as in this process, a lost worker's chunks retried on the other one,
and the series a cluster could not compute reported as not evaluated, never dropped."""

from __future__ import annotations

import functools
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from detector.configuration.executor_settings import DaskSettings
from detector.configuration.schema import Config
from detector.core.series import SeriesSet
from detector.engine.evaluate import evaluate
from detector.engine.executor import LostChunk, SerialExecutor
from detector.errors import WorkLost
from tests.integration.dask_cluster import (
    DaskCluster,
    dask_missing,
    start_dask_cluster,
    start_worker,
    wait_for_started,
)
from tests.integration.slow_chunks import crashes_worker_on, fails, finishes, slowly

pytestmark = pytest.mark.skipif(dask_missing(), reason="needs the dask command and the distributed package (pip install .[dask])")


END = pd.Timestamp("2026-03-01T00:00:00Z")


def _fleet(count: int, seed: int = 7) -> tuple[Config, SeriesSet]:
    """``count`` hourly series over 60 days, every tenth of them growing towards its ceiling (a finding)."""
    rng = np.random.default_rng(seed)
    index = pd.date_range(END - pd.Timedelta(days=60), periods=60 * 24, freq="h")
    ramp = np.linspace(0, 1, len(index)) ** 2
    series = {
        (("series", f"s{i:03d}"),): pd.Series(10 + rng.normal(0, 1, len(index)) + (80 * ramp if i % 10 == 0 else 0), index=index)
        for i in range(count)
    }
    config = Config.model_validate({"signals": [{"name": "usage", "lookback": "60d", "ceiling": 100}]})
    return config, SeriesSet(series={"usage": series})


def _serial(count: int):
    config, data = _fleet(count)
    evaluation = evaluate(config, data, END, executor=SerialExecutor())
    assert len(evaluation.findings) >= count // 10  # the comparison has findings to compare
    return config, data, evaluation


@pytest.fixture(scope="module")
def cluster() -> Iterator[DaskCluster]:
    with start_dask_cluster(workers=2) as started:
        yield started


@pytest.fixture
def fresh_cluster() -> Iterator[DaskCluster]:
    """A cluster of its own, for a test that kills its workers."""
    with start_dask_cluster(workers=2) as started:
        yield started


def _dask(cluster: DaskCluster, worker_wait: float = 30.0):
    from detector.engine.dask_executor import dask_executor

    return dask_executor(DaskSettings(address=cluster.address, connect_timeout=20, worker_wait=worker_wait), "--executor")


class KillsWhileRunning:
    """Runs the evaluation's chunks on ``inner`` slowly, and SIGKILLs the worker processes in
    ``victims(pids of the workers that started a chunk)`` as soon as a chunk has started."""

    def __init__(self, inner, marker_dir: Path, victims, hold_seconds: float = 1.5) -> None:
        self.inner, self.marker_dir, self.victims, self.hold_seconds = inner, marker_dir, victims, hold_seconds
        self.workers = inner.workers
        self.killed: list[int] = []

    def map_chunks(self, fn, chunks):
        killer = threading.Thread(target=self._kill, daemon=True)
        killer.start()
        try:
            return self.inner.map_chunks(functools.partial(slowly, fn, str(self.marker_dir), self.hold_seconds), chunks)
        finally:
            killer.join(timeout=60)

    def _kill(self) -> None:
        for pid in self.victims(wait_for_started(self.marker_dir)):
            os.kill(pid, signal.SIGKILL)
            self.killed.append(pid)


def test_the_same_data_evaluated_on_dask_gives_the_serial_findings_verdicts_and_coverage(cluster):
    config, data, serial = _serial(120)
    with _dask(cluster) as executor:
        assert executor.workers == 2  # two single-thread workers
        on_dask = evaluate(config, data, END, executor=executor)
    assert on_dask.findings == serial.findings
    assert on_dask.verdicts == serial.verdicts
    assert on_dask.coverage == serial.coverage
    assert on_dask.series_evaluated == serial.series_evaluated == 120
    assert not on_dask.errors


def test_the_dask_executor_takes_the_next_chunk_only_when_all_but_two_per_worker_of_the_earlier_ones_are_done(cluster, tmp_path):
    behind: list[int] = []

    def chunks() -> Iterator[int]:
        for i in range(16):
            behind.append(i - len(list(tmp_path.glob("*-done"))))  # chunks taken before this one and not finished
            yield i

    with _dask(cluster) as executor:
        assert executor.streams_chunks
        assert executor.map_chunks(functools.partial(finishes, str(tmp_path)), chunks()) == [i * i for i in range(16)]
    assert executor.workers <= max(behind) <= 2 * executor.workers  # both workers busy; an eager executor would be 15 behind


def test_a_chunk_whose_own_code_fails_raises_its_error_instead_of_being_reported_as_lost_work(cluster):
    with _dask(cluster) as executor, pytest.raises(ZeroDivisionError, match="a bug in the chunk's code"):
        executor.map_chunks(fails, [1, 2])


def test_a_worker_killed_while_it_runs_a_chunk_has_its_chunks_retried_on_the_other_worker(fresh_cluster, tmp_path):
    config, data, serial = _serial(120)
    with _dask(fresh_cluster) as executor:
        killer = KillsWhileRunning(executor, tmp_path, victims=lambda started: started[:1])
        on_dask = evaluate(config, data, END, executor=killer)
    assert len(killer.killed) == 1 and killer.killed[0] in {w.pid for w in fresh_cluster.workers}
    assert [w.process.wait(timeout=10) for w in fresh_cluster.workers if w.pid in killer.killed] == [-signal.SIGKILL]
    assert on_dask.findings == serial.findings
    assert on_dask.coverage == serial.coverage
    assert not on_dask.errors


def test_when_every_worker_is_gone_for_worker_wait_the_chunks_not_computed_are_reported_as_not_evaluated(fresh_cluster, tmp_path):
    config, data = _fleet(120)
    with _dask(fresh_cluster, worker_wait=1.0) as executor:
        killer = KillsWhileRunning(executor, tmp_path, victims=lambda started: [w.pid for w in fresh_cluster.workers])
        on_dask = evaluate(config, data, END, executor=killer)
    usage = next(s for s in on_dask.coverage if s.signal == "usage")
    states = [s.state for s in usage.series]
    assert len(usage.series) == 120  # nothing dropped
    assert states.count("not_analysed") > 0
    assert all("no Dask worker left in tcp://127.0.0.1:" in s.reason for s in usage.series if s.state == "not_analysed")
    assert isinstance(on_dask.errors["usage"], WorkLost)


def test_a_cluster_without_workers_for_less_than_worker_wait_finishes_every_chunk_on_a_worker_that_joins(fresh_cluster, tmp_path):
    config, data, serial = _serial(120)
    with _dask(fresh_cluster, worker_wait=120.0) as executor:

        def every_worker_then_a_new_one(started: list[int]) -> list[int]:
            threading.Timer(
                1.0, lambda: fresh_cluster.workers.append(start_worker(fresh_cluster, "replacement", tied_to_thread=False))
            ).start()
            return [w.pid for w in fresh_cluster.workers]

        killer = KillsWhileRunning(executor, tmp_path, victims=every_worker_then_a_new_one)
        on_dask = evaluate(config, data, END, executor=killer)
    assert len(killer.killed) == 2
    assert on_dask.findings == serial.findings
    assert on_dask.coverage == serial.coverage
    assert not on_dask.errors


def test_a_scheduler_killed_mid_run_leaves_every_chunk_not_computed_reported_as_lost_with_the_reason(fresh_cluster, tmp_path):
    config, data = _fleet(120)
    with _dask(fresh_cluster) as executor:
        killer = KillsWhileRunning(executor, tmp_path, victims=lambda started: [fresh_cluster.scheduler.pid])
        on_dask = evaluate(config, data, END, executor=killer)
    usage = next(s for s in on_dask.coverage if s.signal == "usage")
    lost = [s for s in usage.series if s.state == "not_analysed"]
    assert len(usage.series) == 120 and lost
    assert all(f"the connection to the Dask scheduler {fresh_cluster.address} was lost" in s.reason for s in lost)
    assert isinstance(on_dask.errors["usage"], WorkLost)


def test_a_scheduler_without_any_worker_is_work_lost_naming_the_setting_after_worker_wait():
    from detector.engine.dask_executor import dask_executor

    with start_dask_cluster(workers=0) as empty:
        settings = DaskSettings(address=empty.address, connect_timeout=20, worker_wait=1)
        with (
            pytest.raises(WorkLost, match=r"--executor: the Dask scheduler at tcp://127.0.0.1:\d+ has no worker after 1 s \(worker_wait\)"),
            dask_executor(settings, "--executor"),
        ):
            pass


def test_a_chunk_that_kills_more_workers_than_the_scheduler_allows_is_lost_and_the_other_chunks_are_computed():
    from detector.engine.dask_executor import dask_executor

    with start_dask_cluster(workers=2, allowed_failures=0) as strict:
        settings = DaskSettings(address=strict.address, connect_timeout=20, worker_wait=5)
        with dask_executor(settings, "--executor") as executor:
            results = executor.map_chunks(functools.partial(crashes_worker_on, "poison"), ["a", "poison", "b", "c", "d"])
    assert results[1] == LostChunk(
        f"1 Dask worker(s) died while running it, more than {strict.address} allows (distributed.scheduler.allowed-failures: 0)"
    )
    assert [r for i, r in enumerate(results) if i != 1] == ["A", "B", "C", "D"]  # a chunk only queued on the dying worker is not lost
