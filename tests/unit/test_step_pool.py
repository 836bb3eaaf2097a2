"""A backtest's steps on the forkserver pool: every step's result in order, the inputs sent to each
worker once, a worker that dies costs a retry and a notice, a step that kills its worker twice is
reported lost (never dropped), and a step's own error ends every worker it had."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from detector.backtest.step_pool import LOST_TWICE, PoolSteps
from detector.backtest.step_runners import SerialSteps, local_steps
from detector.engine.child_processes import descendants
from detector.engine.executor import LostChunk

HANG_GUARD = 60.0


class Inputs:
    """Inputs that write a line to ``log`` each time they are unpickled (once per worker that gets them)."""

    def __init__(self, log: Path, offset: int) -> None:
        self.log, self.offset = log, offset

    def __reduce__(self) -> tuple[object, ...]:
        return (_arrived, (self.log, self.offset))


def _arrived(log: Path, offset: int) -> Inputs:
    with log.open("a") as out:
        out.write(f"{os.getpid()}\n")
    return Inputs(log, offset)


def add_offset(inputs: Inputs, step: int) -> int:
    return step + inputs.offset


def kill_own_worker_on_seven(inputs: Inputs, step: int) -> int:
    if step == 7:
        os.kill(os.getpid(), signal.SIGKILL)
    return step + inputs.offset


def kill_own_worker_first_time_on_seven(inputs: Inputs, step: int) -> int:
    marker = inputs.log.with_suffix(".killed-once")
    if step == 7 and not marker.exists():
        marker.write_text("")
        os.kill(os.getpid(), signal.SIGKILL)
    return step + inputs.offset


def fail_on_seven(inputs: Inputs, step: int) -> int:
    if step == 7:
        raise ZeroDivisionError("a bug in the step")
    return step + inputs.offset


def grandchildren() -> list[int]:
    """Descendants of this process that are not its children: pool workers (children of the forkserver)."""
    me = os.getpid()
    return sorted(set(descendants(me)) - set(_children(me)))


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + HANG_GUARD
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"never happened: {what}")


def test_a_pool_returns_every_steps_result_in_order_as_this_process_would(tmp_path):
    inputs, steps, finished = Inputs(tmp_path / "log", 100), list(range(12)), []
    pooled = PoolSteps(2).run_steps(add_offset, inputs, steps, finished.append)
    assert pooled == SerialSteps().run_steps(add_offset, inputs, steps, lambda index: None) == [100 + s for s in steps]
    assert sorted(finished) == list(range(12))


def test_the_inputs_reach_each_worker_once_not_once_per_step(tmp_path):
    log = tmp_path / "log"
    PoolSteps(2).run_steps(add_offset, Inputs(log, 0), list(range(12)), lambda index: None)
    arrivals = log.read_text().split()
    assert 1 <= len(arrivals) <= 2 and len(set(arrivals)) == len(arrivals)


def test_a_worker_killed_once_costs_a_retry_and_a_notice_and_every_result_is_there(tmp_path):
    heard: list[str] = []
    results = PoolSteps(2, heard.append).run_steps(
        kill_own_worker_first_time_on_seven, Inputs(tmp_path / "log", 0), list(range(12)), lambda i: None
    )
    assert results == list(range(12))
    assert len(heard) == 1 and heard[0].startswith("a backtest worker died: ") and "run again" in heard[0]


def test_a_step_that_kills_its_worker_on_the_retry_too_is_lost_and_only_that_step(tmp_path):
    results = PoolSteps(2).run_steps(kill_own_worker_on_seven, Inputs(tmp_path / "log", 0), list(range(12)), lambda i: None)
    assert results[7] == LostChunk(LOST_TWICE)
    assert [r for i, r in enumerate(results) if i != 7] == [s for s in range(12) if s != 7]


def test_a_steps_own_error_is_raised_and_leaves_no_worker_behind(tmp_path):
    with pytest.raises(ZeroDivisionError, match="a bug in the step"):
        PoolSteps(2).run_steps(fail_on_seven, Inputs(tmp_path / "log", 0), list(range(12)), lambda i: None)
    wait_until(lambda: not grandchildren(), "every worker of the pool ended")


def test_one_local_process_runs_the_steps_here_and_two_or_more_on_a_pool():
    assert isinstance(local_steps(1), SerialSteps)
    assert local_steps(2) == PoolSteps(2)
