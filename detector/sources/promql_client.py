"""One ``/api/v1/query_range`` call with retries, turned into raw series or a clear ``SourceError``.

Plain ``requests`` on an injected session rather than prometheus-api-client: its own retry adapter
hides the status, the ``Retry-After`` header and the server's ``errorType``/``error`` message, it
cannot be given a fake clock or sleeper, and it would add a ``dateparser`` code path for times we
already hold as milliseconds. Here each failure maps to exactly one message and retries are
testable without real sleeps. The body is parsed by the same reader as exported JSON files, so a
live pull and a saved ``query_range`` response give identical series.
"""

from __future__ import annotations

import json
import logging
import random
import re
from typing import Callable
from urllib.parse import urlsplit, urlunsplit

import requests

from detector.errors import DataError, SourceError
from detector.series import DataNote
from detector.sources.base import RawSeries
from detector.sources.export_json import parse_json_export
from detector.sources.prometheus_chunks import TimeRange, format_seconds
from detector.sources.retry_policy import RETRIED_STATUSES, RetryPolicy, parse_retry_after

log = logging.getLogger(__name__)

QUERY_RANGE_PATH = "/api/v1/query_range"


class _Transient(Exception):
    """A failed attempt that may succeed when retried; ``retry_after`` in seconds if the server said."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class _Permanent(Exception):
    """A failure that retrying cannot fix (bad query, wrong URL, refused credentials)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def safe_url(url: str) -> str:
    """``url`` without any ``user:password@`` part, for messages and logs."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


class PromQLClient:
    """Range queries against one Prometheus-compatible API (Prometheus, Thanos, Mimir, VictoriaMetrics).

    Parameters
    ----------
    base_url : str
        API root without ``/api/v1`` (e.g. ``http://prometheus:9090`` or ``https://mimir/prometheus``).
    session : requests.Session
        Carries auth, headers and TLS options (``detector.http_client.build_session``).
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
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session
        self.timeout = timeout
        self.retry = retry
        self.sleep = sleep
        self.rng = rng
        self.now = now

    def query_range(
        self, query: str, span: TimeRange, step_ms: int, *, signal: str
    ) -> tuple[list[RawSeries], list[DataNote]]:
        """Samples of ``query`` at every grid point of ``span``; raises ``SourceError`` naming ``signal``."""
        params = {
            "query": query,
            "start": format_seconds(span.start_ms),
            "end": format_seconds(span.end_ms),
            "step": format_seconds(step_ms),
        }
        where = f"{safe_url(self.base_url)} signal {signal}"
        attempt = 0
        while True:
            try:
                body = self._attempt(params)
            except _Transient as failure:
                wait = self.retry.delay(attempt, self.rng, failure.retry_after)
                if wait is None:
                    tries = f" (after {attempt + 1} attempts)" if attempt else ""
                    raise SourceError(f"{failure.message}{tries}", location=where) from None
                log.warning("%s: %s; retry %d/%d in %.1f s", where, failure.message, attempt + 1, self.retry.retries, wait)
                self.sleep(wait)
                attempt += 1
                continue
            except _Permanent as failure:
                raise SourceError(failure.message, location=where) from None
            return self._parse(body, where, signal)

    def _attempt(self, params: dict[str, str]) -> bytes:
        url = self.base_url + QUERY_RANGE_PATH
        try:
            response = self.session.get(url, params=params, timeout=self.timeout)
            body = response.content
        except requests.exceptions.SSLError as exc:
            raise _Permanent(f"TLS error: {_reason(exc)} (check prometheus.ca_file)") from None
        except requests.exceptions.Timeout:
            raise _Transient(f"no answer within the timeout of {self.timeout:g} s") from None
        except (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            raise _Transient(f"cannot connect: {_reason(exc)}") from None
        except requests.exceptions.RequestException as exc:
            raise _Permanent(f"request failed: {_reason(exc)}") from None
        if response.status_code == 200:
            return body
        message = f"HTTP {response.status_code}: {_server_message(body)}{_hint(response.status_code, body)}"
        if response.status_code in RETRIED_STATUSES:
            raise _Transient(message, parse_retry_after(response.headers.get("Retry-After"), self.now()))
        raise _Permanent(message)

    def _parse(self, body: bytes, where: str, signal: str) -> tuple[list[RawSeries], list[DataNote]]:
        try:
            text = body.decode("utf-8")
            series, notes = parse_json_export(text, where, signal)
        except UnicodeDecodeError:
            raise SourceError("malformed response: not UTF-8 text", location=where) from None
        except DataError as err:
            raise SourceError(f"malformed response: {err.message}", location=where) from None
        if b'"warnings"' in body:
            notes.extend(DataNote(signal, f"server warning: {w}", where) for w in _warnings(text))
        return series, notes


def _server_message(body: bytes) -> str:
    """``errorType: error`` from a Prometheus error body, else the start of the body."""
    try:
        document = json.loads(body)
    except ValueError:
        document = None
    if isinstance(document, dict) and "error" in document:
        kind = document.get("errorType")
        return f"{kind}: {document['error']}" if kind else str(document["error"])
    text = body.decode("utf-8", errors="replace").strip()
    text = re.sub(r"\s+", " ", text)
    return (text[:200] + "...") if len(text) > 200 else (text or "(empty body)")


def _hint(status: int, body: bytes) -> str:
    if b"exceeded maximum resolution" in body:
        return " (lower prometheus.max_points_per_query)"
    if b"query time range exceeds" in body or b"the query time range" in body:
        return " (set prometheus.max_range_per_query below the server's limit)"
    if status == 404:
        return " (check prometheus.url: does the API live under a path prefix?)"
    if status in (401, 403):
        return " (check the credentials configured for prometheus)"
    return ""


def _reason(exc: requests.exceptions.RequestException) -> str:
    """The innermost, human part of a requests/urllib3 exception (no object reprs, no query)."""
    inner: object = exc.args[0] if exc.args else exc
    inner = getattr(inner, "reason", inner)
    text = str(inner)
    text = re.sub(r"<[^>]*object at 0x[0-9a-f]+>:?\s*", "", text)
    errno = re.search(r"\[Errno -?\d+\]\s*([^'\")]+)", text)
    if errno:
        return errno.group(1).strip()
    return text[:200]


def _warnings(text: str) -> list[str]:
    try:
        document = json.loads(text)
    except ValueError:
        return []
    warnings = document.get("warnings") if isinstance(document, dict) else None
    return [str(w) for w in warnings] if isinstance(warnings, list) else []
