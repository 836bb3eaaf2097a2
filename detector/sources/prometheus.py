"""``PrometheusSource``: signal history from a Prometheus-compatible HTTP API, optionally via a store.

For each signal: the window ``[end - lookback, end)`` on the step grid; with a store, only the
part the store has not pulled yet (plus a small overlap); split into chunks within the server's
limits; chunks of all signals pulled concurrently; then, with a store, merged into it and the
whole window read back from it, so history builds up beyond the server's retention.

A signal whose query fails (PromQL error, HTTP error after retries, malformed or empty answer,
``prometheus.query_deadline`` passed, or the run's deadline passed before its queries finished)
gets a ``SourceError`` in ``SeriesSet.errors`` and the others still load; even when the server is
unreachable every signal carries its own error, and the caller decides the exit status.
"""

from __future__ import annotations

import logging
import random
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import pandas as pd
import requests

from detector.config import Signal
from detector.coverage import young_signal
from detector.errors import ConfigError, DataError, NoSeries, SourceError
from detector.http_client import build_session
from detector.instants import DAY, to_utc, unix_ms
from detector.live_settings import PrometheusSettings
from detector.series import DataNote, SeriesSet, SeriesSetDraft, labels_of
from detector.sources.base import RawSeries, assemble_signal
from detector.sources.prometheus_chunks import TimeRange, missing_ranges, plan_chunks, query_window, step_ms_of
from detector.sources.promql_client import Deadline, PromQLClient, safe_url
from detector.sources.prometheus_pull import Query, pull
from detector.sources.retry_policy import RetryPolicy
from detector import store_holes
from detector.store import HistoryStore, StoreKey, StoreSession

log = logging.getLogger(__name__)

Clock = Callable[[], pd.Timestamp]


def utc_now() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC")


@dataclass
class _Plan:
    """What one signal needs this run."""

    signal: Signal
    window: TimeRange
    step_ms: int
    chunks: list[TimeRange] = field(default_factory=list)
    coverage: TimeRange | None = None

    @property
    def key(self) -> StoreKey:
        return StoreKey(self.signal.name, self.signal.query or "", self.step_ms)


