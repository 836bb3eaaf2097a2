"""The small HTTP server of ``slowburn serve``: ``/metrics`` (own registry) and ``/healthz``.

``/healthz`` answers 200 while the last finished run evaluated at least one signal (a partial
failure or an undelivered alert is reported in the body but is no reason to pull the pod), or
while no run has finished yet and the start-up grace has not run out; 503 when the last run could
evaluate nothing (Prometheus or the history store unusable, or a crash), or when no run finished
within the grace.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import asdict, dataclass
from socketserver import ThreadingMixIn
from typing import Any, Callable, Iterable
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app

from detector.errors import ConfigError

StartResponse = Callable[..., Any]


@dataclass(frozen=True)
class LastRun:
    status: str                 # ExitStatus name, or "CRASHED"
    evaluated: bool
    finished_at: float          # unix seconds
    duration: float             # seconds


class Health:
    """What ``/healthz`` reports; ``record`` is called by the scheduler thread after every run."""

    def __init__(self, grace_seconds: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.grace_seconds = grace_seconds
        self._monotonic = monotonic
        self._started = monotonic()
        self._last: LastRun | None = None
        self._lock = threading.Lock()

    def record(self, run: LastRun) -> None:
        with self._lock:
            self._last = run

    def check(self) -> tuple[int, dict[str, Any]]:
        """(HTTP status, JSON body)."""
        with self._lock:
            last = self._last
        if last is None:
            waited = self._monotonic() - self._started
            if waited < self.grace_seconds:
                return 200, {"status": "starting", "waited_seconds": round(waited, 1), "grace_seconds": self.grace_seconds}
            return 503, {"status": "no run finished", "waited_seconds": round(waited, 1), "grace_seconds": self.grace_seconds}
        body = {"status": "ok" if last.evaluated else "failing", "last_run": asdict(last)}
        return (200 if last.evaluated else 503), body


def make_app(registry: CollectorRegistry, health: Health) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """WSGI app: ``/metrics`` via prometheus_client, ``/healthz`` from ``health``, 404 otherwise."""
    metrics_app = make_wsgi_app(registry)

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        if path == "/metrics":
            return metrics_app(environ, start_response)
        if path == "/healthz":
            code, body = health.check()
            data = (json.dumps(body) + "\n").encode()
            start_response(f"{code} {'OK' if code == 200 else 'Service Unavailable'}",
                           [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
            return [data]
        data = b"not found: try /metrics or /healthz\n"
        start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", str(len(data)))])
        return [data]

    return app


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True       # a slow scraper never holds up shutdown


class _ThreadingServer6(_ThreadingServer):
    address_family = socket.AF_INET6


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:     # probes every few seconds: no access log
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
