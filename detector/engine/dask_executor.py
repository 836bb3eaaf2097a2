"""``DaskExecutor``: the evaluation's chunks on a Dask distributed cluster (``--executor dask://HOST:PORT``).

Each chunk is one task that carries what it needs (the chunks are picklable and self-contained: its
samples, or, with ``executor.dask.shares_store``, a page of the history store the worker reads from
the shared volume), so the scheduler can hand it to another worker when the one running it dies: a
worker lost mid-run costs time, not results. The chunks are taken lazily (``streams_chunks``): the
next one is read and submitted only when one on the cluster is done, two per worker thread at most,
so the parent holds the chunks in flight, not all of them, and no group waits for its slowest chunk.

A chunk comes back as ``LostChunk`` (its series reported as not evaluated) when workers died while
running it more often than the scheduler's ``allowed-failures`` (a death while it was only queued on
a worker does not count: ``dask_attempts``), when the cluster had no worker for ``worker_wait``
seconds, when the scheduler itself went away, or when a worker could not read the shared store
(``StoreError``, naming the path). Any other exception raised by the chunk's own code is a bug and
is raised here.

``distributed`` is imported only when a Dask executor is opened: ``slowburn --help`` stays fast.
"""

from __future__ import annotations

import contextlib
import logging
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import CancelledError
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from detector.configuration.executor_settings import DaskSettings
from detector.engine.dask_attempts import Attempts, StartedAttempts, allowed_failures, given_up, reports_start, started_attempts
from detector.engine.executor import LostChunk
from detector.errors import StoreError, WorkLost

if TYPE_CHECKING:
    from distributed import Client, Future

T = TypeVar("T")
R = TypeVar("R")

POLL_SECONDS = 0.5
"""How often a waiting ``map_chunks`` looks at the cluster (workers present, scheduler reachable)."""
_QUIET = ("distributed", "tornado")
"""Loggers that would print a worker's death or a large task as a traceback-like log line; the
outcome is reported through ``LostChunk`` instead."""


