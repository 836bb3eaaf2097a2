"""The small HTTP server of ``slowburn serve``: ``/metrics`` (own registry), ``/healthz`` and ``/livez``.

``/healthz`` (readiness) answers 200 while the last finished run evaluated at least one signal (a
partial failure or an undelivered alert is reported in the body but is no reason to pull the pod),
or while no run has finished yet and the start-up grace has not run out; 503 with the reason when
the last run could evaluate nothing (Prometheus or the history store unusable, or a crash), when
no run finished within the grace, or when no run has succeeded for longer than ``stale_after``.

``/livez`` (liveness) answers 503 only in the last two cases: the process is wedged or has been
useless for several schedule intervals, and a restart is the remedy. One failed run is not.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app

from detector.errors import ConfigError

StartResponse = Callable[..., Any]


@dataclass(frozen=True)
class LastRun:
    status: str  # ExitStatus name, or "CRASHED"
    evaluated: bool
    finished_at: float  # unix seconds
    duration: float  # seconds


class Health:
    """What ``/healthz`` and ``/livez`` report; ``record`` is called by the scheduler thread after every run.

    Parameters
    ----------
    grace_seconds : float
        How long the first run may take before the pod counts as broken.
    stale_after : float, optional
        Seconds without a successful run (one that evaluated a signal) after which both endpoints
        answer 503: ``schedule.unhealthy_after`` x the schedule interval. None: never stale.
    monotonic : callable
        Monotonic seconds (injected in tests).
    """

    def __init__(self, grace_seconds: float, stale_after: float | None = None, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.grace_seconds = grace_seconds
        self.stale_after = stale_after
        self._monotonic = monotonic
        self._started = monotonic()
        self._last: LastRun | None = None
        self._last_success: float | None = None
        self._lock = threading.Lock()

    def record(self, run: LastRun) -> None:
        with self._lock:
            self._last = run
            if run.evaluated:
                self._last_success = self._monotonic()

    def check(self) -> tuple[int, dict[str, Any]]:
        """Readiness: (HTTP status, JSON body)."""
        with self._lock:
            last = self._last
        broken = self._broken()
        if broken is not None:
            return 503, broken
        if last is None:
            waited = self._monotonic() - self._started
            return 200, {"status": "starting", "waited_seconds": round(waited, 1), "grace_seconds": self.grace_seconds}
        if last.evaluated:
            return 200, {"status": "ok", "last_run": asdict(last)}
        reason = f"the last run evaluated no signal (status {last.status})"
        return 503, {"status": "failing", "reason": reason, "last_run": asdict(last)}

    def live(self) -> tuple[int, dict[str, Any]]:
        """Liveness: 503 only when wedged (no run within the grace) or stale (no success for ``stale_after``)."""
        broken = self._broken()
        return (503, broken) if broken is not None else (200, {"status": "alive"})

    def _broken(self) -> dict[str, Any] | None:
        """The body of a 503 that a restart may cure, or None."""
        with self._lock:
            last, success = self._last, self._last_success
        now = self._monotonic()
        waited = now - self._started
        if last is None and waited >= self.grace_seconds:
            reason = f"no run finished in the {waited:.0f} s since start (grace {self.grace_seconds:g} s)"
            return {"status": "no run finished", "reason": reason, "waited_seconds": round(waited, 1), "grace_seconds": self.grace_seconds}
        if self.stale_after is None or (last is None and waited < self.grace_seconds):
            return None
        since = now - (success if success is not None else self._started)
        if since <= self.stale_after:
            return None
        what = f"no run succeeded for {since:.0f} s" if success is not None else f"no run succeeded in the {since:.0f} s since start"
        body: dict[str, Any] = {
            "status": "stale",
            "reason": f"{what} (limit {self.stale_after:g} s: schedule.unhealthy_after x the schedule interval)",
        }
        if last is not None:
            body["last_run"] = asdict(last)
        return body


def make_app(registry: CollectorRegistry, health: Health) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """WSGI app: ``/metrics`` via prometheus_client, ``/healthz`` from ``health``, 404 otherwise."""
    metrics_app = make_wsgi_app(registry)

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        if path == "/metrics":
            return metrics_app(environ, start_response)
        if path in ("/healthz", "/livez"):
            code, body = health.check() if path == "/healthz" else health.live()
            data = (json.dumps(body) + "\n").encode()
            start_response(
                f"{code} {'OK' if code == 200 else 'Service Unavailable'}",
                [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
            )
            return [data]
        data = b"not found: try /metrics, /healthz or /livez\n"
        start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", str(len(data)))])
        return [data]

    return app


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a slow scraper never holds up shutdown


class _ThreadingServer6(_ThreadingServer):
    address_family = socket.AF_INET6


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # probes every few seconds: no access log
        pass


class HttpServer:
    """Serve ``app`` on ``host:port`` in a daemon thread; port 0 picks a free port (see ``port``)."""

    def __init__(self, app: Callable[..., Iterable[bytes]], host: str, port: int, *, location: str = "listen") -> None:
        try:
            server_class = _ThreadingServer6 if ":" in host else _ThreadingServer
            self._server = make_server(host, port, app, server_class=server_class, handler_class=_QuietHandler)
        except OSError as exc:
            raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}", location=location) from None
        self._thread = threading.Thread(target=self._server.serve_forever, name="slowburn-http", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def parse_listen(text: str, location: str = "listen") -> tuple[str, int]:
    """'HOST:PORT' (HOST may be empty, a name, an IPv4 address or '[IPv6]') to (host, port)."""
    host, sep, port_text = text.rpartition(":")
    if not sep or not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ConfigError(f"expected HOST:PORT such as 0.0.0.0:9464, got {text!r}", location=location)
    host = host.strip("[]") or "0.0.0.0"
    return host, int(port_text)
