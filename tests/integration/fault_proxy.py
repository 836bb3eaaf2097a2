"""A loopback proxy in front of a real Prometheus that misbehaves on chosen queries.

    proxy = FaultProxy(prometheus.url, {"sb_ratio": Trickle()})      # key: the PromQL query
    proxy = FaultProxy(alertmanager.url, {"/api/v2/alerts": TrickleHeaders()})   # POST/PUT: key is the path
    ...proxy.url...; proxy.stop()

Faults Prometheus cannot produce itself: an answer trickled one byte at a time (it never trips a
between-bytes timeout), a body cut off mid-way with the connection closed, a 200 HTML page from
a misconfigured ingress. Every other query is forwarded unchanged. ``on_request(params)`` sees each
GET as it arrives (a test records the order of requests against other events).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import requests


@dataclass
class Trickle:
    """Send the headers at once, then one byte of the real body every ``interval`` seconds."""

    interval: float = 0.2


@dataclass
class TrickleHeaders:
    """Send even the status line and headers one byte every ``interval`` seconds."""

    interval: float = 0.2


@dataclass
class Truncate:
    """The first ``times`` answers: half the real body, then close (no Content-Length, so no protocol error)."""

    times: int = 1


@dataclass
class HtmlPage:
    """The first ``times`` answers: a 200 HTML page, as an ingress or an SSO proxy gives."""

    times: int = 1
    page: bytes = b"<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>"


class FaultProxy:
    """Forward to ``upstream``; apply ``faults[query]`` to the queries named there."""

    def __init__(self, upstream: str, faults: Mapping[str, object], on_request: Callable[[dict[str, str]], None] | None = None) -> None:
        self.upstream = upstream
        self.faults = dict(faults)
        self.on_request = on_request
        self.seen: dict[str, int] = {}
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                params = {k: v[0] for k, v in parse_qs(parts.query).items()}
                query = params.get("query", "")
                with outer._lock:
                    count = outer.seen[query] = outer.seen.get(query, 0) + 1
                if outer.on_request is not None:
                    outer.on_request(params)  # a GET's query parameters, as it arrives
                answer = requests.get(outer.upstream + parts.path, params=params, timeout=30)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up: what we test
                    outer._answer(self, outer.faults.get(query), count, answer)

            def do_POST(self) -> None:
                self._forward_body("POST")

            def do_PUT(self) -> None:
                self._forward_body("PUT")

            def _forward_body(self, method: str) -> None:
                """A push (Alertmanager, Pushgateway): forwarded with its body; faults keyed by the path."""
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() in ("content-type", "authorization")}
                with outer._lock:
                    count = outer.seen[self.path] = outer.seen.get(self.path, 0) + 1
                answer = requests.request(method, outer.upstream + self.path, data=body, headers=headers, timeout=30)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    outer._answer(self, outer.faults.get(self.path), count, answer)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _answer(self, handler: BaseHTTPRequestHandler, fault: object, count: int, answer: requests.Response) -> None:
        body = answer.content
        if isinstance(fault, Trickle):
            handler.send_response(answer.status_code)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            for index in range(len(body)):
                if self.stopping.wait(fault.interval):
                    return
                handler.wfile.write(body[index : index + 1])
                handler.wfile.flush()
            return
        if isinstance(fault, TrickleHeaders):
            head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            for index in range(len(head)):
                if self.stopping.wait(fault.interval):
                    return
                handler.wfile.write(head[index : index + 1])
                handler.wfile.flush()
            handler.wfile.write(body)
            return
        if isinstance(fault, Truncate) and count <= fault.times:
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Connection", "close")
            handler.end_headers()
            handler.wfile.write(body[: len(body) // 2])
            handler.close_connection = True
            return
        if isinstance(fault, HtmlPage) and count <= fault.times:
            body, status, kind = fault.page, 200, "text/html"
        else:
            status, kind = answer.status_code, "application/json"
        handler.send_response(status)
        handler.send_header("Content-Type", kind)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
