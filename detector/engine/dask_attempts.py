"""Which chunks a Dask worker really started, so that a worker's death counts against a chunk only
when the chunk was running there.

The scheduler counts a worker's death against every task assigned to that worker
(``distributed.scheduler.allowed-failures``), also against a task only queued there behind the one
its thread runs: a chunk could be given up (``KilledWorker``) although it never ran. So each attempt
of a chunk reports its start to the scheduler before it runs (``reports_start``: an event on a topic
this client subscribes to, sent synchronously, so a chunk that ends its worker at once is still seen
to have started), and on ``KilledWorker`` the executor counts the starts of the chunk's attempts
(``Attempts.ran``): lost only when it was running on more dying workers than the scheduler allows,
else submitted again (at most ``allowed_failures + 2`` attempts in all, so a chunk whose workers
keep dying before it is seen to start is not retried for ever).
"""

from __future__ import annotations

import contextlib
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from distributed import Client

T = TypeVar("T")
R = TypeVar("R")

TOPIC = "slowburn-chunk-started"
"""The event topic's prefix; each ``map_chunks`` call subscribes to a topic of its own."""


@dataclass(frozen=True)
class StartedAttempts:
    """How often each attempt (by its id) was started on a worker, as the scheduler relays it."""

    topic: str
    counts: Counter[str] = field(default_factory=Counter)

    def handle(self, event: tuple[float, Any]) -> None:
        """The subscription's handler (on the client's event loop): one start of attempt ``event[1]``."""
        self.counts[str(event[1])] += 1


@dataclass
class Attempts(Generic[T]):
    """A chunk on the cluster: the chunk (to submit it again) and the ids of its attempts so far."""

    chunk: T
    ids: list[str] = field(default_factory=list)

    def next_id(self) -> str:
        self.ids.append(uuid.uuid4().hex)
        return self.ids[-1]

    def ran(self, started: StartedAttempts) -> int:
        """How many times a worker started it (each such start ended with that worker's death, as none finished)."""
        return sum(started.counts[attempt] for attempt in self.ids)


@contextmanager
def started_attempts(client: Client) -> Iterator[StartedAttempts]:
    """A subscription to a fresh topic of starts, ended afterwards."""
    started = StartedAttempts(f"{TOPIC}-{uuid.uuid4().hex}")
    client.subscribe_topic(started.topic, started.handle)
    try:
        yield started
    finally:
        with contextlib.suppress(OSError, TimeoutError, ValueError):  # the scheduler is gone: nothing to end
            client.unsubscribe_topic(started.topic)


def reports_start(fn: Callable[[T], R], topic: str, attempt: str, chunk: T) -> R:
    """On a worker: tell the scheduler that ``attempt`` starts (and wait until it knows), then run it."""
    from distributed import get_client

    get_client().log_event(topic, attempt)
    return fn(chunk)


def given_up(attempts: Attempts[Any], started: StartedAttempts, allowed: int, scheduler: str) -> str | None:
    """Why a chunk the scheduler gave up (``KilledWorker``) is lost, or None to submit it again: only
    the deaths of workers that had started it count against ``allowed`` (``allowed-failures``)."""
    ran = attempts.ran(started)
    if ran > allowed:
        return (
            f"{ran} Dask worker(s) died while running it, more than {scheduler} allows (distributed.scheduler.allowed-failures: {allowed})"
        )
    if len(attempts.ids) >= allowed + 2:
        return (
            f"the Dask workers it was queued on kept dying before it started ({len(attempts.ids)} attempts given up by "
            f"{scheduler}, distributed.scheduler.allowed-failures: {allowed})"
        )
    return None


def allowed_failures(client: Client) -> int:
    """The scheduler's ``distributed.scheduler.allowed-failures``."""
    return int(client.run_on_scheduler(_scheduler_allowed_failures))


def _scheduler_allowed_failures(dask_scheduler: Any) -> int:
    return int(dask_scheduler.allowed_failures)
