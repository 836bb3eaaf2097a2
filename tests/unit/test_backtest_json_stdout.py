"""``backtest --json -`` writes only JSON to stdout (the summary table goes to stderr), as ``run`` does."""

import io
import json

import numpy as np

from detector.cli import main
from detector.core.environment import Environment
from detector.errors import ExitStatus

START, HOUR = 1_735_689_600, 3600  # 2025-01-01T00:00:00Z, hourly


def slowburn(*argv):
    out, err = io.StringIO(), io.StringIO()
    status = main([str(a) for a in argv], Environment(stdout=out, stderr=err))
    return status, out.getvalue(), err.getvalue()


def make_case(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    rng = np.random.default_rng(7)
    rows = [f"{START + HOUR * i},{100 + rng.normal(0, 1):.3f}" for i in range(40 * 24)]
    (data / "disk.csv").write_text("timestamp,value\n" + "\n".join(rows) + "\n")
    config = tmp_path / "c.yaml"
    config.write_text("signals:\n  - {name: disk, ceiling: 1000}\n")
    return config, data


def test_backtest_json_to_stdout_is_json_only_and_the_summary_goes_to_stderr(tmp_path):
    config, data = make_case(tmp_path)
    status, out, err = slowburn("backtest", "--config", config, "--data", data, "--every", "7d", "--workers", "1", "--json", "-")
    assert status == ExitStatus.OK, err
    document = json.loads(out)
    assert document["evaluations"] >= 2
    assert err.startswith("backtest: ")


def test_backtest_without_json_prints_the_summary_on_stdout(tmp_path):
    config, data = make_case(tmp_path)
    status, out, _ = slowburn("backtest", "--config", config, "--data", data, "--every", "7d", "--workers", "1")
    assert status == ExitStatus.OK
    assert out.startswith("backtest: ")
