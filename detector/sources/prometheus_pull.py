"""Run the ``query_range`` calls of one fetch, ``concurrency`` at a time, within the run's deadline.

The queries run on daemon threads: a fetch that passes its deadline returns what it has at once,
the signals still waiting fail with the deadline's message, and a query stuck on a trickling
server ends on its own query deadline without holding up the next run or the interpreter's exit.

``stream`` hands the answers to the caller one at a time, in query order, and no worker starts
a query more than ``ahead`` places beyond the one the caller waits for: the caller writes a chunk to the store and drops it before the next arrives, so a pull
holds a few chunks in memory, never the whole history.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass

from detector.core.series import DataNote
from detector.errors import SourceError
from detector.sources.base import RawSeries
from detector.sources.prometheus_chunks import TimeRange
from detector.sources.promql_client import Deadline, PromQLClient, safe_url
from detector.sources.query_deadline import Reachability

Answer = tuple[list[RawSeries], list[DataNote]]


@dataclass(frozen=True)
class Query:
    """One chunk of one signal."""

    signal: str
    promql: str
    span: TimeRange
    step_ms: int


@dataclass(frozen=True)
class Delivery:
    """One query's outcome as ``stream`` hands it over: its answer (None when it failed or was not
    run) and its signal's first error so far; at a signal's last query that error is final."""

    query: Query
    answer: Answer | None
    error: SourceError | None


def stream(
    client: PromQLClient,
    queries: Sequence[Query],
    concurrency: int,
    deadline: Deadline | None,
    monotonic: Callable[[], float],
    ahead: int | None = None,
) -> Generator[Delivery, None, None]:
    """Every query's ``Delivery`` in query order; a signal stops at its first failure.

    ``ahead``: how far beyond the answer the caller waits for the workers may go (default
    ``concurrency``); with ``ahead=1`` a query is sent only once the caller is done with the one before.
    """
    ahead = max(1, ahead if ahead is not None else concurrency)
    answers: list[Answer | None] = [None] * len(queries)
    finished = [False] * len(queries)
    failed: dict[str, SourceError] = {}
    taken = [0]  # the query whose answer the caller waits for
    reach = Reachability()
    lock = threading.Condition()
    order = iter(range(len(queries)))
    abandoned = threading.Event()

    def worker() -> None:
        while not abandoned.is_set():
            with lock:
                index = next(order, None)
                while index is not None and index >= taken[0] + ahead and not abandoned.is_set():
                    lock.wait(timeout=0.5)  # back-pressure: the caller has not caught up
            if index is None or abandoned.is_set():
                return
            query = queries[index]
            answer = None
            if query.signal not in failed:
                try:
                    answer = client.query_range(query.promql, query.span, query.step_ms, signal=query.signal, until=deadline, reach=reach)
                except SourceError as err:
                    with lock:
                        failed.setdefault(query.signal, err)
            with lock:
                answers[index], finished[index] = answer, True
                lock.notify_all()

    for number in range(min(concurrency, len(queries))):
        threading.Thread(target=worker, name=f"prometheus-{number}", daemon=True).start()
    try:
        for index, query in enumerate(queries):
            with lock:
                taken[0] = index  # the caller is done with every earlier answer
                lock.notify_all()
                while not finished[index]:
                    left = None if deadline is None else deadline.at - monotonic()
                    if deadline is not None and left is not None and left <= 0:
                        failed.setdefault(
                            query.signal, SourceError(deadline.message, location=f"{safe_url(client.base_url)} signal {query.signal}")
                        )
                        break
                    lock.wait(timeout=left)
                answer, answers[index] = (answers[index] if finished[index] else None), None
                if not finished[index] and deadline is not None:
                    _expire(queries, finished, failed, index, deadline, client)
                delivery = Delivery(query, answer, failed.get(query.signal))
            yield delivery
    finally:
        abandoned.set()  # Ctrl-C, the deadline or the caller stopped: start no further query
        with lock:
            lock.notify_all()


def _expire(
    queries: Sequence[Query], finished: list[bool], failed: dict[str, SourceError], start: int, deadline: Deadline, client: PromQLClient
) -> None:
    """The run deadline passed: every signal with a query still unanswered from ``start`` on fails with its message."""
    for later in range(start, len(queries)):
        if not finished[later]:
            failed.setdefault(
                queries[later].signal, SourceError(deadline.message, location=f"{safe_url(client.base_url)} signal {queries[later].signal}")
            )


def pull(
    client: PromQLClient,
    queries: Sequence[Query],
    concurrency: int,
    deadline: Deadline | None,
    monotonic: Callable[[], float],
) -> dict[str, list[Answer] | SourceError]:
    """Each signal's answers in query order, or its first ``SourceError`` (all of ``stream``, collected)."""
    result: dict[str, list[Answer]] = {}
    errors: dict[str, SourceError] = {}
    for delivery in stream(client, queries, concurrency, deadline, monotonic, ahead=len(queries)):
        chunks = result.setdefault(delivery.query.signal, [])
        if delivery.answer is not None:
            chunks.append(delivery.answer)
        if delivery.error is not None:
            errors[delivery.query.signal] = delivery.error
    return {name: errors.get(name, chunks) for name, chunks in result.items()}
