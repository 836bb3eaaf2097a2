"""Live pull cost: HTTP requests, bytes, wall and CPU time and memory of a first run and of the next incremental run.

Run: python -m benchmarks.live_pull [--series 1000] [--days 180] [--signals 10] [--max-points 11000] [--no-gzip]
     [--max-samples 1000000 (0: no cap)] [--query-deadline 120] [--concurrency 4] [--tsdb DIR] [--fetch-runs]

Backfills ``--series`` seeded hourly series (spread over ``--signals`` metrics) ending at the current
hour into a TSDB (a temporary directory, or ``--tsdb DIR`` kept and reused by the next run with the
same sizes), starts a real ``prometheus`` on a free port of 127.0.0.1, and pulls them with
``PrometheusSource`` and a ``HistoryStore``:

- *first pull*: empty store, the whole lookback, as of one hour ago, into the store only
  (``PrometheusSource.pull_into_store``: chunk by chunk, nothing read back);
- *incremental*: the same store one hour later: only the new hour plus the overlap;
- with ``--fetch-runs``: *fetch (store)*, the same store read back whole as ``fetch`` returns it, and
  *fetch (no store)*, the whole lookback pulled again without a store, for comparison.

Each run is a fresh (spawned) process. Memory: its RSS before the pull, at its peak (sampled every
20 ms) and the growth between the two, and its PSS after the pull (``benchmarks.memory_probe``). Needs ``prometheus`` and ``promtool`` on PATH. Everything it
starts it stops; the temporary directory is removed at the end.
"""

from __future__ import annotations

import argparse
import functools
import multiprocessing
import random
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from benchmarks.live_pull_tsdb import SEED, prepared_tsdb
from benchmarks.memory_probe import MIB, MemoryProbe, PhaseCost
from detector.configuration.live_settings import DEFAULT_MAX_SAMPLES_PER_QUERY, PrometheusSettings
from detector.configuration.schema import Signal
from detector.sources.prometheus import PrometheusSource
from detector.store.history import HistoryStore
from detector.transport.http_client import build_session
from tests.integration import promstack
from tests.integration.promstack import Traffic

HEADER = (
    f"{'run':<16} {'requests':>8} {'MB':>8} {'samples':>11} {'wall s':>7} {'CPU s':>7} "
    f"{'RSS MiB':>8} {'peak':>6} {'growth':>6} {'PSS':>6} {'series':>7} {'errors':>6}"
)


@dataclass(frozen=True)
class Phase:
    """One measured pull, run in a fresh process so its memory is its own."""

    kind: str  # "into_store" or "fetch"
    url: str
    store: Path | None
    end: pd.Timestamp
    days: int
    signals: int
    max_points: int
    max_samples: int | None
    concurrency: int
    query_deadline: float
    headers: tuple[tuple[str, str], ...]


def run_phase(phase: Phase) -> tuple[PhaseCost, int, int, int, int, int]:
    """Cost, requests, bytes, samples, series and errors of one pull (in the child process)."""
    settings = PrometheusSettings(
        url=phase.url,
        max_points_per_query=phase.max_points,
        max_samples_per_query=phase.max_samples,
        timeout=600,
        query_deadline=phase.query_deadline,
        concurrency=phase.concurrency,
        headers=dict(phase.headers),
    )
    session = build_session(settings, section="prometheus")
    traffic = Traffic()
    session.hooks["response"].append(traffic.hook)
    store = HistoryStore(phase.store, retention=400 * 86400) if phase.store is not None else None
    source = PrometheusSource(settings, store=store, session=session, rng=random.Random(SEED))
    signals = [Signal(name=f"bench_{k}", query=f"bench_gauge_{k}", lookback=phase.days * 86400.0) for k in range(phase.signals)]
    with MemoryProbe() as probe:
        if phase.kind == "into_store":
            pulled = source.pull_into_store(signals, end=phase.end)
            series, errors = pulled.series, len(pulled.errors)
        else:
            result = source.fetch(signals, end=phase.end)
            series, errors = sum(len(by) for by in result.series.values()), len(result.errors)
    assert probe.cost is not None
    return probe.cost, traffic.requests, traffic.bytes, traffic.samples, series, errors


def measured(label: str, phase: Phase) -> None:
    """Run ``phase`` in a fresh (spawned) process and print one row."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        cost, requests, size, samples, series, errors = pool.apply(run_phase, (phase,))
    pss = f"{cost.pss_after / MIB:>6.0f}" if cost.pss_after is not None else f"{'-':>6}"
    print(
        f"{label:<16} {requests:>8} {size / 1e6:>8.1f} {samples:>11,} {cost.wall:>7.2f} {cost.cpu:>7.2f} "
        f"{cost.rss_before / MIB:>8.0f} {cost.rss_peak / MIB:>6.0f} {cost.growth / MIB:>6.0f} {pss} {series:>7} {errors:>6}",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--signals", type=int, default=10, help="metrics the series are spread over (one signal each)")
    parser.add_argument("--max-points", type=int, default=11000, help="prometheus.max_points_per_query")
    parser.add_argument("--no-gzip", action="store_true", help="send Accept-Encoding: identity (less CPU, more bytes on the wire)")
    parser.add_argument("--tsdb", type=Path, help="keep the backfilled TSDB here and reuse it next time")
    parser.add_argument(
        "--max-samples",
        type=int,
        default=DEFAULT_MAX_SAMPLES_PER_QUERY,
        help=f"prometheus.max_samples_per_query (default: {DEFAULT_MAX_SAMPLES_PER_QUERY:,}, as in the settings; 0: no cap)",
    )
    parser.add_argument("--query-deadline", type=float, default=120.0, help="prometheus.query_deadline in seconds")
    parser.add_argument("--concurrency", type=int, default=4, help="prometheus.concurrency")
    parser.add_argument(
        "--fetch-runs", action="store_true", help="also fetch (pull and read the whole window back) with and without the store"
    )
    args = parser.parse_args(argv)
    missing = promstack.missing_binaries(promstack.PROMETHEUS, promstack.PROMTOOL)
    if missing:
        print(f"not installed: {', '.join(missing)}", file=sys.stderr)
        return 1
    headers = {"Accept-Encoding": "identity"} if args.no_gzip else {}
    with tempfile.TemporaryDirectory(prefix="slowburn-live-pull-") as scratch:
        work = Path(scratch)
        tsdb = args.tsdb if args.tsdb is not None else work / "tsdb"
        last, took = prepared_tsdb(tsdb, args.series, args.days, args.signals)
        print(
            f"{args.series} series x {args.days} d hourly: " + (f"backfilled in {took:.1f} s" if took is not None else f"cached in {tsdb}")
        )
        one_hour_ago = last - pd.Timedelta(hours=1) + pd.Timedelta(seconds=1)
        now = last + pd.Timedelta(seconds=1)
        with promstack.start_prometheus(tsdb) as server:
            print(HEADER)
            phase = functools.partial(
                Phase,
                url=server.url,
                days=args.days,
                signals=args.signals,
                max_points=args.max_points,
                max_samples=args.max_samples or None,
                concurrency=args.concurrency,
                query_deadline=args.query_deadline,
                headers=tuple(headers.items()),
            )
            db = work / "history.db"
            measured("first pull", phase("into_store", store=db, end=one_hour_ago))
            measured("incremental", phase("into_store", store=db, end=now))
            if args.fetch_runs:
                measured("fetch (store)", phase("fetch", store=db, end=now))
                measured("fetch (no store)", phase("fetch", store=None, end=now))
        print(f"store size: {(work / 'history.db').stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
