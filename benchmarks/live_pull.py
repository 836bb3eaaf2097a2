"""Live pull cost: HTTP requests, bytes, wall and CPU time and memory of a first run and of the next incremental run.

Run: python -m benchmarks.live_pull [--series 1000] [--days 180] [--signals 10] [--max-points 11000] [--no-gzip]
     [--tsdb DIR] [--no-store-run]

Backfills ``--series`` seeded hourly series (spread over ``--signals`` metrics) ending at the current
hour into a TSDB (a temporary directory, or ``--tsdb DIR`` kept and reused by the next run with the
same sizes), starts a real ``prometheus`` on a free port of 127.0.0.1, and pulls them with
``PrometheusSource`` and a ``HistoryStore``:

- *first pull*: empty store, the whole lookback, as of one hour ago, into the store only
  (``PrometheusSource.pull_into_store``: chunk by chunk, nothing read back);
- *incremental*: the same store one hour later: only the new hour plus the overlap;
- *read back*: the whole window read from the store as ``fetch`` returns it;
- *no store*: the whole lookback again without a store (``fetch``), for comparison (``--no-store-run``
  skips it).

Memory: RSS of this process before, at its peak (sampled every 20 ms) and after each phase, and PSS
after it (``benchmarks.memory_probe``). Needs ``prometheus`` and ``promtool`` on PATH. Everything it
starts it stops; the temporary directory is removed at the end.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path
from typing import Callable

import pandas as pd

from benchmarks.live_pull_tsdb import SEED, prepared_tsdb
from benchmarks.memory_probe import MIB, MemoryProbe, PhaseCost
from detector.config import Signal
from detector.http_client import build_session
from detector.live_settings import PrometheusSettings
from detector.sources.prometheus import PrometheusSource
from detector.store import HistoryStore
from tests.integration import promstack
from tests.integration.promstack import Traffic

HEADER = (f"{'run':<16} {'requests':>8} {'MB':>8} {'samples':>11} {'wall s':>7} {'CPU s':>7} "
          f"{'RSS MiB':>8} {'peak':>6} {'growth':>6} {'PSS':>6} {'series':>7} {'errors':>6}")


def source_for(url: str, store: HistoryStore | None, max_points: int, headers: dict[str, str]) -> tuple[PrometheusSource, Traffic]:
    settings = PrometheusSettings(url=url, max_points_per_query=max_points, timeout=300, headers=headers)
    session = build_session(settings, section="prometheus")
    traffic = Traffic()
    session.hooks["response"].append(traffic.hook)
    return PrometheusSource(settings, store=store, session=session, rng=random.Random(SEED)), traffic


def measured(label: str, traffic: Traffic, phase: Callable[[], tuple[int, int]]) -> None:
    """Run ``phase`` (returning series and errors) under a ``MemoryProbe`` and print one row."""
    with MemoryProbe() as probe:
        series, errors = phase()
    cost: PhaseCost | None = probe.cost
    assert cost is not None
    pss = f"{cost.pss_after / MIB:>6.0f}" if cost.pss_after is not None else f"{'-':>6}"
    print(
        f"{label:<16} {traffic.requests:>8} {traffic.bytes / 1e6:>8.1f} {traffic.samples:>11,} {cost.wall:>7.2f} {cost.cpu:>7.2f} "
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
    parser.add_argument("--no-store-run", action="store_true", help="skip the comparison pull without a store")
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
        print(f"{args.series} series x {args.days} d hourly: " + (f"backfilled in {took:.1f} s" if took is not None else f"cached in {tsdb}"))
        signals = [Signal(name=f"bench_{k}", query=f"bench_gauge_{k}", lookback=f"{args.days}d") for k in range(args.signals)]
        one_hour_ago = last - pd.Timedelta(hours=1) + pd.Timedelta(seconds=1)
        now = last + pd.Timedelta(seconds=1)
        with promstack.start_prometheus(tsdb) as server:
            store = HistoryStore(work / "history.db", retention=400 * 86400)
            print(HEADER)

            def into_store(end: pd.Timestamp, traffic_source: PrometheusSource) -> tuple[int, int]:
                report = traffic_source.pull_into_store(signals, end=end)
                return report.series, len(report.errors)

            def fetched(source: PrometheusSource) -> tuple[int, int]:
                result = source.fetch(signals, end=now)
                return sum(len(by) for by in result.series.values()), len(result.errors)

            source, traffic = source_for(server.url, store, args.max_points, headers)
            measured("first pull", traffic, lambda: into_store(one_hour_ago, source))
            source, traffic = source_for(server.url, store, args.max_points, headers)
            measured("incremental", traffic, lambda: into_store(now, source))
            source, traffic = source_for(server.url, store, args.max_points, headers)
            measured("fetch (store)", traffic, lambda: fetched(source))
            if not args.no_store_run:
                source, traffic = source_for(server.url, None, args.max_points, headers)
                measured("fetch (no store)", traffic, lambda: fetched(source))
        print(f"store size: {(work / 'history.db').stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
