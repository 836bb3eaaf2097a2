"""Wall-clock times that the tests used to assert, printed here instead (a busy machine made them flaky).

Run: python3 -m benchmarks.timings [--skip NAME ...]

The tests keep the assertions about behaviour (what is imported, what is read back, which message a
stop prints); this module says how long each took on this machine. Targets are printed beside the
times for reading, never enforced. Sections:

- startup: ``slowburn --version``, ``--help``, a command's ``--help`` and config or usage errors (a
  missing file, a live run without ``prometheus:``, a bad ``--at``, a missing ``--data``), each a new
  process (target: well under a second; heavy libraries are imported only by commands that evaluate).
- export: 25 exported files of 6,500 hourly points read (target < 0.8 s).
- regular_grid: 200 series of 10,000 unsorted samples put on the hourly grid (target < 1.5 s).
- store: 1,000 series of 180 days written to and read back from the history store (target < 10 s).
- kube_read: the live limits source through the real ``kubernetes`` client, one object per page,
  against the loopback API replay (target: seconds).
- serve_stop: ``slowburn serve`` exiting after SIGINT with an idle scheduler, and after SIGTERM
  in the middle of a run that hangs, with ``--shutdown-timeout 1s`` (target < 5 s each).
"""

from __future__ import annotations

import argparse
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _seconds(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def startup() -> list[tuple[str, float, str]]:
    bad = Path(tempfile.mkdtemp()) / "missing.yaml"
    cases = {
        "slowburn --version": ["--version"],
        "slowburn --help": ["--help"],
        "slowburn run --help": ["run", "--help"],
        "slowburn run --config missing.yaml (exit 3)": ["run", "--config", str(bad)],
        "slowburn run, no prometheus: block (exit 3)": ["run", "--config", "config/replicas.yaml"],
        "slowburn run --at garbage (exit 2)": ["run", "--config", "config/replicas.yaml", "--data", "data/replicas", "--at", "garbage"],
        "slowburn run --data missing (exit 4)": ["run", "--config", "config/replicas.yaml", "--data", str(bad.parent / "missing")],
        "slowburn backtest --incidents missing.yaml (exit 9)": [
            "backtest",
            "--config",
            "config/replicas.yaml",
            "--data",
            "data/replicas",
            "--incidents",
            str(bad),
        ],
        "python3 -c 'import pandas, scipy.stats' (for scale)": None,
    }
    rows = []
    for name, argv in cases.items():
        command = [sys.executable, "-m", "detector", *argv] if argv else [sys.executable, "-c", "import pandas, scipy.stats"]
        best = min(_seconds(partial(subprocess.run, command, cwd=ROOT, capture_output=True, timeout=120)) for _ in range(3))
        rows.append((name, best, "< 1 s" if argv else ""))
    return rows


def export() -> list[tuple[str, float, str]]:
    import json

    import numpy as np

    from detector.configuration.schema import Signal
    from detector.sources.export import ExportSource

    rng = np.random.default_rng(20250601)
    names = [f"signal_{i:02d}" for i in range(25)]
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            values = [[1_748_736_000 + 3600 * i, repr(v)] for i, v in enumerate(rng.normal(size=6500).round(6).tolist())]
            body = {
                "status": "success",
                "data": {"resultType": "matrix", "result": [{"metric": {"__name__": name, "pod": "a"}, "values": values}]},
            }
            (Path(tmp) / f"{name}.json").write_text(json.dumps(body))
        took = _seconds(lambda: ExportSource(Path(tmp)).fetch([Signal(name=n) for n in names]))
    return [("25 exported files of 6,500 hourly points loaded", took, "< 0.8 s")]


def regular_grid() -> list[tuple[str, float, str]]:
    import numpy as np

    from detector.sources.regular import regularize

    rng = np.random.default_rng(20250601)
    t0, hour = 1_748_736_000, 3600.0
    batches = [(rng.permutation(t0 + hour * np.arange(10_000) + rng.uniform(0, 60, 10_000)), rng.normal(size=10_000)) for _ in range(200)]

    def run() -> None:
        for stamps, values in batches:
            regularize(stamps, values, hour, location="f.json x{}", signal="x")

    return [("200 series x 10k samples onto the hourly grid", _seconds(run), "< 1.5 s")]


def store() -> list[tuple[str, float, str]]:
    import numpy as np

    from detector.sources.base import RawSeries
    from detector.sources.prometheus_chunks import TimeRange
    from detector.store.history import HistoryStore, StoreKey

    hour, day, t0 = 3600.0, 86_400.0, 1_772_236_800.0
    ts = t0 + hour * np.arange(180 * 24)
    rng = np.random.default_rng(11)
    series = [RawSeries({"pod": f"p{i:04d}"}, ts, rng.normal(size=ts.size)) for i in range(1000)]
    key = StoreKey("pvc_used_bytes", "max by (pvc) (kubelet_volume_stats_used_bytes)", 3_600_000)
    span = TimeRange(int(round(ts[0] * 1000)), int(round(ts[-1] * 1000)))
    with tempfile.TemporaryDirectory() as tmp:
        history = HistoryStore(Path(tmp) / "h.db", retention=400 * day)

        def run() -> None:
            with history.open() as session:
                session.write(key, series, span)
                session.read(key, span)

        return [("1,000 series x 180 days hourly: write and read back", _seconds(run), "< 10 s")]


def kube_read() -> list[tuple[str, float, str]]:
    from detector.limits.cluster import read_cluster
    from tests.integration.kube_loopback import KubeReplay, write_kubeconfig
    from tests.integration.loopback_http import LoopbackHTTPServer

    token = "sb-bench-token"
    with tempfile.TemporaryDirectory() as tmp, LoopbackHTTPServer(KubeReplay(token=token, forbidden={"persistentvolumeclaims"})) as api:
        kubeconfig = str(write_kubeconfig(Path(tmp) / "kubeconfig", api.url, token))
        took = _seconds(lambda: read_cluster(kubeconfig=kubeconfig, page_size=1))
    return [("limits from the loopback Kubernetes API, one object per page", took, "< 10 s")]


def _serve(config: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "detector",
            "serve",
            "--config",
            str(config),
            "--listen",
            "127.0.0.1:0",
            "--state",
            str(config.with_suffix(".state.json")),
            "--workers",
            "1",
            *extra,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _stop(process: subprocess.Popen, sig: int) -> float:
    started = time.perf_counter()
    process.send_signal(sig)
    process.communicate(timeout=60)
    return time.perf_counter() - started


def serve_stop() -> list[tuple[str, float, str]]:
    import yaml

    silent = socket.socket()  # accepts connections and never answers: a hung Prometheus
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    accepted: list[object] = []
    threading.Thread(target=lambda: accepted.append(silent.accept()), daemon=True).start()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, url, sig, extra in (
            ("serve: SIGINT, scheduler idle", "http://127.0.0.1:9", signal.SIGINT, ()),
            (
                "serve: SIGTERM during a hung run, --shutdown-timeout 1s",
                f"http://127.0.0.1:{silent.getsockname()[1]}",
                signal.SIGTERM,
                ("--shutdown-timeout", "1s"),
            ),
        ):
            config = Path(tmp) / f"{sig}.yaml"
            config.write_text(
                yaml.safe_dump(
                    {
                        "prometheus": {"url": url, "retries": 0, "timeout": 30},
                        "schedule": {"cron": "0 0 1 1 *"},
                        "signals": [{"name": "disk_used_bytes", "query": "disk_used_bytes", "ceiling": 100.0, "lookback": "120d"}],
                    }
                )
            )
            process = _serve(config, *extra)
            if sig == signal.SIGINT:
                time.sleep(3.0)  # started, first run failed fast, scheduler idle
            deadline = time.monotonic() + 30
            while sig == signal.SIGTERM and not accepted and time.monotonic() < deadline:
                time.sleep(0.1)  # until the run has connected to the hung Prometheus
            rows.append((name, _stop(process, sig), "< 5 s"))
    silent.close()
    return rows


SECTIONS: dict[str, Callable[[], list[tuple[str, float, str]]]] = {
    "startup": startup,
    "export": export,
    "regular_grid": regular_grid,
    "store": store,
    "kube_read": kube_read,
    "serve_stop": serve_stop,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m benchmarks.timings", description=__doc__.splitlines()[0])
    parser.add_argument("--skip", nargs="*", default=[], choices=sorted(SECTIONS))
    args = parser.parse_args(argv)
    print(f"{'what':<62} {'seconds':>8}  target")
    for section, measure in SECTIONS.items():
        if section in args.skip:
            continue
        for name, seconds, target in measure():
            print(f"{name:<62} {seconds:>8.2f}  {target}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
