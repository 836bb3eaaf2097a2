"""``executor.dask.shares_store``: off unless the config says so, kept when ``--executor`` names the
scheduler, and a value that is not a boolean is a config error naming the field."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import yaml

from detector.cli import main
from detector.configuration.schema import Config
from detector.core.environment import Environment
from detector.engine.executor_choice import choose_executor
from detector.errors import ExitStatus

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "replicas.yaml"


def _config(**dask: object) -> Config:
    return Config.model_validate({"signals": [{"name": "usage", "ceiling": 100}], "executor": {"dask": dask}})


def test_the_workers_are_sent_the_samples_unless_the_config_says_they_share_the_store():
    assert choose_executor(None, _config(address="tcp://scheduler:8786"), "c.yaml").dask.shares_store is False
    assert choose_executor(None, _config(address="tcp://scheduler:8786", shares_store=True), "c.yaml").dask.shares_store is True


def test_the_executor_flag_names_the_scheduler_and_keeps_the_configs_shares_store():
    choice = choose_executor("dask://other:8786", _config(address="tcp://scheduler:8786", shares_store=True), "c.yaml")
    assert choice.dask.address == "tcp://other:8786" and choice.dask.shares_store is True
    assert choose_executor("local", _config(address="tcp://scheduler:8786", shares_store=True), "c.yaml").dask is None


def test_a_shares_store_that_is_not_a_boolean_is_a_config_error_naming_the_field(tmp_path):
    document = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    document["executor"] = {"dask": {"address": "tcp://scheduler:8786", "shares_store": "sometimes"}}
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    status = main(
        ["run", "--config", str(path), "--data", str(ROOT / "data" / "replicas")],
        Environment(stdout=out, stderr=err, now=lambda: pd.Timestamp("2026-03-15T00:00:00Z")),
    )
    assert status == ExitStatus.CONFIG
    message = err.getvalue()
    assert "shares_store" in message and len(message.strip().splitlines()) == 1 and "Traceback" not in message
