"""Dask against the local pool: the fleet benchmark's series evaluated by two local worker processes
and by a Dask cluster of two single-thread workers on 127.0.0.1 (a real ``dask scheduler`` and two
``dask worker`` processes, ``tests.integration.dask_cluster``): wall time of each, and whether the
findings, verdicts and coverage are identical.

Run: python -m benchmarks.dask_fleet [--series 10000] [--days 180] [--json OUT]

The Dask cluster evaluates twice: the first run includes the workers importing the models (a
standing cluster pays that once), the second is the steady state. One machine here, so Dask pays for its transport (each chunk's samples are pickled and pass the
scheduler on loopback) and gains nothing: the number says what the transport costs, not what more
machines would gain. The load average is printed next to the times (the machine may be shared).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.fleet_scale import fleet
from detector.configuration.executor_settings import DaskSettings
from detector.engine.evaluate import evaluate
from detector.engine.executor import OneShotPool

WORKERS = 2


def run(series: int, days: int, log: Any = sys.stderr) -> dict[str, Any]:
    """Both evaluations of ``series`` x ``days``, their wall seconds and whether they agree."""
    from detector.engine.dask_executor import dask_executor
    from tests.integration.dask_cluster import start_dask_cluster

    config, data, end = fleet(series, days)
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    local = evaluate(config, data, end, executor=OneShotPool(WORKERS))
    local_seconds = time.perf_counter() - t0
    print(f"  local pool, {WORKERS} processes: {local_seconds:.1f} s", file=log)
    with start_dask_cluster(workers=WORKERS) as cluster:
        settings = DaskSettings(address=cluster.address, connect_timeout=30)
        with dask_executor(settings, "benchmark") as executor:
            t0 = time.perf_counter()
            on_dask_cold = evaluate(config, data, end, executor=executor)
            cold_seconds = time.perf_counter() - t0
            t0 = time.perf_counter()
            on_dask = evaluate(config, data, end, executor=executor)
            dask_seconds = time.perf_counter() - t0
    print(f"  dask, {WORKERS} single-thread workers on 127.0.0.1: {cold_seconds:.1f} s new workers, {dask_seconds:.1f} s warm", file=log)
    return {
        "series": series,
        "days": days,
        "workers": WORKERS,
        "local_seconds": local_seconds,
        "dask_seconds": dask_seconds,
        "dask_cold_seconds": cold_seconds,
        "dask_over_local": dask_seconds / local_seconds,
        "findings": len(local.findings),
        "evaluated": local.series_evaluated,
        "findings_equal": on_dask.findings == local.findings == on_dask_cold.findings,
        "verdicts_equal": on_dask.verdicts == local.verdicts,
        "coverage_equal": on_dask.coverage == local.coverage,
        "dask_errors": sorted({*on_dask.errors, *on_dask_cold.errors}),
        "load_average_1m": [load_before, os.getloadavg()[0]],
        "cpus": os.cpu_count(),
    }


def markdown(result: dict[str, Any]) -> str:
    same = all(result[key] for key in ("findings_equal", "verdicts_equal", "coverage_equal")) and not result["dask_errors"]
    load = ", ".join(f"{value:.1f}" for value in result["load_average_1m"])
    return "\n".join(
        [
            f"{result['series']} series x {result['days']} days, {result['workers']} workers, {result['cpus']} CPUs, "
            f"load average (1 min) before / after: {load}",
            "",
            "| executor | wall (s) | series/s |",
            "|---|---|---|",
            f"| local process pool, {result['workers']} processes | {result['local_seconds']:.1f} | {result['series'] / result['local_seconds']:.0f} |",
            f"| Dask, {result['workers']} single-thread workers on 127.0.0.1, first run (workers import the models) | {result['dask_cold_seconds']:.1f} | {result['series'] / result['dask_cold_seconds']:.0f} |",
            f"| Dask, same workers, second run | {result['dask_seconds']:.1f} | {result['series'] / result['dask_seconds']:.0f} |",
            "",
            f"Dask (second run) / local: {result['dask_over_local']:.2f}x the wall time. {result['evaluated']} series evaluated, "
            f"{result['findings']} findings; findings, verdicts and coverage identical: {'yes' if same else 'NO'}.",
        ]
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=10000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--json", dest="json_out")
    args = parser.parse_args(argv)
    result = run(args.series, args.days)
    print(markdown(result))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(result, indent=1), encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
