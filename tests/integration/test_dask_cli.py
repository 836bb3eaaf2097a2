"""``slowburn run --executor dask://HOST:PORT`` through the real entry point on a real Dask cluster
on 127.0.0.1: the findings of the local run, on exported files and live from Prometheus; an
unreachable scheduler is one line and exit 10."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import yaml

from detector.cli import main
from detector.core.environment import Environment
from detector.errors import ExitStatus
from tests.integration.dask_cluster import DaskCluster, dask_missing, start_dask_cluster
from tests.integration.promstack import free_port, missing_binaries
from tests.integration.test_live_run import AT, live_config, prometheus  # noqa: F401  (the replicas in a real Prometheus)

pytestmark = pytest.mark.skipif(dask_missing(), reason="needs the dask command and the distributed package (pip install .[dask])")
ROOT = Path(__file__).resolve().parents[2]
CONFIG, REPLICAS = ROOT / "config" / "replicas.yaml", ROOT / "data" / "replicas"
CLOCK = pd.Timestamp("2026-03-15T00:00:00Z")
EXPORT_AT = "2026-02-12T00:00:00Z"
needs_prometheus = pytest.mark.skipif(bool(missing_binaries()), reason="Prometheus tools are not installed")


@pytest.fixture(scope="module")
def cluster() -> Iterator[DaskCluster]:
    with start_dask_cluster(workers=2) as started:
        yield started


def slowburn(*argv: object, now: pd.Timestamp = CLOCK) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main([str(a) for a in argv], Environment(stdout=out, stderr=err, now=lambda: now))
    return status, out.getvalue(), err.getvalue()


def _with_executor(path: Path, source: Path, executor: dict) -> Path:
    document = yaml.safe_load(source.read_text(encoding="utf-8"))
    document["executor"] = executor
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def test_a_run_on_exported_files_finds_on_dask_what_it_finds_locally(cluster):
    common = ("run", "--config", CONFIG, "--data", REPLICAS, "--at", EXPORT_AT, "--json", "-")
    local_status, local_json, _ = slowburn(*common, "--workers", "1")
    dask_status, dask_json, err = slowburn(*common, "--executor", cluster.flag)
    assert dask_status == local_status == ExitStatus.OK, err
    local, on_dask = json.loads(local_json), json.loads(dask_json)
    assert local["findings"]  # there is something to compare
    assert on_dask == local


def test_the_config_executor_block_sends_the_run_to_the_cluster(cluster, tmp_path):
    config = _with_executor(tmp_path / "c.yaml", CONFIG, {"dask": {"address": cluster.address}})
    common = ("run", "--data", REPLICAS, "--at", EXPORT_AT, "--json", "-")
    local_status, local_json, _ = slowburn(*common, "--config", CONFIG, "--workers", "1")
    dask_status, dask_json, err = slowburn(*common, "--config", config)
    assert dask_status == local_status == ExitStatus.OK, err
    assert json.loads(dask_json) == json.loads(local_json)


def test_an_unreachable_scheduler_is_one_line_naming_the_flag_and_exit_10(tmp_path):
    config = _with_executor(tmp_path / "c.yaml", CONFIG, {"dask": {"address": "tcp://127.0.0.1:1", "connect_timeout": "1s"}})
    port = free_port()  # nothing listens there
    status, out, err = slowburn("run", "--config", config, "--data", REPLICAS, "--executor", f"dask://127.0.0.1:{port}")
    assert status == ExitStatus.EXECUTOR
    assert err.strip().splitlines() == [
        f"slowburn: error: --executor: cannot reach the Dask scheduler at tcp://127.0.0.1:{port} within 1 s (connect_timeout)"
    ]


def test_an_unreachable_scheduler_named_in_the_config_names_the_field(tmp_path):
    port = free_port()
    config = _with_executor(tmp_path / "c.yaml", CONFIG, {"dask": {"address": f"tcp://127.0.0.1:{port}", "connect_timeout": "1s"}})
    status, _, err = slowburn("run", "--config", config, "--data", REPLICAS)
    assert status == ExitStatus.EXECUTOR
    assert len(err.strip().splitlines()) == 1 and f"{config}: executor.dask.address: cannot reach the Dask scheduler" in err
    assert "Traceback" not in err


@needs_prometheus
def test_a_live_run_finds_on_dask_what_it_finds_locally(cluster, prometheus, tmp_path):  # noqa: F811
    config = live_config(tmp_path / "live.yaml", prometheus.url)
    at = pd.Timestamp(AT)
    common = ("run", "--config", config, "--at", AT, "--dry-run", "--json", "-")
    local_status, local_json, _ = slowburn(*common, "--workers", "1", now=at)
    dask_status, dask_json, err = slowburn(*common, "--executor", cluster.flag, now=at)
    assert dask_status == local_status, err
    local, on_dask = json.loads(local_json), json.loads(dask_json)
    assert local["findings"]
    assert on_dask == local


@needs_prometheus
def test_a_live_run_whose_scheduler_is_unreachable_holds_every_signal_and_exits_10(prometheus, tmp_path):  # noqa: F811
    config = _with_executor(
        tmp_path / "live.yaml",
        live_config(tmp_path / "base.yaml", prometheus.url),
        {"dask": {"address": f"tcp://127.0.0.1:{free_port()}", "connect_timeout": "1s"}},
    )
    status, out, err = slowburn("run", "--config", config, "--at", AT, "--dry-run", "--json", "-", now=pd.Timestamp(AT))
    assert status == ExitStatus.EXECUTOR
    assert "executor.dask.address: cannot reach the Dask scheduler" in err and "Traceback" not in err
    document = json.loads(out)
    assert not document["findings"]
    assert document["signals"] and all(s["state"] == "failed" for s in document["signals"])


@needs_prometheus
def test_a_live_run_whose_dask_workers_read_the_store_themselves_finds_what_it_finds_locally(cluster, prometheus, tmp_path):  # noqa: F811
    at = pd.Timestamp(AT)
    common = ("--at", AT, "--dry-run", "--json", "-")
    local = live_config(tmp_path / "local.yaml", prometheus.url, store={"path": str(tmp_path / "local.db")})
    local_status, local_json, _ = slowburn("run", "--config", local, *common, "--workers", "1", now=at)
    shared = _with_executor(
        tmp_path / "shared.yaml",
        live_config(tmp_path / "base.yaml", prometheus.url, store={"path": str(tmp_path / "shared.db")}),
        {"dask": {"address": "tcp://127.0.0.1:1", "shares_store": True}},  # the flag below names the scheduler, the config the store
    )
    dask_status, dask_json, err = slowburn("run", "--config", shared, *common, "--executor", cluster.flag, now=at)
    assert dask_status == local_status, err
    assert json.loads(local_json)["findings"]
    assert json.loads(dask_json) == json.loads(local_json)
