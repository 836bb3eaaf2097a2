"""``slowburn serve --executor dask://HOST:PORT`` as a real process: each scheduled run goes to the
real Dask cluster on 127.0.0.1; a scheduler that does not answer fails that run (exit-code status
EXECUTOR in /healthz) without stopping serve."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest

from tests.integration.dask_cluster import DaskCluster, dask_missing, start_dask_cluster
from tests.integration.filling_disk import start_filling_disk_prometheus
from tests.integration.promstack import free_port, missing_binaries
from tests.integration.test_serve import SEED, Serve, write_config

pytestmark = [
    pytest.mark.skipif(dask_missing(), reason="needs the dask command and the distributed package (pip install .[dask])"),
    pytest.mark.skipif(bool(missing_binaries()), reason="Prometheus tools are not installed"),
]


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    server = start_filling_disk_prometheus(tmp_path_factory.mktemp("tsdb"), SEED)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def cluster() -> Iterator[DaskCluster]:
    with start_dask_cluster(workers=2) as started:
        yield started


def test_serve_with_a_dask_executor_runs_the_models_on_the_cluster_and_finds_the_filling_disk(prometheus, cluster, tmp_path):
    serve = Serve(write_config(tmp_path / "c.yaml", prometheus.url), tmp_path / "state.json", "--executor", cluster.flag)
    try:
        health = serve.wait_for_health("ok")
        assert health["last_run"]["status"] == "OK"
        metrics = serve.get("/metrics").text
        assert (
            'slowburn_risk_severity{kind="breach_forecast",pvc="data-0",series="{pvc=\\"data-0\\"}",signal="disk_used_bytes"} 1.0'
            in metrics
        )
        code, _, err = serve.stop(signal.SIGTERM)
        assert code == 0, err
    finally:
        serve.kill()


def test_serve_whose_scheduler_does_not_answer_reports_the_run_failed_with_executor_and_keeps_serving(prometheus, tmp_path):
    config = write_config(
        tmp_path / "c.yaml", prometheus.url, executor={"dask": {"address": f"tcp://127.0.0.1:{free_port()}", "connect_timeout": "1s"}}
    )
    serve = Serve(config, tmp_path / "state.json")
    try:
        body = serve.wait_for_health("failing")
        assert body["last_run"]["status"] == "EXECUTOR"
        assert 'slowburn_signal_failed{signal="disk_used_bytes"} 1.0' in serve.get("/metrics").text
        code, _, err = serve.stop(signal.SIGTERM)
        assert code == 0, err
        assert "executor.dask.address: cannot reach the Dask scheduler" in err and "Traceback" not in err
    finally:
        serve.kill()
