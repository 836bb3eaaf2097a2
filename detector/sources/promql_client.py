"""One ``/api/v1/query_range`` call with retries, turned into raw series or a clear ``SourceError``.

Plain ``requests`` on an injected session rather than prometheus-api-client: its own retry adapter
hides the status, the ``Retry-After`` header and the server's ``errorType``/``error`` message, it
cannot be given a fake clock or sleeper, and it would add a ``dateparser`` code path for times we
already hold as milliseconds. Here each failure maps to exactly one message and retries are
testable without real sleeps. The body is parsed series by series by the same code as exported JSON
files (``prometheus_body``), so a live pull and a saved ``query_range`` response give identical series.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable
from typing import Any

import requests

from detector.core.redact import redact_text, strip_userinfo
from detector.core.series import DataNote
from detector.errors import DataError, SourceError
from detector.sources.base import RawSeries
from detector.sources.prometheus_body import parse_range_answer
from detector.sources.prometheus_chunks import TimeRange, format_seconds
from detector.sources.promql_failures import Deadline
from detector.sources.promql_failures import Permanent as _Permanent
from detector.sources.promql_failures import Transient as _Transient
from detector.sources.promql_failures import Unreachable as _Unreachable
from detector.sources.promql_messages import hint as _hint
from detector.sources.promql_messages import incomplete as _incomplete
from detector.sources.promql_messages import never_connected as _never_connected
from detector.sources.promql_messages import reason as _reason
from detector.sources.promql_messages import server_message as _server_message
from detector.sources.promql_messages import warnings_of as _warnings
from detector.sources.query_deadline import Reachability, Watchdog, track_connections
from detector.sources.retry_policy import (
    RETRIED_STATUSES,
    RetryPolicy,
    parse_retry_after,
)

log = logging.getLogger(__name__)

__all__ = ["INSTANT_PATH", "QUERY_RANGE_PATH", "Deadline", "PromQLClient", "safe_url"]

QUERY_RANGE_PATH = "/api/v1/query_range"
INSTANT_PATH = "/api/v1/query"


safe_url = strip_userinfo
"""``url`` without any ``user:password@`` part, for messages and logs (``detector.core.redact``)."""


class PromQLClient:
    """Range queries against one Prometheus-compatible API (Prometheus, Thanos, Mimir, VictoriaMetrics).

    Parameters
    ----------
    base_url : str
        API root without ``/api/v1`` (e.g. ``http://prometheus:9090`` or ``https://mimir/prometheus``).
    session : requests.Session
        Carries auth, headers and TLS options (``detector.transport.http_client.build_session``).
    timeout : float
        Seconds to wait for the connection and between bytes of the response.
    retry : RetryPolicy
        Which failures are retried and how long to wait.
    sleep : callable
        ``sleep(seconds)``; injected so tests do not wait.
    rng : random.Random
        Jitter source (seed it for reproducible waits).
    now : callable
        Current unix time in seconds (for ``Retry-After`` given as an HTTP date).
    query_deadline : float, optional
        Seconds one query may take in all, retries and waits included (None: no bound beyond
        ``timeout`` between bytes).
    monotonic : callable
        Monotonic seconds for the deadlines.
    """

    def __init__(
        self,
        base_url: str,
        session: requests.Session,
        *,
        timeout: float,
        retry: RetryPolicy,
        sleep: Callable[[float], None],
        rng: random.Random,
        now: Callable[[], float],
        query_deadline: float | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session
        track_connections(session)
        self.timeout = timeout
        self.retry = retry
        self.sleep = sleep
        self.rng = rng
        self.now = now
        self.query_deadline = query_deadline
        self.monotonic = monotonic

    def query_range(
        self,
        query: str,
        span: TimeRange,
        step_ms: int,
        *,
        signal: str,
        until: Deadline | None = None,
        reach: Reachability | None = None,
    ) -> tuple[list[RawSeries], list[DataNote]]:
        """Samples of ``query`` at every grid point of ``span``; raises ``SourceError`` naming ``signal``.

        ``until`` is the run's deadline (the earlier of it and ``query_deadline`` applies);
        ``reach`` is shared by the queries of one fetch (see ``Reachability``).
        """
        params = {
            "query": query,
            "start": format_seconds(span.start_ms),
            "end": format_seconds(span.end_ms),
            "step": format_seconds(step_ms),
        }
        where = f"{safe_url(self.base_url)} signal {signal}"
        return self._call(QUERY_RANGE_PATH, params, lambda body: self._parse(body, where, signal), where, until, reach)

    def series_count(self, query: str, at_ms: int, *, signal: str, until: Deadline | None = None, retry: bool = True) -> int:
        """How many series ``query`` has at ``at_ms`` (``count(query)`` as an instant query), under the
        same retries (none with ``retry=False``) and deadlines as ``query_range``; raises ``SourceError`` naming ``signal``."""
        params = {"query": f"count({query})", "time": format_seconds(at_ms)}
        where = f"{safe_url(self.base_url)} signal {signal}"
        return self._call(INSTANT_PATH, params, _count_of, where, until, None, retry=retry)

    def _call(
        self,
        path: str,
        params: dict[str, str],
        parse: Callable[[bytes], Any],
        where: str,
        until: Deadline | None,
        reach: Reachability | None,
        *,
        retry: bool = True,
    ) -> Any:
        """One API call with retries: ``parse(body)`` of the first good answer, else ``SourceError``."""
        deadline = self._deadline(until)
        attempt = 0
        while True:
            try:
                if reach is not None and reach.unreachable is not None:
                    raise _Permanent(f"not queried, the server is unreachable: {reach.unreachable}")
                if deadline is not None and self.monotonic() >= deadline.at:
                    raise _Permanent(deadline.message)
                body = self._attempt(path, params, deadline)
                answer = parse(body)
            except _Transient as failure:
                wait = self.retry.delay(attempt, self.rng, failure.retry_after) if retry else None
                tries = f" (after {attempt + 1} attempts)" if attempt else ""
                if wait is not None and deadline is not None and self.monotonic() + wait >= deadline.at:
                    wait, tries = None, f" (after {attempt + 1} attempt(s); {deadline.message})"
                if wait is None:
                    if isinstance(failure, _Unreachable) and reach is not None:
                        reach.give_up(f"{failure.message}{tries}")
                    raise SourceError(f"{failure.message}{tries}", location=where) from None
                if not isinstance(failure, _Unreachable) or reach is None or reach.first_warning():
                    log.warning("%s: %s; retry %d/%d in %.1f s", where, failure.message, attempt + 1, self.retry.retries, wait)
                self.sleep(wait)
                attempt += 1
                continue
            except _Permanent as failure:
                raise SourceError(failure.message, location=where) from None
            if reach is not None:
                reach.reached()
            return answer

    def _deadline(self, until: Deadline | None) -> Deadline | None:
        """The earlier of the run's deadline and this query's own."""
        if self.query_deadline is None:
            return until
        own = Deadline(
            self.monotonic() + self.query_deadline, f"query deadline of {self.query_deadline:g} s passed (prometheus.query_deadline)"
        )
        return own if until is None or own.at <= until.at else until

    def _attempt(self, path: str, params: dict[str, str], deadline: Deadline | None) -> bytes:
        url = self.base_url + path
        watchdog = Watchdog(deadline.at - self.monotonic()) if deadline is not None else None
        try:
            response = self.session.get(url, params=params, timeout=self.timeout, stream=True)
            if watchdog is not None:
                watchdog.attach(response)
            try:
                body = response.content
            finally:
                response.close()
        except requests.exceptions.SSLError as exc:
            raise _Permanent(f"TLS error: {_reason(exc)} (check prometheus.ca_file)") from None
        except requests.exceptions.Timeout:
            if watchdog is not None and watchdog.fired and deadline is not None:
                raise _Permanent(deadline.message) from None
            raise _Transient(f"no answer within the timeout of {self.timeout:g} s") from None
        except requests.exceptions.ConnectionError as exc:
            if watchdog is not None and watchdog.fired and deadline is not None:
                raise _Permanent(deadline.message) from None
            if _never_connected(exc):
                raise _Unreachable(f"cannot connect: {_reason(exc)}") from None
            raise _Transient(f"connection lost: {_reason(exc)}") from None
        except requests.exceptions.ChunkedEncodingError as exc:
            if watchdog is not None and watchdog.fired and deadline is not None:
                raise _Permanent(deadline.message) from None
            raise _Transient(f"connection lost: {_reason(exc)}") from None
        except requests.exceptions.RequestException as exc:
            raise _Permanent(f"request failed: {_reason(exc)}") from None
        finally:
            if watchdog is not None:
                watchdog.cancel()
        if watchdog is not None and watchdog.fired and deadline is not None:
            raise _Permanent(deadline.message)  # the shut socket may have looked like a short body
        if response.status_code == 200:
            return body
        message = f"HTTP {response.status_code}: {_server_message(body)}{_hint(response.status_code, body)}"
        if response.status_code in RETRIED_STATUSES:
            raise _Transient(message, parse_retry_after(response.headers.get("Retry-After"), self.now()))
        raise _Permanent(message)

    def _parse(self, body: bytes, where: str, signal: str) -> tuple[list[RawSeries], list[DataNote]]:
        """Raw series and notes; ``_Transient`` for a body that is not (complete) JSON, as a proxy's
        error page or a cut connection gives, ``_Permanent`` for JSON that is not a range answer."""
        try:
            text = body.decode("utf-8")
            series, notes = parse_range_answer(text, where, signal)
        except UnicodeDecodeError:
            raise _Transient(f"malformed response: not UTF-8 text: {_server_message(body)}") from None
        except RecursionError:
            raise _Permanent("malformed response: JSON nested too deeply") from None
        except DataError as err:
            incomplete = _incomplete(body)
            if incomplete is not None:
                raise _Transient(f"malformed response: {incomplete}") from None
            raise _Permanent(f"malformed response: {redact_text(err.message)}") from None
        if b'"warnings"' in body:
            notes.extend(DataNote(signal, f"server warning: {w}", where) for w in _warnings(text))
        return series, notes


def _count_of(body: bytes) -> int:
    """The value of a ``count(...)`` instant answer (0 for an empty vector); ``_Permanent`` otherwise."""
    try:
        answer = json.loads(body.decode("utf-8"))
        result = answer["data"]["result"] if answer.get("status") == "success" else None
        return int(float(result[0]["value"][1])) if result else 0
    except (UnicodeDecodeError, ValueError, KeyError, IndexError, TypeError, AttributeError):
        raise _Permanent(f"malformed response to an instant query: {_server_message(body)}") from None
