"""``DaskSteps``: a backtest's steps on a Dask cluster (``backtest --executor dask://HOST:PORT``).

The inputs (config, data, policy) are scattered to every worker once (``broadcast``); each step is a
task that carries its evaluation times and a reference to them, so the data is not sent again per
step. The engine's ``DaskExecutor`` runs the tasks: a worker lost mid-replay costs time (the
scheduler hands its steps to another worker), and a step the scheduler gave up on (or every step,
when no worker is left for ``worker_wait`` or the scheduler went away) comes back as ``LostChunk``:
the replay then names its evaluation times and exits 10.

``distributed`` is imported only when a cluster is used (through ``engine.dask_executor``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from detector.backtest.step_runners import StepRunner
from detector.engine.executor import LostChunk
from detector.engine.executor_choice import ExecutorChoice

if TYPE_CHECKING:
    from detector.engine.dask_executor import DaskExecutor

I = TypeVar("I")  # noqa: E741 -- the inputs every step reads
C = TypeVar("C")
R = TypeVar("R")

STEPS_PER_THREAD = 4
"""Steps handed to the cluster per call, per worker thread: the progress bar moves after each call."""
DATA_LOST = "every Dask worker holding the replay's data was lost (it is sent once, when the replay starts)"


@dataclass(frozen=True)
class _Step(Generic[I, C, R]):
    """The task function: ``fn`` on the inputs (the scattered data, resolved by Dask on the worker) and one step."""

    fn: Callable[[I, C], R]

    def __call__(self, task: tuple[I, C]) -> R:
        return self.fn(*task)


@dataclass(frozen=True)
class DaskSteps:
    """The steps on the cluster of an open ``DaskExecutor``."""

    executor: DaskExecutor

    def run_steps(self, fn: Callable[[I, C], R], inputs: I, steps: Sequence[C], done: Callable[[int], None]) -> list[R | LostChunk]:
        (shared,) = self.executor.client.scatter([inputs], broadcast=True, hash=False)  # once, to every worker
        group = STEPS_PER_THREAD * max(self.executor.workers, 1)
        results: list[R | LostChunk] = []
        try:
            for first in range(0, len(steps), group):
                if shared.status != "finished":  # every worker holding the inputs died: nothing to run the rest on
                    results.extend(LostChunk(DATA_LOST) for _ in steps[first:])
                    break
                tasks: list[Any] = [(shared, step) for step in steps[first : first + group]]  # the Future becomes the inputs on the worker
                part = self.executor.map_chunks(_Step(fn), tasks)
                lost_with_data = shared.status != "finished"  # its dependents were cancelled: say why, not "connection lost"
                results.extend(LostChunk(DATA_LOST) if lost_with_data and isinstance(r, LostChunk) else r for r in part)
                for index in range(first, min(first + group, len(steps))):
                    done(index)
        finally:
            shared.release()
        return results


@contextmanager
def open_steps(choice: ExecutorChoice, local: StepRunner) -> Iterator[StepRunner]:
    """The runner for one replay: ``local`` unless ``--executor`` (or the config) chose a Dask cluster."""
    if choice.dask is None:
        yield local
        return
    from detector.engine.dask_executor import dask_executor

    with dask_executor(choice.dask, choice.location) as executor:
        yield DaskSteps(executor)