class PrometheusSource:
    """A ``Source`` over ``/api/v1/query_range``.

    Parameters
    ----------
    settings : PrometheusSettings
        URL, limits (``max_points_per_query``, ``max_range_per_query``), ``concurrency``,
        ``retries``, ``timeout`` and credentials.
    store : HistoryStore, optional
        History store; None pulls the whole lookback every time.
    session : requests.Session, optional
        Default: ``build_session(settings, section="prometheus")`` (raises ``ConfigError`` for an
        unreadable token or password file).
    clock : callable
        Current time as a UTC ``pandas.Timestamp``; ``fetch`` uses it when ``end`` is None.
    sleep : callable
        ``sleep(seconds)`` between retries (injected in tests).
    rng : random.Random, optional
        Jitter of the retry backoff; default unseeded (spreads out many clients).
    retry : RetryPolicy, optional
        Default: ``RetryPolicy(retries=settings.retries)``.
    run_deadline : float, optional
        Seconds one ``fetch`` may wait for the server in all (``schedule.run_deadline``); the
        signals whose queries have not finished by then fail with "run deadline ... passed" and the
        others are returned. None: each query is bounded by ``settings.query_deadline`` only.
    monotonic : callable
        Monotonic seconds for the deadlines.
    """

    def __init__(
        self,
        settings: PrometheusSettings,
        *,
        store: HistoryStore | None = None,
        session: requests.Session | None = None,
        clock: Clock = utc_now,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        retry: RetryPolicy | None = None,
        run_deadline: float | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.run_deadline = run_deadline
        self.monotonic = monotonic
        self.store = store
        self.session = session if session is not None else build_session(settings, section="prometheus")
        self.clock = clock
        self.client = PromQLClient(
            settings.url,
            self.session,
            timeout=settings.timeout,
            retry=retry if retry is not None else RetryPolicy(retries=settings.retries),
            sleep=sleep,
            rng=rng if rng is not None else random.Random(),
            now=lambda: clock().timestamp(),
            query_deadline=settings.query_deadline,
            monotonic=monotonic,
        )

    def fetch(self, signals: Sequence[Signal], end: pd.Timestamp | None = None) -> SeriesSet:
        """Each signal's series over ``[end - lookback, end)`` at its step; ``end`` defaults to now.

        Raises
        ------
        StoreError
            The store is locked by another run, unreadable or unwritable (nothing is fetched).
        """
        end = to_utc(end if end is not None else self.clock())
        result = SeriesSetDraft()
        plans = [plan for plan in (self._plan(signal, end, result) for signal in signals) if plan is not None]
        with self.store.open() if self.store is not None else nullcontext() as session:
            for plan in plans:
                self._chunk(plan, session)
            deadline = None
            if self.run_deadline is not None:
                deadline = Deadline(self.monotonic() + self.run_deadline, f"run deadline of {self.run_deadline:g} s passed (schedule.run_deadline)")
            pulled = self._pull(plans, deadline)
            for plan in plans:
                self._finish(plan, pulled[plan.signal.name], session, end, result, deadline)
            if session is not None:
                session.prune(unix_ms(self.clock()))
        return result.frozen()

    def _plan(self, signal: Signal, end: pd.Timestamp, result: SeriesSetDraft) -> _Plan | None:
        if not signal.query:
            result.errors[signal.name] = ConfigError(
                "no query: reading from Prometheus needs a PromQL 'query' for every signal", location=f"signals.{signal.name}"
            )
            return None
        window = query_window(end, signal.lookback, signal.step)
        if window is None:
            result.errors[signal.name] = ConfigError(
                f"lookback {signal.lookback:g} s is shorter than one step ({signal.step:g} s)", location=f"signals.{signal.name}"
            )
            return None
        if self.store is not None and self.store.retention < signal.lookback:
            result.notes.append(DataNote(
                signal.name,
                f"store.retention ({self.store.retention / DAY:g} d) is shorter than the lookback "
                f"({signal.lookback / DAY:g} d): the older part is pulled again on every run",
                "store.retention",
            ))
        return _Plan(signal, window, step_ms_of(signal.step))

    def _chunk(self, plan: _Plan, session: StoreSession | None) -> None:
        stored = session.coverage(plan.key) if session is not None else None
        ranges, plan.coverage = missing_ranges(plan.window, plan.step_ms, stored)
        if session is not None and stored is not None:       # holes the server left: ask again, a few per run
            ranges += store_holes.to_request(session.holes(plan.key), plan.window, ranges)
        for span in ranges:
            plan.chunks += plan_chunks(span, plan.step_ms, self.settings.max_points_per_query, self.settings.max_range_per_query)

    def _pull(self, plans: list[_Plan], deadline: Deadline | None) -> dict[str, list[tuple[list[RawSeries], list[DataNote]]] | SourceError]:
        """Every chunk of every signal within the run deadline (``prometheus_pull.pull``)."""
        queries = [Query(plan.signal.name, plan.signal.query or "", chunk, plan.step_ms) for plan in plans for chunk in plan.chunks]
        answers = pull(self.client, queries, self.settings.concurrency, deadline, self.monotonic)
        return {plan.signal.name: answers.get(plan.signal.name, []) for plan in plans}

    def _finish(
        self,
        plan: _Plan,
        pulled: list[tuple[list[RawSeries], list[DataNote]]] | SourceError,
        session: StoreSession | None,
        end: pd.Timestamp,
        result: SeriesSetDraft,
        deadline: Deadline | None = None,
    ) -> None:
        name = plan.signal.name
        if isinstance(pulled, SourceError):
            result.errors[name] = pulled
            return
        notes = list(dict.fromkeys(note for _, chunk_notes in pulled for note in chunk_notes))
        raw = _merge_chunks([series for chunk_series, _ in pulled for series in chunk_series])
        if session is not None and plan.coverage is not None:
            if raw:  # an empty answer proves nothing: leave the coverage for the next run to retry
                session.write(plan.key, raw, plan.coverage, pulled=plan.chunks)
            holes = store_holes.describe(session.holes(plan.key), plan.window, plan.step_ms)
            if holes is not None:
                notes.append(DataNote(name, holes, "store"))
            raw = session.read(plan.key, plan.window)
        origin = f"{safe_url(self.settings.url)} signal {name}"
        try:
            series, series_notes = assemble_signal(name, raw, plan.signal.step, origin=origin, end=end, min_samples=1)  # 1: a new series is too young
        except NoSeries as err:
            young = self._young(plan, end, origin, deadline)
            if young is None:
                result.errors[name] = err          # absent, not broken (an optional signal's note)
            result.notes.extend(notes if young is None else [*notes, young])
            return
        except DataError as err:
            result.errors[name] = SourceError(err.message, location=origin)
            result.notes.extend(notes)
            return
        result.series[name] = series
        result.notes.extend(notes + series_notes)
        log.debug("%s: %d series from %d request(s)", origin, len(series), len(plan.chunks))

    def _young(self, plan: _Plan, end: pd.Timestamp, origin: str, deadline: Deadline | None) -> DataNote | None:
        """When the range matched nothing: has the query series *now* (they appeared after the last
        grid point)? Then the signal is too young, judged from the next grid point + ``min_history``."""
        signal = plan.signal
        try:
            count = self.client.series_count(signal.query or "", unix_ms(end) - 1, signal=signal.name, until=deadline)
        except SourceError as err:
            log.warning("%s: cannot tell whether the signal is new or absent: %s", origin, err)
            return None
        if count <= 0:
            return None
        first = pd.Timestamp(plan.window.end_ms + plan.step_ms, unit="ms", tz="UTC")
        return young_signal(signal.name, count, first + pd.Timedelta(seconds=signal.model.min_history), signal.step, origin)


def _merge_chunks(raw: list[RawSeries]) -> list[RawSeries]:
    """One ``RawSeries`` per label set (chunks return each series once per chunk)."""
    groups: dict[tuple[tuple[str, str], ...], list[RawSeries]] = {}
    for entry in raw:
        groups.setdefault(labels_of(entry.labels), []).append(entry)
    merged = []
    for entries in groups.values():
        if len(entries) == 1:
            merged.append(entries[0])
        else:
            ts = np.concatenate([e.timestamps for e in entries])
            vs = np.concatenate([e.values for e in entries])
            merged.append(RawSeries(entries[0].labels, ts, vs, entries[0].where))
    return merged
