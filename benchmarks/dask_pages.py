"""Dask workers sent the samples against Dask workers that read the history store themselves
(``executor.dask.shares_store``): the same store fleet (``fleet_store``) on a loopback cluster of
two single-thread workers (``tests.integration.dask_cluster``); wall time, the bytes of the chunks
the client submits (pickled, as Dask sends them), and whether findings, verdicts and coverage agree.

Run: python -m benchmarks.dask_pages [--series 2000] [--days 180] [--json OUT]

One machine, so the pages' gain is the transport of the samples through the scheduler on loopback
(a cluster over a real network gains more), and the workers' reads share the same disk. Each
setting runs twice on the same workers (the first includes the workers importing the models); the
second is reported. The load average is printed next to the times (the machine may be shared).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from benchmarks.fleet_scale import END
from benchmarks.fleet_store import fleet_config, write_fleet_store
from detector.configuration.executor_settings import DaskSettings
from detector.configuration.schema import Config
from detector.core.evaluation import Evaluation
from detector.engine.evaluate import evaluate
from detector.sources.store_pages import StoreBatches

WORKERS = 2


class _Counted:
    """Passes chunks on to a Dask executor and adds up their pickled bytes."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.workers, self.streams_chunks, self.shares_files = inner, inner.workers, True, inner.shares_files
        self.bytes = 0

    def map_chunks(self, fn: Callable[[Any], Any], chunks: Iterable[Any]) -> list[Any]:
        return self.inner.map_chunks(fn, self._counted(chunks))

    def _counted(self, chunks: Iterable[Any]) -> Iterator[Any]:
        for chunk in chunks:
            self.bytes += len(pickle.dumps(chunk))
            yield chunk


def _evaluate_twice(address: str, store: Path, config: Config, shares_store: bool) -> tuple[Evaluation, float, int]:
    from detector.engine.dask_executor import dask_executor

    with dask_executor(DaskSettings(address=address, connect_timeout=30, shares_store=shares_store), "benchmark") as executor:
        evaluate(config, StoreBatches(store, config.signals), END, executor=executor)  # the workers import the models
        counted = _Counted(executor)
        t0 = time.perf_counter()
        evaluation = evaluate(config, StoreBatches(store, config.signals), END, executor=counted)
        return evaluation, time.perf_counter() - t0, counted.bytes


def run(series: int, days: int, log: Any = sys.stderr) -> dict[str, Any]:
    from tests.integration.dask_cluster import start_dask_cluster

    with tempfile.TemporaryDirectory(prefix="slowburn-dask-pages-") as tmp:
        store, config = Path(tmp) / "fleet.db", fleet_config(days)
        write_fleet_store(store, series, days, END, seed=7)
        load_before = os.getloadavg()[0]
        with start_dask_cluster(workers=WORKERS) as cluster:
            samples, samples_seconds, samples_bytes = _evaluate_twice(cluster.address, store, config, shares_store=False)
            print(f"  samples sent: {samples_seconds:.1f} s, {samples_bytes / 2**20:.1f} MiB submitted", file=log)
            pages, pages_seconds, pages_bytes = _evaluate_twice(cluster.address, store, config, shares_store=True)
            print(f"  pages sent:   {pages_seconds:.1f} s, {pages_bytes / 2**20:.2f} MiB submitted", file=log)
    return {
        "series": series,
        "days": days,
        "workers": WORKERS,
        "samples_seconds": samples_seconds,
        "pages_seconds": pages_seconds,
        "samples_bytes": samples_bytes,
        "pages_bytes": pages_bytes,
        "evaluated": pages.series_evaluated,
        "findings": len(pages.findings),
        "same": pages.findings == samples.findings and pages.verdicts == samples.verdicts and pages.coverage == samples.coverage,
        "errors": sorted({*pages.errors, *samples.errors}),
        "load_average_1m": [load_before, os.getloadavg()[0]],
        "cpus": os.cpu_count(),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=2000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--json", dest="json_out")
    args = parser.parse_args(argv)
    result = run(args.series, args.days)
    load = ", ".join(f"{value:.1f}" for value in result["load_average_1m"])
    print(
        f"{result['series']} series x {result['days']} days on {result['workers']} loopback Dask workers, {result['cpus']} CPUs, "
        f"load average (1 min) before / after: {load}\n"
        f"samples sent: {result['samples_seconds']:.1f} s, {result['samples_bytes'] / 2**20:.1f} MiB; "
        f"pages sent (shares_store): {result['pages_seconds']:.1f} s, {result['pages_bytes'] / 2**20:.2f} MiB; "
        f"{result['evaluated']} evaluated, {result['findings']} findings; identical: {'yes' if result['same'] else 'NO'}; "
        f"errors: {result['errors'] or 'none'}"
    )
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
