"""Where a backtest's steps run: the ``StepRunner`` protocol and ``SerialSteps``.

A replay cuts its evaluation times into steps (a few consecutive times each) and hands them to a
runner with the inputs every step reads (the config, the data, the policy). A runner sends those
inputs to each of its workers once, not with every step, and returns one result per step, in order.
A step it could not compute (its worker lost, the retry spent) comes back as ``LostChunk`` in its
place: the replay then names the evaluation times it could not replay and stops (exit 10); it never
scores a replay with holes in it.

``SerialSteps`` runs them in this process; ``step_pool.PoolSteps`` on a forkserver pool of workers
deaf to Ctrl-C (``backtest --workers N``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from detector.engine.executor import LostChunk

I = TypeVar("I")  # noqa: E741 -- the inputs every step reads
C = TypeVar("C")  # one step: the evaluation times it replays
R = TypeVar("R")


class StepRunner(Protocol):
    """Runs ``fn(inputs, step)`` for every step; one result (or ``LostChunk``) per step, in order.
    ``done(index)`` is called as each step finishes (in any order: for a progress bar)."""

    def run_steps(self, fn: Callable[[I, C], R], inputs: I, steps: Sequence[C], done: Callable[[int], None]) -> list[R | LostChunk]: ...


@dataclass(frozen=True)
class SerialSteps:
    """Every step in this process, one after the other."""

    def run_steps(self, fn: Callable[[I, C], R], inputs: I, steps: Sequence[C], done: Callable[[int], None]) -> list[R | LostChunk]:
        results: list[R | LostChunk] = []
        for index, step in enumerate(steps):
            results.append(fn(inputs, step))
            done(index)
        return results


def local_steps(workers: int, notice: Callable[[str], None] | None = None) -> StepRunner:
    """The runner for ``workers`` local processes: this process for one, else a forkserver pool
    (``notice`` hears that a worker died and which steps run again)."""
    if workers <= 1:
        return SerialSteps()
    from detector.backtest.step_pool import PoolSteps

    return PoolSteps(workers, notice) if notice is not None else PoolSteps(workers)
