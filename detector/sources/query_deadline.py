"""Deadlines for HTTP answers that arrive too slowly, and the shared "this server is unreachable" verdict.

``requests``' ``timeout`` bounds the wait *between* bytes only: a server (or a proxy) that trickles
one byte per second never times out. ``Watchdog`` bounds the whole answer: when its deadline
passes it shuts the socket of the request down, so the blocked read returns at once, and the caller
sees ``fired``. Before the response headers have arrived the socket is found through the
connection the watched thread is sending on (sessions prepared by ``track_connections``).

``Reachability`` is shared by the queries of one fetch: once one query has given up on a server
it cannot connect to, the others fail at once instead of each retrying and logging again.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_SENDING: dict[int, Any] = {}
"""Thread ident -> the connection that thread is sending its current request on."""
_RECHECK = 0.2
"""Seconds between looks for the socket when the deadline passed while still connecting."""


class Watchdog:
    """Shut down the socket of the calling thread's request ``seconds`` after creation (unless cancelled)."""

    def __init__(self, seconds: float) -> None:
        self._lock = threading.Lock()
        self._owner = threading.get_ident()
        _SENDING.pop(self._owner, None)  # a connection of an earlier request is not ours to shut
        self._response: Any = None
        self._cancelled = False
        self.fired = False
        self._arm(max(0.0, seconds))

    def attach(self, response: Any) -> None:
        """The response whose body is being read (a ``requests.Response`` opened with ``stream=True``)."""
        with self._lock:
            self._response = response
            if self.fired:
                _shut(_connection_of(response))

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            self._timer.cancel()
        _SENDING.pop(self._owner, None)

    def _arm(self, seconds: float) -> None:
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            if self._cancelled:
                return
            self.fired = True
            if self._response is not None:
                _shut(_connection_of(self._response))
            elif not _shut(_SENDING.get(self._owner)):
                self._arm(_RECHECK)  # not connected yet: look again until the headers arrive


def _connection_of(response: Any) -> Any:
    return getattr(getattr(response, "raw", None), "connection", None)


def _shut(connection: Any) -> bool:
    """Wake up a reader blocked on ``connection``'s socket (close alone would not, on Linux); True if done."""
    sock = getattr(connection, "sock", None)
    if sock is None:
        return False
    with contextlib.suppress(OSError):  # already closed: nothing is blocked on it
        sock.shutdown(socket.SHUT_RDWR)
    return True


class _TrackedHTTPConnection(HTTPConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        _SENDING[threading.get_ident()] = self
        super().request(*args, **kwargs)


class _TrackedHTTPSConnection(HTTPSConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        _SENDING[threading.get_ident()] = self
        super().request(*args, **kwargs)


class _TrackedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _TrackedHTTPConnection


class _TrackedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _TrackedHTTPSConnection


def track_connections(session: requests.Session) -> None:
    """Let watchdogs find the socket of a request still waiting for its headers (plain adapters only)."""
    for prefix in ("http://", "https://"):
        adapter = session.get_adapter(prefix)
        if type(adapter) is HTTPAdapter:
            adapter.poolmanager.pool_classes_by_scheme = {"http": _TrackedHTTPPool, "https": _TrackedHTTPSPool}


class Reachability:
    """The first "cannot connect" verdict of a fetch, shared by its concurrent queries."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.unreachable: str | None = None  # the reason, once a query gave up connecting
        self._warned = False

    def give_up(self, reason: str) -> None:
        with self._lock:
            if self.unreachable is None:
                self.unreachable = reason

    def reached(self) -> None:
        with self._lock:
            self.unreachable = None

    def first_warning(self) -> bool:
        """True exactly once: only the first connection retry of a fetch is worth a line on stderr."""
        with self._lock:
            first, self._warned = not self._warned, True
            return first
