"""Fleet scale: how fast ``evaluate`` gets through many series, and how much memory it needs.

Run: python -m benchmarks.fleet_scale [--series 10000|50000] [--days 180] [--quick] [--json OUT]

Streaming (the real runs' path): the fleet is first written into a history store file (not
measured), then ``evaluate`` reads it in pages with 1 and 2 workers; each run reports wall and CPU
time, the peak PSS of all its processes, and the CPU time per series next to a numpy floor (a few
vectorised passes over the same samples, ``fleet_store.numpy_floor``) measured in the same process.
In memory (as before the streaming work, for before/after; skipped above 10,000 series):

Each measurement runs in a fresh Python process so that its peak memory is its own:
``ru_maxrss`` of the process (which holds the data) and of its largest pool worker
(``RUSAGE_CHILDREN``). Forked workers share the parent's pages, so parent + workers x largest
worker is an upper bound on the real peak; the peak of the summed proportional set size (PSS,
sampled every 0.1 s from ``/proc``) is the real one, and the one the memory target is judged on.
CPU seconds (parent + workers) are reported next to wall time: they vary less when other work
shares the machine. Each ``evaluate`` measurement is the fastest of ``REPEAT`` runs. The series
are ``benchmarks.pipeline_speed``'s seeded mix (quiet, seasonal, spiky, trending and filling),
hourly, evaluated at the end of the data.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd

from benchmarks.fleet_store import fleet_config, numpy_floor, write_fleet_store
from benchmarks.pipeline_speed import seeded_mix
from benchmarks.process_usage import PssSampler
from benchmarks.process_usage import cpu_seconds as _cpu
from benchmarks.process_usage import peak_rss as _peak
from detector.backtest.replay import replay
from detector.configuration.schema import Config
from detector.core.series import SeriesSet
from detector.engine.evaluate import evaluate
from detector.sources.store_pages import StoreBatches

SEED = 20261121
END = pd.Timestamp("2026-01-05T00:00:00Z")
REPEAT = 2  # evaluations per measurement; the fastest is reported (others' load only slows a run down)


def fleet(count: int, days: int, seed: int = SEED) -> tuple[Config, SeriesSet, pd.Timestamp]:
    """``count`` series of ``days`` hourly samples; ceiling 1.0 where the mix has one, none otherwise."""
    rng = np.random.default_rng(seed)
    index = pd.date_range(END - pd.Timedelta(days=days), periods=days * 24, freq="h")
    with_ceiling: dict = {}
    without: dict = {}
    for block in range(-(-count // 4)):  # four at a time: never two copies of the fleet
        for j, (y, ceiling) in enumerate(seeded_mix(rng, 4, days)):
            i = 4 * block + j
            if i >= count:
                break
            labels = (("series", f"s{i:05d}"),)
            if ceiling is None:
                without[labels] = pd.Series(y, index=index)
            else:
                with_ceiling[labels] = pd.Series(y / ceiling, index=index)
    return fleet_config(days), SeriesSet(series={"fleet_ratio": with_ceiling, "fleet_plain": without}), END


def measure(kind: str, count: int, days: int, workers: int, store: str = "", repeat: int = REPEAT) -> dict[str, Any]:
    """One measurement in this process: ``evaluate`` once (series in memory), ``stream`` (series read
    in pages from the history store at ``store``, with the numpy floor), or ``step`` (8 replay steps)."""
    if kind == "prepare":
        t0 = time.perf_counter()
        write_fleet_store(Path(store), count, days, END, SEED)
        return {"kind": kind, "series": count, "days": days, "seconds": time.perf_counter() - t0, "bytes": Path(store).stat().st_size}
    if kind == "stream":
        return _measure_stream(count, days, workers, Path(store), repeat)
    t0 = time.perf_counter()
    config, data, end = fleet(count, days)
    generated = time.perf_counter() - t0
    out: dict[str, Any] = {"kind": kind, "series": count, "days": days, "workers": workers, "generate_seconds": generated}
    if kind == "evaluate":
        runs = []
        with PssSampler() as sampler:
            for _ in range(REPEAT):
                t0, cpu0 = time.perf_counter(), _cpu()
                evaluation = evaluate(config, data, end, workers=workers)
                runs.append((time.perf_counter() - t0, _cpu() - cpu0))
                analysed, found = evaluation.series_evaluated, len(evaluation.findings)
                del evaluation  # not kept while the next run goes: a real run holds one evaluation
        seconds, cpu = min(runs)
        out["peak_pss_total_mib"] = sampler.peak_mib
        out["all_seconds"] = [r[0] for r in runs]
        out.update(
            seconds=seconds,
            cpu_seconds=cpu,
            analysed=analysed,
            findings=found,
            series_per_second=count / seconds,
            series_per_second_per_core=count / seconds / max(workers, 1),
            series_per_cpu_second=count / cpu,
        )
    else:
        times = list(pd.date_range(end - pd.Timedelta(days=8), end, freq="D"))[1:]
        t0, cpu0 = time.perf_counter(), _cpu()
        replay(config, data, times, workers=1)
        seconds, cpu = time.perf_counter() - t0, _cpu() - cpu0
        out.update(
            seconds=seconds,
            cpu_seconds=cpu,
            steps=len(times),
            seconds_per_step=seconds / len(times),
            ms_per_series_step=1000 * seconds / len(times) / count,
            cpu_ms_per_series_step=1000 * cpu / len(times) / count,
        )
    out.update(_peak())
    out["peak_bound_mib"] = out["peak_self_mib"] + (workers * out["peak_largest_worker_mib"] if workers > 1 else 0.0)
    return out


def _measure_stream(count: int, days: int, workers: int, store: Path, repeat: int = REPEAT) -> dict[str, Any]:
    config = fleet_config(days)
    runs = []
    with PssSampler() as sampler:
        for _ in range(repeat):
            t0, cpu0 = time.perf_counter(), _cpu()
            evaluation = evaluate(config, StoreBatches(store, config.signals), END, workers=workers)
            runs.append((time.perf_counter() - t0, _cpu() - cpu0))
            analysed, found = evaluation.series_evaluated, len(evaluation.findings)
            del evaluation  # not kept while the next run goes: a real run holds one evaluation
    seconds, cpu = min(runs)
    floor_series, floor_cpu = numpy_floor(config, StoreBatches(store, config.signals), END)
    out: dict[str, Any] = {
        "kind": "stream",
        "series": count,
        "days": days,
        "workers": workers,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "all_seconds": [r[0] for r in runs],
        "peak_pss_total_mib": sampler.peak_mib,
        "analysed": analysed,
        "findings": found,
        "series_per_second": count / seconds,
        "cpu_ms_per_series": 1000 * cpu / count,
        "floor_ms_per_series": 1000 * floor_cpu / max(floor_series, 1),
    }
    out["ratio_to_floor"] = out["cpu_ms_per_series"] / out["floor_ms_per_series"]
    out.update(_peak())
    return out


def _subprocess(kind: str, count: int, days: int, workers: int, log: TextIO = sys.stderr, store: str = "") -> dict[str, Any]:
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.fleet_scale",
        "--measure",
        kind,
        "--series",
        str(count),
        "--days",
        str(days),
        "--workers",
        str(workers),
        "--store",
        store,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[2:])} failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"  {kind} {count} series x {days} d, workers {workers}: {result['seconds']:.1f} s", file=log)
    return result


def run_stream(series: int, days: int, log: TextIO = sys.stderr) -> dict[str, Any]:
    """The fleet written into a history store (not measured), then evaluated from it with 1 and 2 workers."""
    with tempfile.TemporaryDirectory(prefix="slowburn-fleet-") as tmp:
        store = str(Path(tmp) / "fleet.db")
        prepared = _subprocess("prepare", series, days, 1, log, store)
        runs = [_subprocess("stream", series, days, w, log, store) for w in (1, 2)]
    one, two = runs
    return {"prepare": prepared, "runs": runs, "speedup": one["seconds"] / two["seconds"]}


def run(series: int = 10000, days: int = 180, quick: bool = False, log: TextIO = sys.stderr) -> dict[str, Any]:
    """All fleet measurements; ``quick`` shrinks every size by 5-10x. Above 10,000 series only the
    streaming measurement runs (the in-memory one needs ~70 KiB per series)."""
    curve_count = 200 if quick else 1000
    main_count, main_days = (2000, 90) if quick else (series, days)
    counts = (500, 1000, main_count) if quick else (1000, 5000, main_count)
    print(f"fleet scale: {main_count} series x {main_days} days{' (quick)' if quick else ''}", file=log)
    stream = run_stream(main_count, main_days, log)
    if main_count > 10000:
        return {"quick": quick, "stream": stream}
    main_runs = [_subprocess("evaluate", main_count, main_days, w, log) for w in (1, 2)]
    by_count = [_subprocess("evaluate", c, main_days, 2, log) for c in counts if c != main_count]
    by_count += [r for r in main_runs if r["workers"] == 2]
    by_length = [_subprocess("evaluate", curve_count, d, 1, log) for d in (30, 90, 180, 365)]
    step = _subprocess("step", curve_count, 180, 1, log)
    ms = np.array([r["cpu_seconds"] / r["series"] for r in by_length])
    lengths = np.array([r["days"] for r in by_length], dtype=float)
    slopes = [float(np.log(ms[i + 1] / ms[i]) / np.log(lengths[i + 1] / lengths[i])) for i in range(len(ms) - 1)]
    return {
        "quick": quick,
        "stream": stream,
        "main": main_runs,
        "by_count": sorted(by_count, key=lambda r: r["series"]),
        "by_length": by_length,
        "length_slopes": slopes,
        "step": step,
        "targets": _targets(main_runs, slopes, quick),
    }


def _targets(main_runs: list[dict[str, Any]], slopes: list[float], quick: bool) -> list[dict[str, Any]]:
    one = next(r for r in main_runs if r["workers"] == 1)
    two = next(r for r in main_runs if r["workers"] == 2)
    peak = max(r["peak_pss_total_mib"] or r["peak_bound_mib"] for r in main_runs)
    bound = max(r["peak_bound_mib"] for r in main_runs)
    steepest = max(slopes)
    note = " (quick run: fewer series than the target's 10,000)" if quick else ""
    return [
        {
            "target": ">= 500 series/s per core (workers 1, wall clock)",
            "value": f"{one['series_per_second']:.0f} ({one['series_per_cpu_second']:.0f} per CPU-second)",
            "met": one["series_per_second"] >= 500,
        },
        {
            "target": f"10,000 series in < 20 s on 2 cores{note}",
            "value": f"{two['series']} series in {two['seconds']:.1f} s",
            "met": two["seconds"] < 20 and two["series"] >= 10000,
        },
        {
            "target": "peak memory < 1 GiB (parent + workers, proportional set size)",
            "value": f"{peak:.0f} MiB (ru_maxrss bound {bound:.0f} MiB)",
            "met": peak < 1024,
        },
        {
            "target": "cost grows no faster than linearly with length (steepest log-log slope between lengths <= 1.1)",
            "value": f"{steepest:.2f}",
            "met": steepest <= 1.1,
        },
    ]


def stream_markdown(stream: dict[str, Any]) -> list[str]:
    """The streaming measurement: series read in pages from a history store file."""
    p = stream["prepare"]
    lines = [
        f"Streaming from a history store ({p['series']} series x {p['days']} d written in {p['seconds']:.0f} s, "
        f"{p['bytes'] / 2**20:.0f} MiB on disk, not measured), best of {REPEAT} runs:",
        "",
        "| series | workers | wall (s) | CPU (s) | series/s | CPU ms per series | numpy floor ms per series | ratio | findings "
        "| peak total PSS (MiB) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in stream["runs"]:
        lines.append(
            f"| {r['series']} | {r['workers']} | {r['seconds']:.1f} | {r['cpu_seconds']:.1f} | {r['series_per_second']:.0f} "
            f"| {r['cpu_ms_per_series']:.2f} | {r['floor_ms_per_series']:.3f} | {r['ratio_to_floor']:.0f}x | {r['findings']} "
            f"| {_mib(r['peak_pss_total_mib'])} |"
        )
    two = stream["runs"][1]
    peak = max(r["peak_pss_total_mib"] or 0.0 for r in stream["runs"])
    budget = 1024 if two["series"] > 10000 else 600
    lines += [
        "",
        f"- two workers vs one (wall): {stream['speedup']:.2f}x (target >= 1.8) -> {'met' if stream['speedup'] >= 1.8 else 'NOT met'}",
        f"- peak PSS {peak:.0f} MiB for {two['series']} series (target < {budget} MiB) -> {'met' if peak < budget else 'NOT met'}",
        f"- {two['series']} series in {two['seconds']:.1f} s on 2 workers (target for 10,000: < 20 s)",
        "",
    ]
    return lines


def markdown(result: dict[str, Any]) -> str:
    if "main" not in result:
        return "\n".join(stream_markdown(result["stream"]))
    lines = stream_markdown(result["stream"]) + [
        f"`evaluate` at the end of the data, best of {REPEAT} runs in one process: wall seconds, CPU seconds (parent + pool "
        "workers), peak memory over both runs.",
        "",
        "| series | days | workers | wall (s) | CPU (s) | series/s | series/s per core | series per CPU-second "
        "| peak total PSS (MiB) | ru_maxrss parent (MiB) | ru_maxrss largest worker (MiB) | parent + workers x largest (MiB) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in result["main"] + [r for r in result["by_count"] if r not in result["main"]]:
        lines.append(
            f"| {r['series']} | {r['days']} | {r['workers']} | {r['seconds']:.1f} | {r['cpu_seconds']:.1f} | {r['series_per_second']:.0f} "
            f"| {r['series_per_second_per_core']:.0f} | {r['series_per_cpu_second']:.0f} | {_mib(r['peak_pss_total_mib'])} | {r['peak_self_mib']:.0f} "
            f"| {r['peak_largest_worker_mib']:.0f} | {r['peak_bound_mib']:.0f} |"
        )
    lines += [
        "",
        "Cost against series length (one process, lookback = length, CPU time):",
        "",
        "| days | series | ms per series | ms per series per 30 days | log-log slope from the previous length |",
        "|---|---|---|---|---|",
    ]
    for i, r in enumerate(result["by_length"]):
        ms = 1000 * r["cpu_seconds"] / r["series"]
        slope = f"{result['length_slopes'][i - 1]:.2f}" if i else ""
        lines.append(f"| {r['days']} | {r['series']} | {ms:.2f} | {ms * 30 / r['days']:.2f} | {slope} |")
    s = result["step"]
    lines += [
        "",
        "(A slope of 1.0 is linear growth; below 1, fixed per-series costs dominate.)",
        "",
        f"One backtest evaluation step (replay, one process, {s['series']} series x {s['days']} days): "
        f"{s['seconds_per_step']:.2f} s per step = {s['ms_per_series_step']:.2f} ms per series "
        f"({s['cpu_ms_per_series_step']:.2f} ms of CPU).",
        "",
        "Targets:",
        "",
    ]
    lines += [f"- {t['target']}: {t['value']} -> {'met' if t['met'] else 'NOT met'}" for t in result["targets"]]
    return "\n".join(lines)


def _mib(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}"


def main(argv: list[str] | None = None) -> dict[str, Any] | None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=10000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--quick", action="store_true", help="smaller sizes (about a minute)")
    parser.add_argument("--json", dest="json_out")
    parser.add_argument("--measure", choices=("evaluate", "step", "prepare", "stream"), help=argparse.SUPPRESS)
    parser.add_argument("--store", default="", help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=REPEAT, help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure, args.series, args.days, args.workers, args.store, args.repeat)))
        return None
    result = run(args.series, args.days, args.quick)
    print(markdown(result))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(result, indent=1), encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
