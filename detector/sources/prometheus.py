"""``PrometheusSource``: signal history from a Prometheus-compatible HTTP API, optionally via a store.

For each signal: the window ``[end - lookback, end)`` on the step grid; with a store, only the
part the store has not pulled yet (plus a small overlap); split into chunks within the server's
limits; chunks of all signals pulled concurrently and taken in order, each written to the store
as it arrives and dropped (``prometheus_intake``); ``fetch`` then reads the whole window back from
the store, so history builds up beyond the server's retention, while ``pull_into_store`` only
brings the store up to date (bounded memory, for callers that read the store in pages).

A signal whose query fails (PromQL error, HTTP error after retries, malformed or empty answer,
``prometheus.query_deadline`` passed, or the run's deadline passed before its queries finished)
gets a ``SourceError`` in ``SeriesSet.errors`` and the others still load; even when the server is
unreachable every signal carries its own error, and the caller decides the exit status.
"""

from __future__ import annotations

import itertools
import logging
import random
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext

import pandas as pd
import requests

from detector.configuration.live_settings import PrometheusSettings
from detector.configuration.schema import Signal
from detector.core.coverage import young_signal
from detector.core.instants import to_utc, unix_ms
from detector.core.series import DataNote, SeriesSet, SeriesSetDraft
from detector.errors import NoSeries, SeriesSkipped, SourceError
from detector.sources.base import assemble_signal
from detector.sources.prometheus_intake import Intake, StorePull, in_memory, into_store
from detector.sources.prometheus_plan import SignalPlan, counts_series, fit_to_budget, plan_signal
from detector.sources.prometheus_pull import Query, stream
from detector.sources.promql_client import Deadline, PromQLClient, safe_url
from detector.sources.retry_policy import RetryPolicy
from detector.store import holes as store_holes
from detector.store.history import HistoryStore, StoreSession
from detector.transport.http_client import build_session

log = logging.getLogger(__name__)

Clock = Callable[[], pd.Timestamp]


def utc_now() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC")


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

        def finish(plan: SignalPlan, intake: Intake, session: StoreSession | None, deadline: Deadline | None) -> None:
            self._finish(plan, intake, session, end, result, deadline)

        self._run(signals, end, result.errors, result.notes, finish)
        return result.frozen()

    def pull_into_store(self, signals: Sequence[Signal], end: pd.Timestamp | None = None) -> StorePull:
        """Bring the store up to date for ``signals`` as of ``end`` (default now) without reading it back.

        Each answered chunk is written to the store and dropped before the next is taken, so memory
        stays bounded by a few chunks however long the history (``prometheus_intake``); the caller
        reads the store in pages afterwards. Raises ``StoreError`` like ``fetch``; ``ValueError``
        without a store.
        """
        from detector.sources.prometheus_store_pull import pull_into_store

        return pull_into_store(self, signals, end)

    def _run(
        self,
        signals: Sequence[Signal],
        end: pd.Timestamp,
        errors: dict[str, Exception],
        notes: list[DataNote],
        finish: Callable[[SignalPlan, Intake, StoreSession | None, Deadline | None], None],
        keep_windows: bool = False,
    ) -> None:
        """Plan, pull chunk by chunk and hand each signal's ``Intake`` to ``finish``, in signal order; then prune the
        store (``keep_windows``: not what the windows of this run hold, they are read afterwards)."""
        plans = [plan for plan in (plan_signal(signal, end, self.store, errors, notes) for signal in signals) if plan is not None]
        with self.store.open() if self.store is not None else nullcontext() as session:
            deadline = None
            if self.run_deadline is not None:
                deadline = Deadline(
                    self.monotonic() + self.run_deadline, f"run deadline of {self.run_deadline:g} s passed (schedule.run_deadline)"
                )
            for plan in plans:
                plan.chunk(session, self.settings.max_points_per_query, self.settings.max_range_per_query)
                if self.settings.max_samples_per_query is not None and counts_series(plan, self.settings.max_samples_per_query):
                    fit_to_budget(
                        plan,
                        self._series_count(plan, deadline),
                        self.settings.max_samples_per_query,
                        self.settings.max_points_per_query,
                        self.settings.max_range_per_query,
                    )
            queries = [Query(plan.signal.name, plan.signal.query or "", chunk, plan.step_ms) for plan in plans for chunk in plan.chunks]
            deliveries = stream(self.client, queries, self.settings.concurrency, deadline, self.monotonic)
            try:
                for plan in plans:
                    mine = itertools.islice(deliveries, len(plan.chunks))
                    if session is not None and plan.coverage is not None:
                        intake = into_store(mine, session, plan.key, plan.coverage, plan.chunks)
                    else:
                        intake = in_memory(mine)
                    finish(plan, intake, session, deadline)
            finally:
                deliveries.close()
            if session is not None:
                now_ms = unix_ms(self.clock())
                if keep_windows and plans and self.store is not None:  # read after this: keep what this run's windows need
                    now_ms = min(now_ms, min(plan.window.start_ms for plan in plans) + round(self.store.retention * 1000))
                session.prune(now_ms)

    def _finish(
        self,
        plan: SignalPlan,
        intake: Intake,
        session: StoreSession | None,
        end: pd.Timestamp,
        result: SeriesSetDraft,
        deadline: Deadline | None = None,
    ) -> None:
        name = plan.signal.name
        if intake.error is not None:
            result.errors[name] = intake.error
            return
        notes = list(intake.notes)
        raw = list(intake.raw)
        if session is not None and plan.coverage is not None:  # written chunk by chunk (``into_store``)
            holes = store_holes.describe(session.holes(plan.key), plan.window, plan.step_ms)
            if holes is not None:
                notes.append(DataNote(name, holes, "store"))
            raw = session.read(plan.key, plan.window)
        origin = f"{safe_url(self.settings.url)} signal {name}"
        try:
            series, series_notes = assemble_signal(
                name, raw, plan.signal.step, origin=origin, end=end, min_samples=1
            )  # 1: a new series is too young
        except NoSeries as err:
            young = self._young(plan, end, origin, deadline)
            if young is None:
                result.errors[name] = err  # absent, not broken (an optional signal's note)
            result.notes.extend(notes if young is None else [*notes, young])
            return
        except SeriesSkipped as err:  # the error names the first cause; the notes name every skipped series
            result.errors[name] = SourceError(err.message, location=origin)
            result.notes.extend([*notes, *err.notes])
            return
        result.series[name] = series
        result.notes.extend(notes + series_notes)
        log.debug("%s: %d series from %d request(s)", origin, len(series), len(plan.chunks))

    def _series_count(self, plan: SignalPlan, deadline: Deadline | None) -> int | None:
        """The query's series now (one try; None when it fails: the pull goes on with the usual chunks)."""
        try:
            return self.client.series_count(
                plan.signal.query or "", plan.window.end_ms, signal=plan.signal.name, until=deadline, retry=False
            )
        except SourceError as err:
            log.debug("%s: cannot count the series to size the chunks: %s", plan.signal.name, err)
            return None

    def _young(self, plan: SignalPlan, end: pd.Timestamp, origin: str, deadline: Deadline | None) -> DataNote | None:
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