@dataclass(frozen=True)
class DaskExecutor:
    """Runs chunks on the cluster behind ``client``; ``workers`` is its total number of threads."""

    client: Client
    workers: int
    settings: DaskSettings
    allowed_failures: int = 3
    """The scheduler's ``distributed.scheduler.allowed-failures``: deaths of workers running a chunk before it is lost."""

    shares_files: bool = False
    """``executor.dask.shares_store``: the workers see the history store at this process's path (a
    shared volume), so they are sent pages to read (``analysis_pages.PageChunk``), not samples."""

    streams_chunks: bool = True
    """``map_chunks`` takes a lazy iterable: at most ``AHEAD_PER_WORKER`` chunks per thread are on the cluster at once."""

    def map_chunks(self, fn: Callable[[T], R], chunks: Iterable[T]) -> list[R | LostChunk]:
        from detector.engine.child_processes import AHEAD_PER_WORKER

        ahead = AHEAD_PER_WORKER * max(self.workers, 1)
        with started_attempts(self.client) as started:
            return self._map(fn, iter(chunks), ahead, _Flight(started))

    def _map(self, fn: Callable[[T], R], pending: Iterator[T], ahead: int, flight: _Flight) -> list[R | LostChunk]:
        futures: list[Future | None] = []
        results: dict[int, R | LostChunk] = {}
        without_workers_since: float | None = None
        taken_all = False
        while True:
            while not taken_all and len(futures) - len(results) < ahead:  # the next chunk only when one is done
                try:
                    attempts = Attempts(next(pending))
                except StopIteration:
                    taken_all = True
                    break
                flight.attempts[len(futures)] = attempts
                futures.append(self._submit(fn, attempts, flight.started))
            self._collect(fn, futures, results, flight)
            if taken_all and len(results) == len(futures):
                break
            if not taken_all and len(futures) - len(results) < ahead:
                continue
            try:
                alive = len(self.client.nthreads())
            except (OSError, TimeoutError, CancelledError):
                self._give_up(futures, results, pending, self._connection_lost().reason)
                break
            now = time.monotonic()
            without_workers_since = None if alive else (without_workers_since or now)
            if without_workers_since is not None and now - without_workers_since >= self.settings.worker_wait:
                self._give_up(
                    futures, results, pending, f"no Dask worker left in {self.settings.scheduler} for {self.settings.worker_wait:g} s"
                )
                break
            self._wait_a_moment(futures, results)
        return [results[index] for index in range(len(futures))]

    def _submit(self, fn: Callable[[T], R], attempts: Attempts[T], started: StartedAttempts) -> Future:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*[Ll]arge.*")  # a chunk's samples travel with its task on purpose
            return self.client.submit(reports_start, fn, started.topic, attempts.next_id(), attempts.chunk, pure=False)

    def _collect(self, fn: Callable[[T], R], futures: list[Future | None], results: dict[int, R | LostChunk], flight: _Flight) -> None:
        from distributed import KilledWorker

        for index, future in enumerate(futures):
            if index in results or future is None or not future.done():
                continue
            if future.status == "finished":
                try:
                    results[index] = future.result()
                except CancelledError:  # the scheduler went away before the result was fetched
                    results[index] = self._connection_lost()
            elif future.status == "error":
                error = future.exception()
                if isinstance(error, StoreError):
                    results[index] = LostChunk(
                        f"a Dask worker could not read the history store: {error} "
                        "(executor.dask.shares_store: every worker must see the store at this path)"
                    )
                elif not isinstance(error, KilledWorker):
                    raise error  # the chunk's own code failed: a bug, not lost work
                else:
                    reason = given_up(flight.attempts[index], flight.started, self.allowed_failures, str(self.settings.scheduler))
                    if reason is None:  # queued, not running, on workers that died: once more
                        futures[index] = self._submit(fn, flight.attempts[index], flight.started)
                        continue
                    results[index] = LostChunk(reason)
            else:  # cancelled: the client lost the scheduler
                results[index] = self._connection_lost()
            futures[index] = None  # collected: the cluster may forget its result
            flight.attempts.pop(index, None)

    def _connection_lost(self) -> LostChunk:
        return LostChunk(f"the connection to the Dask scheduler {self.settings.scheduler} was lost")

    def _wait_a_moment(self, futures: list[Future | None], results: dict[int, Any]) -> None:
        from distributed import wait

        pending = [future for index, future in enumerate(futures) if index not in results and future is not None]
        try:
            with self.client.as_current():
                wait(pending, timeout=POLL_SECONDS, return_when="FIRST_COMPLETED")
        except (TimeoutError, CancelledError):
            pass  # cancelled futures are collected as lost next

    def _give_up(self, futures: list[Future | None], results: dict[int, R | LostChunk], untaken: Iterator[T], reason: str) -> None:
        """Every chunk not computed, on the cluster or not taken yet, is lost with ``reason`` (its series reported, not dropped)."""
        pending = [future for index, future in enumerate(futures) if index not in results and future is not None]
        with contextlib.suppress(OSError, TimeoutError):  # the scheduler is gone: nothing left to cancel
            self.client.cancel(pending)
        for _ in untaken:
            futures.append(None)
        for index in range(len(futures)):
            results.setdefault(index, LostChunk(reason))


@dataclass(frozen=True)
class _Flight:
    """One ``map_chunks`` call's chunks on the cluster (by index, until collected) and the starts seen."""

    started: StartedAttempts
    attempts: dict[int, Attempts[Any]] = field(default_factory=dict)


@contextmanager
def dask_executor(settings: DaskSettings, location: str) -> Iterator[DaskExecutor]:
    """A ``DaskExecutor`` on the scheduler of ``settings``, closed afterwards. ``WorkLost`` (exit 10,
    one line naming ``location``) when the scheduler does not answer within ``connect_timeout`` or
    has no worker within ``worker_wait``."""
    from distributed import Client  # first: importing it sets its loggers' levels

    with _quiet_logs():
        address = settings.scheduler
        try:
            client = Client(address.tcp, timeout=settings.connect_timeout, set_as_default=False)
        except (OSError, TimeoutError):
            raise WorkLost(
                f"cannot reach the Dask scheduler at {address} within {settings.connect_timeout:g} s (connect_timeout)", location=location
            ) from None
        try:
            try:
                client.wait_for_workers(1, timeout=settings.worker_wait)
            except (OSError, TimeoutError):
                raise WorkLost(
                    f"the Dask scheduler at {address} has no worker after {settings.worker_wait:g} s (worker_wait)", location=location
                ) from None
            yield DaskExecutor(
                client, sum(client.nthreads().values()), settings, allowed_failures(client), shares_files=settings.shares_store
            )
        finally:
            with contextlib.suppress(OSError, TimeoutError):  # the scheduler is gone already
                client.close(timeout=settings.connect_timeout)


@contextmanager
def _quiet_logs() -> Iterator[None]:
    names = [name for name in logging.root.manager.loggerDict if name.split(".")[0] in _QUIET]
    loggers = [logging.getLogger(name) for name in {*_QUIET, *names}]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=False):
            logger.setLevel(level)
