"""A worker's death counts against the chunks it was running, not against those only queued on it
behind them: with ``allowed-failures`` 0 (a chunk is given up the first time a worker dies under
it), a worker killed mid-run loses the one chunk it ran, and the chunk queued behind it is computed
on the other worker."""

from __future__ import annotations

import functools

import pytest

from detector.configuration.executor_settings import DaskSettings
from detector.engine.executor import LostChunk
from tests.integration.dask_cluster import dask_missing, start_dask_cluster
from tests.integration.slow_chunks import finishes
from tests.integration.test_dask_executor import KillsWhileRunning

pytestmark = pytest.mark.skipif(dask_missing(), reason="needs the dask command and the distributed package (pip install .[dask])")


def test_a_worker_killed_mid_run_loses_only_the_chunk_it_was_running_and_the_one_queued_behind_it_runs_elsewhere(tmp_path):
    from detector.engine.dask_executor import dask_executor

    with start_dask_cluster(workers=2, allowed_failures=0) as strict:
        settings = DaskSettings(address=strict.address, connect_timeout=20, worker_wait=30)
        with dask_executor(settings, "--executor") as executor:
            killer = KillsWhileRunning(executor, tmp_path, victims=lambda started: started[:1], hold_seconds=2.0)
            results = killer.map_chunks(functools.partial(finishes, str(tmp_path)), range(8))
    assert len(killer.killed) == 1
    lost = [index for index, result in enumerate(results) if isinstance(result, LostChunk)]
    assert len(lost) == 1  # the chunk running when its worker died; the one queued on it (two per thread are sent) is not lost
    assert "died while running it" in results[lost[0]].reason
    assert [result for index, result in enumerate(results) if index not in lost] == [i * i for i in range(8) if i not in lost]
