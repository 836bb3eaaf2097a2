"""The live-pull benchmark's TSDB: seeded hourly series backfilled with ``promtool``, cached on disk.

The OpenMetrics file is written series by series (10,000 series x 180 days are 43 million lines, too
many to build as one string), and a TSDB directory given with ``--tsdb`` is kept and reused by the
next run with the same series, days and signals (``tsdb.json`` records them and the last hour).
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from tests.integration import promstack
from tests.integration.openmetrics_text import BackfillSeries, openmetrics_text

SEED = 20261121
HOUR = 3600.0
PROMTOOL_TIMEOUT = 7200


def seeded_series(count: int, metrics: int, days: int, last: pd.Timestamp) -> Iterator[BackfillSeries]:
    """``count`` hourly random walks of whole numbers (byte-like gauges), grouped by metric name."""
    ts = last.timestamp() - HOUR * np.arange(days * 24)[::-1]
    for metric in range(metrics):
        rng = np.random.default_rng([SEED, metric])
        for i in range(metric, count, metrics):
            values = np.round(5e9 + np.cumsum(rng.normal(1e5, 5e5, ts.size)))
            yield BackfillSeries(f"bench_gauge_{metric}", {"instance": f"node-{i:05d}"}, ts, values)


def write_openmetrics(series: Iterator[BackfillSeries], path: Path) -> None:
    """One OpenMetrics file, written one series at a time (families are contiguous in ``series``)."""
    family = None
    with path.open("w", encoding="utf-8") as out:
        for item in series:
            lines = openmetrics_text([item]).splitlines(keepends=True)
            if item.name != family:
                out.write(lines[0])  # "# TYPE name gauge"
                family = item.name
            out.writelines(lines[1:-1])  # without the TYPE line and "# EOF"
        out.write("# EOF\n")


def prepared_tsdb(tsdb: Path, series: int, days: int, signals: int) -> tuple[pd.Timestamp, float | None]:
    """The last hour of the data in ``tsdb`` (backfilled now unless cached) and the seconds backfilling took (None: cached)."""
    marker = tsdb / "tsdb.json"
    wanted = {"series": series, "days": days, "signals": signals}
    if marker.exists():
        recorded = json.loads(marker.read_text())
        if {k: recorded.get(k) for k in wanted} == wanted:
            return pd.Timestamp(recorded["last"]), None
        raise SystemExit(f"{tsdb} holds another data set ({recorded}); use another --tsdb directory")
    last = pd.Timestamp.now(tz="UTC").floor("h")
    tsdb.mkdir(parents=True, exist_ok=True)
    source = tsdb.parent / f"{tsdb.name}.om"
    started = time.perf_counter()
    try:
        write_openmetrics(seeded_series(series, signals, days, last), source)
        done = subprocess.run(
            [promstack.PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", "--max-block-duration=744h", "-q", str(source), str(tsdb)],
            capture_output=True,
            text=True,
            timeout=PROMTOOL_TIMEOUT,
            check=False,
        )
    finally:
        source.unlink(missing_ok=True)
    if done.returncode != 0:
        raise SystemExit(f"promtool failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    marker.write_text(json.dumps({**wanted, "last": last.isoformat()}))
    return last, time.perf_counter() - started
