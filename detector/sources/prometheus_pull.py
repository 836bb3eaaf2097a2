"""Run the ``query_range`` calls of one fetch, ``concurrency`` at a time, within the run's deadline.

The queries run on daemon threads: a fetch that passes its deadline returns what it has at once,
the signals still waiting fail with the deadline's message, and a query stuck on a trickling
server ends on its own query deadline without holding up the next run or the interpreter's exit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from detector.errors import SourceError
from detector.series import DataNote
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


def pull(
    client: PromQLClient, queries: Sequence[Query], concurrency: int, deadline: Deadline | None, monotonic: Callable[[], float],
) -> dict[str, list[Answer] | SourceError]:
    """Each signal's answers in query order, or its first ``SourceError``; a signal stops at its first failure."""
    answers: list[Answer | None] = [None] * len(queries)
    finished = [False] * len(queries)
    failed: dict[str, SourceError] = {}
    reach = Reachability()
    lock = threading.Condition()
    order = iter(range(len(queries)))
    abandoned = threading.Event()

    def worker() -> None:
        while not abandoned.is_set():
            with lock:
                index = next(order, None)
            if index is None:
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
        with lock:
            while not all(finished):
                left = None if deadline is None else deadline.at - monotonic()
                if left is not None and left <= 0:
                    break
                lock.wait(timeout=left)
            for index, query in enumerate(queries):
                if not finished[index] and deadline is not None:
                    failed.setdefault(query.signal, SourceError(deadline.message, location=f"{safe_url(client.base_url)} signal {query.signal}"))
            result: dict[str, list[Answer] | SourceError] = {}
            for query, answer in zip(queries, answers, strict=True):
                chunks = result.setdefault(query.signal, [])
                if answer is not None and isinstance(chunks, list):
                    chunks.append(answer)
            return {name: failed.get(name, chunks) for name, chunks in result.items()}
    finally:
        abandoned.set()                     # Ctrl-C or the deadline: start no further query
