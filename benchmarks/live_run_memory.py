"""Peak memory of a live ``run`` with a store: the in-memory path (``fetch``) against the streamed one.

Run: python -m benchmarks.live_run_memory [--series 2000] [--days 180] [--signals 10] [--tsdb DIR] [--workers 1]

Backfills ``--series`` seeded hourly series (``benchmarks.live_pull_tsdb``; ``--tsdb DIR`` keeps and
reuses it), starts a real ``prometheus`` on 127.0.0.1, fills one store per path with a first pull
(``pull_into_store``, not measured), then measures one live run an hour later (``live.run_once``:
incremental pull, evaluation, stdout table to /dev/null) per path, each in a fresh spawned process:
wall and CPU time, RSS before, at its peak (sampled every 20 ms) and the growth, PSS after, series
evaluated and findings. ``fetch`` reads every series back into one ``SeriesSet``; ``streamed``
evaluates the store page by page (``live_batches``). The findings of both must be the same.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import random
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from benchmarks.live_pull_tsdb import SEED, prepared_tsdb
from benchmarks.memory_probe import MIB, MemoryProbe, PhaseCost
from detector.configuration.schema import Config
from detector.core.environment import Environment
from detector.service.self_metrics import SelfMetrics
from detector.sinks.stdout import StdoutSink
from detector.sources.prometheus import PrometheusSource
from detector.store.history import HistoryStore
from detector.transport.http_client import build_session
from tests.integration import promstack

HEADER = f"{'run':<10} {'wall s':>7} {'CPU s':>7} {'RSS MiB':>8} {'peak':>6} {'growth':>6} {'PSS':>6} {'series':>7} {'findings':>8}"


@dataclass(frozen=True)
class LiveRun:
    url: str
    store: Path
    end: pd.Timestamp
    days: int
    signals: int
    workers: int
    stream: bool


def _config(run: LiveRun) -> Config:
    return Config.model_validate(
        {
            "prometheus": {"url": run.url, "timeout": 600, "query_deadline": 600},
            "store": {"path": str(run.store)},
            "signals": [{"name": f"bench_{k}", "query": f"bench_gauge_{k}", "lookback": f"{run.days}d"} for k in range(run.signals)],
        }
    )


def _source(config: Config, store: Path) -> PrometheusSource:
    assert config.prometheus is not None
    return PrometheusSource(
        config.prometheus,
        store=HistoryStore(store, retention=400 * 86400),
        session=build_session(config.prometheus, section="prometheus"),
        rng=random.Random(SEED),
    )


def fill(run: LiveRun) -> int:
    """The first pull into ``run.store`` as of an hour before ``run.end`` (in the child process)."""
    config = _config(run)
    return _source(config, run.store).pull_into_store(config.signals, end=run.end - pd.Timedelta(hours=1)).series


def measure(run: LiveRun) -> tuple[PhaseCost, int, list[str]]:
    """Cost, series evaluated and findings of one live run (in the child process)."""
    from detector.service.live import run_once

    config = _config(run)
    env = Environment(stdout=io.StringIO(), stderr=io.StringIO(), now=lambda: run.end, environ={})
    with MemoryProbe() as probe:
        outcome = run_once(
            config,
            env,
            source=_source(config, run.store),
            sinks=[StdoutSink(io.StringIO(), "info")],
            metrics=SelfMetrics(),
            at=run.end,
            workers=run.workers,
            stream=run.stream,
        )
    assert probe.cost is not None
    return probe.cost, outcome.evaluation.series_evaluated, [f"{f.key} {f.kind} {f.severity}" for f in outcome.evaluation.findings]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--series", type=int, default=2000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--signals", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--tsdb", type=Path, help="keep the backfilled TSDB here and reuse it next time")
    args = parser.parse_args(argv)
    missing = promstack.missing_binaries(promstack.PROMETHEUS, promstack.PROMTOOL)
    if missing:
        print(f"not installed: {', '.join(missing)}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="slowburn-live-run-") as scratch:
        work = Path(scratch)
        tsdb = args.tsdb if args.tsdb is not None else work / "tsdb"
        last, took = prepared_tsdb(tsdb, args.series, args.days, args.signals)
        print(
            f"{args.series} series x {args.days} d hourly in {args.signals} signals, workers {args.workers}: "
            + (f"backfilled in {took:.1f} s" if took is not None else f"cached in {tsdb}")
        )
        findings = {}
        with promstack.start_prometheus(tsdb) as server:
            print(HEADER)
            for label, stream in (("fetch", False), ("streamed", True)):
                run = LiveRun(
                    server.url, work / f"{label}.db", last + pd.Timedelta(seconds=1), args.days, args.signals, args.workers, stream
                )
                context = multiprocessing.get_context("spawn")
                with context.Pool(1) as pool:
                    pool.apply(fill, (run,))
                with context.Pool(1) as pool:
                    cost, series, findings[label] = pool.apply(measure, (run,))
                pss = f"{cost.pss_after / MIB:>6.0f}" if cost.pss_after is not None else f"{'-':>6}"
                print(
                    f"{label:<10} {cost.wall:>7.2f} {cost.cpu:>7.2f} {cost.rss_before / MIB:>8.0f} {cost.rss_peak / MIB:>6.0f} "
                    f"{cost.growth / MIB:>6.0f} {pss} {series:>7} {len(findings[label]):>8}",
                    flush=True,
                )
        print("same findings: " + ("yes" if findings["fetch"] == findings["streamed"] else "NO"))
    return 0 if findings["fetch"] == findings["streamed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
