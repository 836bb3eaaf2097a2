"""A real Dask cluster on 127.0.0.1 for integration tests and benchmarks: one ``dask scheduler`` and
``workers`` ``dask worker`` processes (one thread each, no nanny, no dashboard, free ports).

Reusable without pytest::

    with start_dask_cluster(workers=2) as cluster:
        ... --executor cluster.flag ...          # dask://127.0.0.1:PORT
        cluster.workers[0].kill()                # SIGKILL: a machine lost mid-run

The workers run with cwd = the repository root and ``PYTHONPATH`` = it, so the chunks' code
(``detector``, ``models``, ``tests``) imports as in this process. Every process is started by PID
and stopped by that PID (``promstack.Server``); a killed test run takes them down with it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.integration.promstack import Server, _die_with_parent, free_port

ROOT = Path(__file__).resolve().parents[2]
DASK = "dask"
READY_TIMEOUT = 60.0


@dataclass
class DaskCluster:
    scheduler: Server
    workers: list[Server]
    workdir: Path

    @property
    def address(self) -> str:
        """``tcp://127.0.0.1:PORT``, the form of the config's ``executor.dask.address``."""
        return f"tcp://127.0.0.1:{self.scheduler.port}"

    @property
    def flag(self) -> str:
        """``dask://127.0.0.1:PORT``, the form of ``--executor``."""
        return f"dask://127.0.0.1:{self.scheduler.port}"

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.scheduler.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> DaskCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def dask_missing() -> bool:
    """True when the ``dask`` command or the ``distributed`` package is not installed."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        return True
    return shutil.which(DASK) is None


def start_dask_cluster(workers: int = 2, allowed_failures: int | None = None) -> DaskCluster:
    """A scheduler and ``workers`` single-thread workers on 127.0.0.1, every worker connected.
    ``allowed_failures``: how many workers may die under a task before the scheduler gives it up
    (``KilledWorker``; Dask's default is 3)."""
    workdir = Path(tempfile.mkdtemp(prefix="slowburn-dask-"))
    port = free_port()
    settings = {} if allowed_failures is None else {"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": str(allowed_failures)}
    scheduler = _spawn(
        "dask-scheduler",
        [DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        port,
        workdir,
        settings=settings,
    )
    cluster = DaskCluster(scheduler, [], workdir)
    try:
        for number in range(workers):
            cluster.workers.append(start_worker(cluster, f"worker-{number}"))
        wait_for_workers(cluster.address, workers)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def start_worker(cluster: DaskCluster, name: str, *, tied_to_thread: bool = True) -> Server:
    """One more single-thread worker in ``cluster`` (not waited for). ``tied_to_thread``: it gets
    SIGTERM when the thread that started it ends (False for a worker started from a short-lived
    thread; ``cluster.stop`` ends it by PID)."""
    return _spawn(
        name,
        [
            DASK,
            "worker",
            cluster.address,
            "--name",
            name,
            "--nthreads",
            "1",
            "--no-nanny",
            "--no-dashboard",
            "--host",
            "127.0.0.1",
            "--local-directory",
            str(cluster.workdir / name),
        ],
        0,
        cluster.workdir,
        tied_to_thread,
    )


def wait_for_workers(address: str, count: int, timeout: float = READY_TIMEOUT) -> None:
    from distributed import Client

    with Client(address, timeout=timeout, set_as_default=False) as client:  # also waits for the scheduler
        if count:
            client.wait_for_workers(count, timeout=timeout)


def wait_for_started(marker_dir: Path, timeout: float = READY_TIMEOUT) -> list[int]:
    """The PIDs of the workers that have started a chunk (``tests.integration.slow_chunks.slowly``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = sorted({int(path.name.split("-")[0]) for path in marker_dir.glob("*-started")})
        if pids:
            return pids
        time.sleep(0.05)
    raise RuntimeError(f"no chunk started within {timeout:g} s")


def _spawn(
    name: str, command: Sequence[str], port: int, workdir: Path, tied_to_thread: bool = True, settings: Mapping[str, str] | None = None
) -> Server:
    log_path = workdir / f"{name}.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(settings or {})}
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            list(command),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=ROOT,
            env=env,
            preexec_fn=_die_with_parent if tied_to_thread else None,
        )
    return Server(name, f"tcp://127.0.0.1:{port}", port, process, log_path)
