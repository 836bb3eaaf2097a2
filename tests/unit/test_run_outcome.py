"""``run_once`` returns what happened and prints nothing; the command words the outcome."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from detector.configuration.schema import Config
from detector.core.environment import Environment
from detector.errors import DataError, ExitStatus
from detector.service.live import outcome_lines, run_once
from detector.service.self_metrics import SelfMetrics
from detector.sinks.json_file import JsonFileSink
from detector.sources.export import ExportSource

NOW = pd.Timestamp("2026-03-01T00:00:00Z")
CONFIG = Config.model_validate({"signals": [{"name": "disk", "ceiling": 100.0}, {"name": "queue"}]})


def test_a_source_that_fails_as_a_whole_is_in_the_outcome_and_nothing_is_printed(tmp_path: Path):
    out, err = io.StringIO(), io.StringIO()
    env = Environment(stdout=out, stderr=err, now=lambda: NOW, environ={})
    outcome = run_once(
        CONFIG, env, source=ExportSource(tmp_path / "missing"), sinks=[JsonFileSink(str(tmp_path / "f.json"), out)], metrics=SelfMetrics()
    )
    assert err.getvalue() == "" and out.getvalue() == ""
    assert isinstance(outcome.run_error, DataError) and outcome.status == ExitStatus.DATA
    assert set(outcome.evaluation.errors) == {"disk", "queue"} and not outcome.evaluated
    lines = list(outcome_lines(outcome))
    assert lines[0] == f"slowburn: error: {outcome.run_error}" and "data directory not found" in lines[0]
    assert any(str(tmp_path / "f.json") in line for line in lines[1:])


def test_a_run_whose_source_answered_has_no_run_error_line(tmp_path: Path):
    env = Environment(stdout=io.StringIO(), stderr=io.StringIO(), now=lambda: NOW, environ={})
    (tmp_path / "data").mkdir()
    outcome = run_once(CONFIG, env, source=ExportSource(tmp_path / "data"), sinks=[], metrics=SelfMetrics())
    assert outcome.run_error is None and outcome.status == ExitStatus.DATA  # both files absent: each signal failed
    assert list(outcome_lines(outcome)) == []
