"""A chunk an executor could not compute: its series are reported as not evaluated, never dropped."""

from __future__ import annotations

import numpy as np
import pandas as pd

from detector.configuration.schema import Config
from detector.core.series import SeriesSet
from detector.engine.evaluate import evaluate
from detector.engine.executor import LostChunk, SerialExecutor
from detector.errors import ExitStatus, WorkLost, status_for_failures

END = pd.Timestamp("2026-03-01T00:00:00Z")


def _fleet(count: int, seed: int = 7) -> tuple[Config, SeriesSet]:
    rng = np.random.default_rng(seed)
    index = pd.date_range(END - pd.Timedelta(days=60), periods=60 * 24, freq="h")
    series = {(("series", f"s{i:03d}"),): pd.Series(10 + rng.normal(0, 1, len(index)), index=index) for i in range(count)}
    config = Config.model_validate({"signals": [{"name": "quiet", "lookback": "60d"}, {"name": "other", "lookback": "60d"}]})
    other = {(("series", "o"),): pd.Series(5 + rng.normal(0, 1, len(index)), index=index)}
    return config, SeriesSet(series={"quiet": series, "other": other})


class LosesEveryOtherChunk:
    workers = 2

    def map_chunks(self, fn, chunks):
        return [LostChunk("worker tcp://127.0.0.1:1 lost") if i % 2 else fn(chunk) for i, chunk in enumerate(chunks)]


def test_every_series_of_a_lost_chunk_is_reported_as_not_evaluated_and_its_signal_fails():
    config, data = _fleet(80)
    evaluation = evaluate(config, data, END, executor=LosesEveryOtherChunk())
    quiet = next(s for s in evaluation.coverage if s.signal == "quiet")
    states = [s.state for s in quiet.series]
    assert len(quiet.series) == 80  # nothing dropped
    assert 0 < states.count("not_analysed") < 80
    assert states.count("evaluated") + states.count("not_analysed") == 80
    assert isinstance(evaluation.errors["quiet"], WorkLost)
    assert quiet.state == "failed"
    assert sum("worker tcp://127.0.0.1:1 lost" in n.message for n in evaluation.notes if n.signal == "quiet") == states.count(
        "not_analysed"
    )


def test_a_run_that_lost_work_on_some_signals_exits_partial_and_on_all_exits_executor():
    assert status_for_failures({"quiet": WorkLost("x")}, 2) == ExitStatus.PARTIAL
    assert status_for_failures({"quiet": WorkLost("x"), "other": WorkLost("y")}, 2) == ExitStatus.EXECUTOR


def test_an_executor_that_loses_nothing_gives_the_serial_result():
    config, data = _fleet(80)
    by_chunks = evaluate(config, data, END, executor=SerialExecutorInChunks())
    serial = evaluate(config, data, END, executor=SerialExecutor())
    assert by_chunks.findings == serial.findings
    assert by_chunks.series_evaluated == serial.series_evaluated == 81
    assert not by_chunks.errors


class SerialExecutorInChunks:
    workers = 2

    def map_chunks(self, fn, chunks):
        assert len(chunks) > 1
        return [fn(chunk) for chunk in chunks]
