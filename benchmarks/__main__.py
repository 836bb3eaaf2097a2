"""Run every benchmark, print the tables and write them with the date and machine to docs/benchmarks.md.

Run: python -m benchmarks [--quick] [--out docs/benchmarks.md] [--skip NAME ...]

Sections: pipeline_speed, scenarios (detection quality), eta_coverage (how often the incident falls
inside the ETA interval), realops (false alarms on real NAB series; needs ../shared/benchmarks/realops), fleet_scale (speed, memory), prophet_peer, and tcpd (change points on the
Turing Change Point Dataset) when ``benchmarks.tcpd`` is present.
``--quick`` shrinks every size (a few minutes in all); the committed document is a full run.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd

from benchmarks import eta_coverage, fleet_scale, pipeline_speed, prophet_peer, realops, scenarios
from detector.errors import SlowburnError

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
SECTIONS = ("pipeline_speed", "scenarios", "eta_coverage", "realops", "fleet_scale", "prophet_peer", "tcpd")
FAILURES = (SlowburnError, RuntimeError, ValueError, OSError, ImportError, KeyError)


def machine() -> dict[str, str]:
    """Cores, memory, CPU model, load and library versions of this machine."""
    model, mem = "unknown", "unknown"
    with contextlib.suppress(OSError):
        model = next(
            (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
            model,
        )
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
        mem = f"{kib / 1024 / 1024:.1f} GiB"
    return {
        "cpu": model,
        "cores": str(os.cpu_count()),
        "memory": mem,
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "load average at start (1/5/15 min)": " / ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def _captured(call: Callable[[], Any]) -> tuple[Any, str]:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        value = call()
    return value, buffer.getvalue()


def _tcpd(quick: bool) -> tuple[str, str]:
    try:
        from benchmarks import tcpd
    except ImportError as exc:
        return "skipped", f"benchmarks.tcpd is not importable ({exc})."
    out, err = io.StringIO(), io.StringIO()
    status = tcpd.main([], stdout=out, stderr=err)
    notes = err.getvalue().strip()
    text = "```\n" + out.getvalue().rstrip() + "\n```" + (f"\n\n```\n{notes}\n```" if notes else "")
    return ("ok" if status == 0 else f"exit {status}"), text


def _realops() -> tuple[str, str, None]:
    """The NAB replay; 'skipped' with the reason when ../shared/benchmarks/realops is not there."""
    code, text = _captured(lambda: realops.main([]))
    if code:
        return "skipped", f"Skipped: {text.strip() or 'the realops data is not available'}", None
    return "ok", "```\n" + text.rstrip() + "\n```", None


def run_sections(quick: bool, skip: set[str], log: TextIO = sys.stderr) -> list[dict[str, Any]]:
    """Each section: name, status, seconds, markdown body and (where there is one) the result document."""
    plans: dict[str, Callable[[], tuple[str, str, Any]]] = {
        "pipeline_speed": lambda: (
            "ok",
            "```\n" + _captured(lambda: pipeline_speed.main(["--series", "60" if quick else "200"]))[1].rstrip() + "\n```",
            None,
        ),
        "scenarios": lambda: _markdown(
            scenarios, scenarios.run(*((24, 24) if quick else (200, 200)), workers=2, every=(2 if quick else 1) * 86400.0)
        ),
        "eta_coverage": lambda: _markdown(
            eta_coverage, eta_coverage.run(24 if quick else 200, workers=2, every=(2 if quick else 1) * 86400.0)
        ),
        "realops": lambda: _realops(),
        "fleet_scale": lambda: _markdown(fleet_scale, fleet_scale.run(quick=quick)),
        "prophet_peer": lambda: _markdown(prophet_peer, prophet_peer.run(*((4, 4) if quick else (30, 30)))),
        "tcpd": lambda: (*_tcpd(quick), None),
    }
    done = []
    for name in SECTIONS:
        if name in skip:
            continue
        print(f"== {name}", file=log)
        t0 = time.perf_counter()
        try:
            status, body, result = plans[name]()
        except FAILURES as exc:
            status, body, result = "failed", f"Failed: {type(exc).__name__}: {exc}", None
        seconds = time.perf_counter() - t0
        print(body, file=log)
        done.append({"name": name, "status": status, "seconds": seconds, "markdown": body, "result": result})
    return done


def _markdown(module: Any, result: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    return ("skipped" if "skipped" in result else "ok"), module.markdown(result), result


TITLES = {
    "pipeline_speed": "Per-series model cost (`python -m benchmarks.pipeline_speed`)",
    "scenarios": "Detection quality on the scenario suite (`python -m benchmarks.scenarios`)",
    "eta_coverage": "ETA interval coverage on the scenario suite (`python -m benchmarks.eta_coverage`)",
    "realops": "Real operational series, NAB (`python -m benchmarks.realops`)",
    "fleet_scale": "Fleet scale: speed and memory (`python -m benchmarks.fleet_scale`)",
    "prophet_peer": "Prophet as a peer (`python -m benchmarks.prophet_peer`)",
    "tcpd": "Change points on the Turing Change Point Dataset (`python -m benchmarks.tcpd`)",
}


def document(
    sections: list[dict[str, Any]], facts: dict[str, str], when: datetime, quick: bool, total: float, kept: dict[str, str] | None = None
) -> str:
    """The benchmarks file: this run's sections, then the ``kept`` sections of an earlier file it did not re-run
    (skipped ones, and those measured by hand such as the live pulls)."""
    lines = [
        "# Benchmarks",
        "",
        f"Generated by `python -m benchmarks{' --quick' if quick else ''}` on {when:%Y-%m-%d %H:%M} UTC in {total / 60:.1f} minutes. "
        "Every figure below comes from that run; re-run the command to refresh this file.",
        "",
        "## Machine",
        "",
    ]
    lines += [f"- {k}: {v}" for k, v in facts.items()]
    lines += [
        "",
        "Times are wall-clock on this machine unless marked CPU; other work running at the same time (see the load "
        "average) makes wall times slower, never faster, and leaves CPU times nearly unchanged.",
        "",
        "## Reproduce",
        "",
        "    pip install prophet          # optional: only the Prophet peer needs it (its wheel bundles cmdstan)",
        "    python -m benchmarks         # everything, writes this file; --quick for a smoke run",
        "    python -m benchmarks.scenarios --incidents 200 --quiet 200 --workers 2 --json scenarios.json",
        "    python -m benchmarks.eta_coverage --incidents 200 --json eta_coverage.json",
        "    python -m benchmarks.fleet_scale --series 10000 --days 180",
        "    python -m benchmarks.prophet_peer --incidents 30 --quiet 30",
        "",
    ]
    for section in sections:
        lines += [f"## {TITLES[section['name']]}", "", f"_{section['status']}, {section['seconds']:.0f} s_", "", section["markdown"], ""]
    produced = {TITLES[section["name"]] for section in sections}
    for title, body in (kept or {}).items():  # sections this run did not produce stay, marked as older
        if title in produced:
            continue
        mark = (
            ""
            if body.lstrip().startswith("_kept")
            else "_kept from an earlier run (not re-run this time; its own date and load are in it)_\n\n"
        )
        lines += [f"## {title}", "", mark + body.strip(), ""]
    return "\n".join(lines)


def previous_sections(text: str) -> dict[str, str]:
    """The measured sections of an earlier benchmarks file, by title (Machine and Reproduce are rewritten)."""
    out: dict[str, str] = {}
    title: str | None = None
    for line in text.splitlines():
        if line.startswith("## "):
            title = line[3:].strip()
            out[title] = ""
        elif title is not None:
            out[title] += line + "\n"
    return {k: v for k, v in out.items() if k not in ("Machine", "Reproduce")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes: a smoke run of every benchmark")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"Markdown file to write (default {DEFAULT_OUT})")
    parser.add_argument("--skip", nargs="*", default=[], choices=SECTIONS, help="sections to leave out")
    args = parser.parse_args(argv)
    facts = machine()
    when = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    sections = run_sections(args.quick, set(args.skip))
    facts["load average at end (1/5/15 min)"] = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    kept = previous_sections(args.out.read_text(encoding="utf-8")) if args.out.exists() and not args.quick else {}
    text = document(sections, facts, when, args.quick, time.perf_counter() - t0, kept)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0 if all(s["status"] in ("ok", "skipped") for s in sections) else 1


if __name__ == "__main__":
    raise SystemExit(main())
