"""Real Prometheus, Alertmanager and Pushgateway on 127.0.0.1 for integration tests and benchmarks.

Reusable helpers (no pytest dependency)::

    tsdb = backfill(series, tmp / "tsdb")            # OpenMetrics -> promtool -> TSDB blocks
    with start_prometheus(tsdb) as prom:              # free port, waits for /-/ready
        requests.get(prom.url + "/api/v1/query", ...)
    am = start_alertmanager(write_alertmanager_config(tmp / "am.yml", webhook_url), storage_dir=tmp / "am")
    pg = start_pushgateway()
    ...; am.stop(); pg.stop()

A ``BackfillSeries`` is ``(metric_name, labels, timestamps, values)`` with unix **seconds**. Every
server is started by PID and stopped by that PID (``Server.stop``: terminate, then kill after 5 s);
``Server.kill`` is SIGKILL at once (a crash). Binaries are looked up on PATH
(see ``missing_binaries``). Servers never use default ports.
"""

from __future__ import annotations

import ctypes
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import requests
from requests import Response  # the field Traffic.requests hides the module inside that class

from tests.integration.openmetrics_text import BackfillSeries, openmetrics_text

PROMETHEUS = "prometheus"
PROMTOOL = "promtool"
ALERTMANAGER = "prometheus-alertmanager"
PUSHGATEWAY = "prometheus-pushgateway"
READY_TIMEOUT = 30.0


@dataclass
class Traffic:
    """Counts what a ``requests.Session`` received: ``session.hooks["response"].append(traffic.hook)``.

    Thread-safe (``PrometheusSource`` pulls concurrently); ``bytes`` are after decompression;
    ``samples`` counts ``"]`` in successful bodies (exact unless a label value contains ``"]``).
    """

    requests: int = 0
    bytes: int = 0
    samples: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def hook(self, response: Response, *args: object, **kwargs: object) -> Response:
        body = response.content
        samples = body.count(b'"]') if response.status_code == 200 else 0  # every sample is [t,"v"]
        with self._lock:
            self.requests += 1
            self.bytes += len(body)
            self.samples += samples
        return response


def missing_binaries(*names: str) -> list[str]:
    """The names among ``names`` (default: all four tools) that are not on PATH."""
    names = names or (PROMETHEUS, PROMTOOL, ALERTMANAGER, PUSHGATEWAY)
    return [name for name in names if shutil.which(name) is None]


