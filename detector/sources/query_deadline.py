"""Deadlines for HTTP answers that arrive too slowly, and the shared "this server is unreachable" verdict.

``requests``' ``timeout`` bounds the wait *between* bytes only: a server (or a proxy) that trickles
one byte per second never times out. ``Watchdog`` bounds the whole answer: when its deadline
passes it shuts the response's socket down, so the blocked read returns at once, and the caller
sees ``fired``. A deadline that passes before the response headers arrived is applied as soon as
they do (the wait for headers stays bounded by the between-bytes timeout and by the run deadline).

``Reachability`` is shared by the queries of one fetch: once one query has given up on a server
it cannot connect to, the others fail at once instead of each retrying and logging again.
"""

from __future__ import annotations

import socket
import threading
from typing import Any


class Watchdog:
    """Shut down the socket of ``attach``-ed response ``seconds`` after creation (unless cancelled)."""

    def __init__(self, seconds: float) -> None:
        self._lock = threading.Lock()
        self._response: Any = None
        self.fired = False
        self._timer = threading.Timer(max(0.0, seconds), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def attach(self, response: Any) -> None:
        """The response whose body is being read (a ``requests.Response`` opened with ``stream=True``)."""
        with self._lock:
            self._response = response
            if self.fired:
                _shut(response)

    def cancel(self) -> None:
        self._timer.cancel()

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            if self._response is not None:
                _shut(self._response)


def _shut(response: Any) -> None:
    """Wake up a reader blocked on ``response``'s socket (close alone would not, on Linux)."""
    connection = getattr(getattr(response, "raw", None), "connection", None)
    sock = getattr(connection, "sock", None)
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass                                  # already closed: nothing is blocked on it


class Reachability:
    """The first "cannot connect" verdict of a fetch, shared by its concurrent queries."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.unreachable: str | None = None    # the reason, once a query gave up connecting
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
