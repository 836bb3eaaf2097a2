"""Live pull cost: HTTP requests, bytes and wall time of a first run and of the next incremental run.

Run: python -m benchmarks.live_pull [--series 1000] [--days 180] [--signals 10] [--max-points 11000] [--no-gzip]

Backfills ``--series`` seeded hourly series (spread over ``--signals`` metrics) ending at the current
hour into a fresh TSDB in a temporary directory, starts a real ``prometheus`` on a free port of
127.0.0.1, and pulls them with ``PrometheusSource`` and a ``HistoryStore``:

- *first run*: empty store, the whole lookback, as of one hour ago;
- *incremental run*: the same store one hour later: only the new hour plus the overlap.
- *no store*: the whole lookback again without a store, for comparison.

Needs ``prometheus`` and ``promtool`` on PATH. Everything it starts it stops; the temporary
directory is removed at the end.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from detector.config import Signal
from detector.http_client import build_session
from detector.live_settings import PrometheusSettings
from detector.series import SeriesSet
from detector.sources.prometheus import PrometheusSource
from detector.store import HistoryStore
from tests.integration import promstack
from tests.integration.promstack import BackfillSeries, Traffic

SEED = 20261121
HOUR = 3600.0


def seeded_series(count: int, metrics: int, days: int, last: pd.Timestamp) -> list[BackfillSeries]:
    """``count`` hourly random walks of whole numbers (byte-like gauges) over ``metrics`` names."""
    rng = np.random.default_rng(SEED)
    ts = last.timestamp() - HOUR * np.arange(days * 24)[::-1]
    out = []
    for i in range(count):
        values = np.round(5e9 + np.cumsum(rng.normal(1e5, 5e5, ts.size)))
        out.append(BackfillSeries(f"bench_gauge_{i % metrics}", {"instance": f"node-{i:04d}"}, ts, values))
    return out


def pull(
    url: str, signals: list[Signal], end: pd.Timestamp, store: HistoryStore | None, max_points: int, headers: dict[str, str]
) -> tuple[SeriesSet, Traffic, float]:
    settings = PrometheusSettings(url=url, max_points_per_query=max_points, timeout=120, headers=headers)
    session = build_session(settings, section="prometheus")
    traffic = Traffic()
    session.hooks["response"].append(traffic.hook)
    source = PrometheusSource(settings, store=store, session=session, rng=random.Random(SEED))
    started = time.perf_counter()
    result = source.fetch(signals, end=end)
    return result, traffic, time.perf_counter() - started


def report(label: str, result: SeriesSet, traffic: Traffic, seconds: float) -> None:
    points = sum(int(s.notna().sum()) for by in result.series.values() for s in by.values())
    series = sum(len(by) for by in result.series.values())
    print(
        f"{label:<18} {traffic.requests:>8} {traffic.bytes / 1e6:>10.1f} {traffic.samples:>12,} "
        f"{seconds:>8.2f} {series:>7} {points:>12,} {len(result.errors):>6}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--signals", type=int, default=10, help="metrics the series are spread over (one signal each)")
    parser.add_argument("--max-points", type=int, default=11000, help="prometheus.max_points_per_query")
    parser.add_argument("--no-gzip", action="store_true", help="send Accept-Encoding: identity (less CPU, more bytes on the wire)")
    args = parser.parse_args(argv)
    missing = promstack.missing_binaries(promstack.PROMETHEUS, promstack.PROMTOOL)
    if missing:
        print(f"not installed: {', '.join(missing)}", file=sys.stderr)
        return 1
    last = pd.Timestamp.now(tz="UTC").floor("h")
    headers = {"Accept-Encoding": "identity"} if args.no_gzip else {}
    signals = [Signal(name=f"bench_{k}", query=f"bench_gauge_{k}", lookback=args.days * 86400.0) for k in range(args.signals)]
    with tempfile.TemporaryDirectory(prefix="slowburn-live-pull-") as scratch:
        work = Path(scratch)
        started = time.perf_counter()
        promstack.backfill(seeded_series(args.series, args.signals, args.days, last), work / "tsdb")
        print(f"backfilled {args.series} series x {args.days} d hourly in {time.perf_counter() - started:.1f} s")
        with promstack.start_prometheus(work / "tsdb") as server:
            store = HistoryStore(work / "history.db", retention=400 * 86400)
            print(f"{'run':<18} {'requests':>8} {'MB':>10} {'samples':>12} {'seconds':>8} {'series':>7} {'points':>12} {'errors':>6}")
            one_hour_ago = last - pd.Timedelta(hours=1) + pd.Timedelta(seconds=1)
            now = last + pd.Timedelta(seconds=1)
            report("first run (store)", *pull(server.url, signals, one_hour_ago, store, args.max_points, headers))
            report("incremental", *pull(server.url, signals, now, store, args.max_points, headers))
            report("no store", *pull(server.url, signals, now, None, args.max_points, headers))
        print(f"store size: {(work / 'history.db').stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