def free_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A server process started by these helpers. ``url`` is ``http://127.0.0.1:PORT``."""

    name: str
    url: str
    port: int
    process: subprocess.Popen
    log_path: Path
    workdir: Path | None = None
    _stopped: bool = field(default=False, repr=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM, then SIGKILL after ``timeout`` seconds; idempotent."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)
        self._cleanup()

    def kill(self) -> None:
        """SIGKILL now (a crash), and reap the process."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self._cleanup()

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def _cleanup(self) -> None:
        if not self._stopped:
            self._stopped = True
            if self.workdir is not None:
                shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def backfill(series: Iterable[BackfillSeries], tsdb_dir: Path, *, max_block_hours: int = 744) -> Path:
    """Write ``series`` as TSDB blocks into ``tsdb_dir`` with ``promtool`` (seconds, not minutes).

    Backfilling the same samples twice into one directory creates duplicate blocks: use a fresh
    directory per data set.
    """
    tsdb_dir = Path(tsdb_dir)
    tsdb_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="slowburn-om-") as scratch:
        source = Path(scratch) / "data.om"
        source.write_text(openmetrics_text(series), encoding="utf-8")
        done = subprocess.run(
            [
                PROMTOOL,
                "tsdb",
                "create-blocks-from",
                "openmetrics",
                f"--max-block-duration={max_block_hours}h",
                "-q",
                str(source),
                str(tsdb_dir),
            ],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"promtool failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return tsdb_dir


def start_prometheus(tsdb_dir: Path, port: int | None = None, *, lookback_delta: str = "59m", extra_args: Sequence[str] = ()) -> Server:
    """Prometheus on ``tsdb_dir`` with no scrape jobs, retention 3650d, on 127.0.0.1.

    ``lookback_delta`` 59m makes hourly samples visible at hourly steps while a missing hour stays
    a gap (61m would repeat the previous sample into it). Hourly samples must lie on the hour (or at
    least a minute past it): one stamped hh:00:01 .. hh:00:59 is 59-60 min older than the next grid
    point and no grid point sees it (test_first_hour's two-day series did, started in such a minute).
    """
    workdir = Path(tempfile.mkdtemp(prefix="slowburn-prom-"))
    config = workdir / "prometheus.yml"
    config.write_text("global: {}\nscrape_configs: []\n", encoding="utf-8")

    def command(p: int) -> list[str]:
        return [
            PROMETHEUS,
            f"--config.file={config}",
            f"--storage.tsdb.path={tsdb_dir}",
            "--storage.tsdb.retention.time=3650d",
            f"--query.lookback-delta={lookback_delta}",
            f"--web.listen-address=127.0.0.1:{p}",
            *extra_args,
        ]

    return _start("prometheus", command, port, workdir)


def write_alertmanager_config(path: Path, webhook_url: str, *, repeat_interval: str = "1h") -> Path:
    """An Alertmanager config that sends every alert to ``webhook_url`` after 1 s (group_wait/interval)."""
    path = Path(path)
    path.write_text(
        "route:\n"
        "  receiver: webhook\n"
        "  group_by: ['...']\n"
        "  group_wait: 1s\n"
        "  group_interval: 1s\n"
        f"  repeat_interval: {repeat_interval}\n"
        "receivers:\n"
        "  - name: webhook\n"
        "    webhook_configs:\n"
        f"      - url: '{webhook_url}'\n"
        "        send_resolved: true\n",
        encoding="utf-8",
    )
    return path


def start_alertmanager(config_path: Path, port: int | None = None, storage_dir: Path | None = None) -> Server:
    """Alertmanager with ``config_path``, no clustering, state in ``storage_dir`` (default: a temp dir)."""
    workdir = Path(tempfile.mkdtemp(prefix="slowburn-am-"))
    storage = Path(storage_dir) if storage_dir is not None else workdir / "data"
    storage.mkdir(parents=True, exist_ok=True)

    def command(p: int) -> list[str]:
        return [
            ALERTMANAGER,
            f"--config.file={config_path}",
            f"--storage.path={storage}",
            f"--web.listen-address=127.0.0.1:{p}",
            "--cluster.listen-address=",
        ]

    return _start("alertmanager", command, port, workdir)


def start_pushgateway(port: int | None = None) -> Server:
    """Pushgateway without persistence on 127.0.0.1."""
    workdir = Path(tempfile.mkdtemp(prefix="slowburn-pg-"))

    def command(p: int) -> list[str]:
        return [PUSHGATEWAY, f"--web.listen-address=127.0.0.1:{p}", "--persistence.file="]

    return _start("pushgateway", command, port, workdir)


def wait_ready(server: Server, timeout: float = READY_TIMEOUT) -> None:
    """Poll ``/-/ready`` until HTTP 200; raise ``RuntimeError`` (with the log) if it dies or times out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            if requests.get(server.url + "/-/ready", timeout=1).status_code == 200:
                return
        except requests.exceptions.RequestException:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{server.name} not ready after {timeout:g} s:\n{server.log_tail()}")


def _start(name: str, command: Callable[[int], list[str]], port: int | None, workdir: Path, attempts: int = 3) -> Server:
    """Start ``command(port)`` and wait until ready; if another process took the free port, try another."""
    for attempt in range(attempts):
        chosen = port if port is not None else free_port()
        log_path = workdir / f"{name}-{chosen}.log"
        with open(log_path, "ab") as log:
            process = subprocess.Popen(
                command(chosen), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent
            )
        server = Server(name, f"http://127.0.0.1:{chosen}", chosen, process, log_path, workdir)
        try:
            wait_ready(server)
            return server
        except RuntimeError:
            lost_race = port is None and "address already in use" in server.log_tail().lower()
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
            if not lost_race or attempt == attempts - 1:
                shutil.rmtree(workdir, ignore_errors=True)
                raise
    raise RuntimeError(f"{name} could not start")


def _die_with_parent() -> None:
    """Linux: SIGTERM the server when the process (thread) that started it dies, e.g. a killed pytest."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
