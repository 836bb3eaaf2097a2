"""Choosing where the models run: ``--executor local|dask://HOST:PORT`` or the config's
``executor: {dask: {address: tcp://HOST:PORT}}``; the flag wins; a malformed address is a usage or
config error naming the flag or the field, and a password in it is never shown."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
import yaml

from detector.cli import main
from detector.configuration.dask_address import parse_dask_address
from detector.configuration.schema import Config
from detector.core.environment import Environment
from detector.engine.executor_choice import choose_executor
from detector.errors import ExitStatus

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "replicas.yaml"
REPLICAS = ROOT / "data" / "replicas"
CLOCK = pd.Timestamp("2026-03-15T00:00:00Z")


def slowburn(*argv: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main([str(a) for a in argv], Environment(stdout=out, stderr=err, now=lambda: CLOCK))
    return status, out.getvalue(), err.getvalue()


def _config(**executor: object) -> Config:
    return Config.model_validate({"signals": [{"name": "usage", "ceiling": 100}], "executor": executor})


def _config_file(tmp_path: Path, executor: object) -> Path:
    document = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    document["executor"] = executor
    path = tmp_path / "slowburn.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "flag, expected",
    [
        ("dask://", "the host is missing"),
        ("dask://scheduler", "the port is missing"),
        ("tcp://scheduler:8786", "expected dask://HOST:PORT"),
        ("scheduler:8786", "expected dask://HOST:PORT"),
        ("dask://scheduler:0", "the port is missing"),
        ("dask://scheduler:65536", "a port from 1 to 65535"),
        ("dask://scheduler:8786/path", "nothing after the port"),
    ],
)
def test_a_malformed_executor_flag_is_a_usage_error_naming_the_flag(flag, expected):
    status, _, err = slowburn("run", "--config", CONFIG, "--data", REPLICAS, "--executor", flag)
    assert status == ExitStatus.USAGE
    assert "--executor" in err and expected in err and "Traceback" not in err


@pytest.mark.parametrize("port", [1, 65535])
def test_the_lowest_and_highest_ports_are_accepted(port):
    assert parse_dask_address(f"dask://scheduler:{port}", "dask").tcp == f"tcp://scheduler:{port}"


def test_a_password_in_the_executor_flag_is_refused_without_being_shown():
    status, out, err = slowburn("run", "--config", CONFIG, "--data", REPLICAS, "--executor", "dask://ops:s3cret@scheduler:8786")
    assert status == ExitStatus.USAGE
    assert "carries no user or password" in err and "dask://scheduler:8786" in err
    assert "s3cret" not in err + out


@pytest.mark.parametrize(
    "address, expected",
    [
        ("dask://scheduler:8786", "expected tcp://HOST:PORT"),
        ("tcp://:8786", "the host is missing"),
        ("tcp://ops:s3cret@scheduler:8786", "carries no user or password"),
    ],
)
def test_a_malformed_config_address_is_a_config_error_naming_the_field(tmp_path, address, expected):
    status, out, err = slowburn("run", "--config", _config_file(tmp_path, {"dask": {"address": address}}), "--data", REPLICAS)
    assert status == ExitStatus.CONFIG
    assert "executor.dask.address" in err and expected in err
    assert len(err.strip().splitlines()) == 1 and "s3cret" not in err + out


def test_an_unknown_key_in_the_executor_block_is_a_config_error(tmp_path):
    status, _, err = slowburn("run", "--config", _config_file(tmp_path, {"ray": {"address": "x"}}), "--data", REPLICAS)
    assert status == ExitStatus.CONFIG and "executor.ray" in err


def test_without_flag_or_config_the_local_pool_is_used():
    assert choose_executor(None, _config(), "c.yaml").dask is None


def test_the_config_names_the_cluster_when_no_flag_is_given():
    choice = choose_executor(None, _config(dask={"address": "tcp://scheduler:8786", "connect_timeout": "3s"}), "c.yaml")
    assert choice.dask is not None and choice.dask.address == "tcp://scheduler:8786" and choice.dask.connect_timeout == 3.0
    assert choice.location == "c.yaml: executor.dask.address"


def test_the_flag_wins_over_the_config_and_keeps_its_timeouts():
    config = _config(dask={"address": "tcp://scheduler:8786", "connect_timeout": "3s", "worker_wait": "1m"})
    choice = choose_executor("dask://other:9000", config, "c.yaml")
    assert choice.dask is not None and choice.dask.address == "tcp://other:9000"
    assert (choice.dask.connect_timeout, choice.dask.worker_wait) == (3.0, 60.0)
    assert choice.location == "--executor"


def test_executor_local_on_the_command_line_overrides_a_cluster_in_the_config():
    assert choose_executor("local", _config(dask={"address": "tcp://scheduler:8786"}), "c.yaml").dask is None


def test_workers_given_with_a_dask_cluster_are_named_as_unused_and_without_one_nothing_is_said():
    from detector.engine.executor_choice import note_unused_workers

    config = _config(dask={"address": "tcp://scheduler:8786"})
    said = io.StringIO()
    note_unused_workers(4, choose_executor(None, config, "c.yaml"), said)
    assert said.getvalue() == "slowburn: --workers 4 is not used: the models run on the Dask cluster (c.yaml: executor.dask.address)\n"
    quiet = io.StringIO()
    note_unused_workers(None, choose_executor(None, config, "c.yaml"), quiet)
    note_unused_workers(4, choose_executor("local", config, "c.yaml"), quiet)
    assert quiet.getvalue() == ""
