"""A replay whose runner could not replay some steps stops with exit 10 and names the evaluation
times it lost: no score is ever computed over a replay with holes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from detector.backtest.replay import SHOWN_SPANS, STEP, evaluation_times, not_replayed, replay
from detector.backtest.step_runners import SerialSteps
from detector.configuration.schema import load_config
from detector.engine.executor import LostChunk
from detector.errors import ExitStatus, WorkLost
from detector.sources.export import ExportSource

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class LosingSteps:
    """A runner that runs the steps here but returns ``LostChunk`` for the steps in ``lost`` (as a
    pool whose worker died twice on them would)."""

    lost: frozenset[int]

    def run_steps(self, fn: Callable[[Any, Any], Any], inputs: Any, steps: Sequence[Any], done: Callable[[int], None]) -> list[Any]:
        kept = SerialSteps().run_steps(fn, inputs, [s for i, s in enumerate(steps) if i not in self.lost], lambda i: None)
        results = iter(kept)
        return [
            LostChunk("its worker died twice (killed, or out of memory)") if i in self.lost else next(results) for i in range(len(steps))
        ]


@pytest.fixture(scope="module")
def replicas():
    config = load_config(ROOT / "config" / "replicas.yaml")
    data = ExportSource(ROOT / "data" / "replicas").fetch(config.signals)
    return config, data, evaluation_times(data, config, 7 * 86400.0)


def test_a_replay_with_lost_steps_raises_work_lost_naming_their_times_and_exits_10(replicas):
    config, data, times = replicas
    with pytest.raises(WorkLost) as raised:
        replay(config, data, times, runner=LosingSteps(frozenset({1, 3})))
    first, second = times[STEP : 2 * STEP], times[3 * STEP : 4 * STEP]
    message = str(raised.value)
    assert message.startswith(f"{len(first) + len(second)} of {len(times)} evaluation times not replayed (")
    assert f"{first[0]:%Y-%m-%dT%H:%M:%SZ}..{first[-1]:%Y-%m-%dT%H:%M:%SZ}, {second[0]:%Y-%m-%dT%H:%M:%SZ}.." in message
    assert "its worker died twice" in message and "no scores" in message
    assert raised.value.exit_status == ExitStatus.EXECUTOR == 10


def test_a_replay_with_no_lost_step_is_the_same_as_in_this_process(replicas):
    config, data, times = replicas
    whole = replay(config, data, times[: 2 * STEP])
    through = replay(config, data, times[: 2 * STEP], runner=LosingSteps(frozenset()))
    assert {k: (v.ranks, v.first_flag) for k, v in whole.items()} == {k: (v.ranks, v.first_flag) for k, v in through.items()}
    assert whole


def day(n: int) -> list[pd.Timestamp]:
    return [pd.Timestamp("2026-01-01", tz="UTC") + pd.Timedelta(days=n)]


def test_up_to_three_lost_spans_are_all_named():
    lost = [(day(n), LostChunk("gone")) for n in range(SHOWN_SPANS)]
    assert not_replayed(lost, 10) == (
        "3 of 10 evaluation times not replayed (2026-01-01T00:00:00Z, 2026-01-02T00:00:00Z, 2026-01-03T00:00:00Z): "
        "gone; no scores: the replay is incomplete"
    )


def test_a_fourth_lost_span_is_counted_not_named():
    lost = [(day(n), LostChunk("gone")) for n in range(SHOWN_SPANS + 1)]
    assert "2026-01-03T00:00:00Z and 1 more): gone" in not_replayed(lost, 10)
    assert "2026-01-04" not in not_replayed(lost, 10)
