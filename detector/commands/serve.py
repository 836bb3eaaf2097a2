"""`slowburn serve`: the live run on a cron schedule in-process, with /metrics and /healthz.

One APScheduler job on ``CronTrigger.from_crontab(schedule.cron)`` in UTC, first fired at start;
``max_instances=1`` and ``coalesce=True`` so a slow run is never overlapped and missed ticks
collapse into one; ``schedule.run_deadline`` bounds a run's wait for Prometheus, and /healthz and
/livez turn 503 when no run succeeded for ``schedule.unhealthy_after`` intervals. SIGTERM or SIGINT
(to the process or its whole group) stop new runs, stop the HTTP server, give a run in progress
``--shutdown-timeout`` to finish (its alert state is written atomically either way), end every
child process and exit 0 with one line on stderr.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timezone
from types import FrameType
from typing import TYPE_CHECKING

from detector.commands import cli_values
from detector.configuration import preflight
from detector.configuration.durations import parse_duration
from detector.configuration.schema import Config, load_config
from detector.core.environment import Environment
from detector.core.severity_names import SEVERITY_NAMES
from detector.errors import ConfigError, ExitStatus, SlowburnError

if TYPE_CHECKING:  # APScheduler, prometheus_client, pandas: imported in execute, so --help and config errors are instant
    from detector.engine.executor_choice import ExecutorChoice
    from detector.limits.load import KnownLimits
    from detector.service.http_server import Health
    from detector.service.self_metrics import SelfMetrics
    from detector.sinks.base import Sink
    from detector.sources.base import Source

HELP = "run on a schedule in-process (APScheduler) with /metrics and /healthz"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, help="YAML or JSON config file")
    parser.add_argument("--listen", help="HOST:PORT for /metrics and /healthz (default: schedule.listen; port 0 picks a free one)")
    parser.add_argument("--state", help="alert state file (default: $SLOWBURN_STATE, else next to the history store)")
    parser.add_argument("--min-severity", default="info", choices=SEVERITY_NAMES, help="lowest severity shown in the log table")
    cli_values.add_model_placement(parser, dask_note=", connected each run")
    parser.add_argument(
        "--startup-grace",
        type=cli_values.duration,
        default="15m",
        help="/healthz stays 200 this long while the first run has not finished (default 15m)",
    )
    parser.add_argument(
        "--manifests", help="directory of Kubernetes manifests, re-read every run (limits as ceilings, configuration findings)"
    )
    parser.add_argument(
        "--prometheus",
        metavar="URL",
        help="Prometheus API root, overriding prometheus.url (default: $SLOWBURN_PROMETHEUS_URL, else the config)",
    )
    parser.add_argument(
        "--shutdown-timeout",
        type=cli_values.duration,
        default="20s",
        help="on SIGTERM, wait this long for a run in progress, then abandon it (default 20s)",
    )


def execute(args: argparse.Namespace, env: Environment) -> ExitStatus:
    from detector.commands.run import resolve_workers

    config = load_config(args.config)
    from detector.configuration.schema import with_prometheus_override

    config = with_prometheus_override(config, args.prometheus, env.environ)
    preflight.require_prometheus(config, args.config)
    preflight.require_manifests(config, args.manifests)
    from detector.service.schedule import check_live_config, cron_interval

    trigger = check_live_config(config, args.config)  # a bad cron line or deadline: a config error before the heavy imports
    grace, shutdown_timeout = _duration(args.startup_grace, "--startup-grace"), _duration(args.shutdown_timeout, "--shutdown-timeout")
    from apscheduler.schedulers.background import BackgroundScheduler

    from detector.engine.child_processes import end_children, start_pool
    from detector.service.http_server import Health, HttpServer, make_app, parse_listen
    from detector.service.live import build_alertmanager, build_source, state_path_for
    from detector.service.self_metrics import SelfMetrics
    from detector.sinks.stdout import StdoutSink

    where = "--listen" if args.listen else f"{args.config}: schedule.listen"
    host, port = parse_listen(args.listen or config.schedule.listen, where)
    source = build_source(config, env)
    sinks: list[Sink] = [StdoutSink(env.stdout, args.min_severity)]
    alertmanager = build_alertmanager(config, state_path_for(config, args.state, env.environ), env)
    if alertmanager is not None:
        sinks.append(alertmanager)
    if config.pushgateway is not None:
        print("slowburn: serve exposes /metrics; the pushgateway settings are used by one-shot `slowburn run` only", file=env.stderr)
    from detector.engine.executor_choice import choose_executor, note_unused_workers

    executor = choose_executor(args.executor, config, args.config)
    note_unused_workers(args.workers, executor, env.stderr)
    workers = resolve_workers(args.workers, config.workers)
    pool = start_pool(workers) if workers > 1 and executor.dask is None else None
    stale_after = config.schedule.unhealthy_after * cron_interval(config.schedule.cron)
    metrics, health = SelfMetrics(), Health(grace, stale_after=stale_after)
    server = HttpServer(make_app(metrics.registry, health), host, port, location=where)
    server.start()
    print(
        f"slowburn: serving /metrics and /healthz on {host}:{server.port}; schedule {config.schedule.cron!r} (UTC)",
        file=env.stderr,
        flush=True,
    )
    tick = _Tick(config, env, source, sinks, metrics, health, pool, workers, args.manifests, executor)
    scheduler = BackgroundScheduler(timezone=timezone.utc)
    scheduler.add_job(
        tick,
        trigger,
        id="slowburn-run",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=int(config.schedule.misfire_grace_time),
        next_run_time=datetime.now(timezone.utc),
    )
    for sig in (signal.SIGTERM, signal.SIGINT):  # kept until exit: a second Ctrl-C hurries, never a traceback
        signal.signal(sig, tick.request_stop)
    scheduler.start()
    try:
        while not tick.stopping.wait(1.0):
            pass
    finally:
        scheduler.shutdown(wait=False)
        server.stop()
    said, pool = f"slowburn: {tick.stop_reason} received: stopped", tick.pool  # the pool in use (renewed if a worker died)
    if not _wait_for_run(tick, shutdown_timeout):
        print(f"{said}, abandoning the run in progress after {shutdown_timeout:g} s", file=env.stderr, flush=True)
        _abandon(env, pool)
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)
    end_children(pool)  # the forkserver and the resource tracker
    print(said, file=env.stderr, flush=True)
    return ExitStatus.OK


class _Tick:
    """The scheduled job: one ``run_once`` per call, never two at a time, none after a stop request."""

    def __init__(
        self,
        config: Config,
        env: Environment,
        source: Source,
        sinks: list[Sink],
        metrics: SelfMetrics,
        health: Health,
        pool: ProcessPoolExecutor | None,
        workers: int,
        manifests: str | None = None,
        executor: ExecutorChoice | None = None,
    ) -> None:
        self.manifests, self.executor = manifests, executor
        self.last_limits: KnownLimits | None = None  # the last good read, used while the cluster cannot be read
        self.config, self.env, self.source, self.sinks = config, env, source, sinks
        self.metrics, self.health, self.pool, self.workers = metrics, health, pool, workers
        self.stopping = threading.Event()
        self.hurry = threading.Event()  # a second stop signal: do not wait for the run
        self.stop_reason = ""
        self.busy = threading.Lock()

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        if self.stopping.is_set():
            self.hurry.set()
            return
        self.stop_reason = signal.Signals(signum).name
        self.stopping.set()

    def __call__(self) -> None:
        if self.stopping.is_set() or not self.busy.acquire(blocking=False):
            return
        from detector.engine.pool_recovery import renewed_if_broken
        from detector.service.http_server import LastRun
        from detector.service.live import live_limits, outcome_lines, run_once

        started = self.env.now()
        outcome = None
        try:
            try:
                limits = live_limits(self.config, self.manifests)  # re-read every run: objects change
            except SlowburnError as exc:
                print(f"slowburn: error: limits not read this run: {exc}", file=self.env.stderr, flush=True)
                limits = self.last_limits
            if limits is not None and limits.failure is not None and self.last_limits is not None:
                print(f"slowburn: error: {limits.failure}; using the limits read before", file=self.env.stderr, flush=True)
                limits = self.last_limits
            elif limits is not None and limits.failure is None:
                self.last_limits = limits
            self.pool = renewed_if_broken(self.pool, self.workers, self.env.stderr)  # a worker died in an earlier run
            outcome = run_once(
                self.config,
                self.env,
                source=self.source,
                sinks=self.sinks,
                metrics=self.metrics,
                workers=self.workers,
                pool=self.pool,
                limits=limits,
                executor=self.executor,
            )
            for line in outcome_lines(outcome):
                print(line, file=self.env.stderr, flush=True)
            print(f"slowburn: run finished: {outcome.status.name} in {outcome.duration:.1f} s", file=self.env.stderr, flush=True)
        finally:
            finished = self.env.now()
            if outcome is None:  # a bug escaped run_once: APScheduler logs the traceback, /healthz says so
                self.health.record(LastRun("CRASHED", False, finished.timestamp(), (finished - started).total_seconds()))
            else:
                self.health.record(LastRun(outcome.status.name, outcome.evaluated, finished.timestamp(), outcome.duration))
            self.busy.release()


def _duration(text: str, option: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise ConfigError(str(exc), location=option) from None


def _wait_for_run(tick: _Tick, timeout: float) -> bool:
    """True once no run is in progress; False after ``timeout`` seconds or a second stop signal."""
    deadline = time.monotonic() + timeout
    while not tick.busy.acquire(timeout=max(0.0, min(0.2, deadline - time.monotonic()))):
        if tick.hurry.is_set() or time.monotonic() >= deadline:
            return False
    return True


def _abandon(env: Environment, pool: ProcessPoolExecutor | None) -> None:
    """Leave now: a run's writes are atomic, and waiting on its worker processes could take minutes.
    Every child process (workers, forkserver, resource tracker) ends first: no orphan keeps the pipes."""
    from detector.engine.child_processes import end_children

    end_children(pool)
    for stream in (env.stdout, env.stderr, sys.stdout, sys.stderr):
        stream.flush()
    os._exit(int(ExitStatus.OK))
