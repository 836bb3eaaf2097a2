"""Sweep one detection-policy field and show what each value does on every benchmark, one row per value.

Run: python -m benchmarks.calibrate --field GROUP.FIELD --values V1 V2 ... [--incidents 40 --quiet 40]
     [--every 2d] [--workers 2] [--skip scenarios|replicas|realops ...] [--realops-data DIR] [--json OUT]

For each value, ``DEFAULT_POLICY.with_field(field, value)`` is replayed on (see
``benchmarks.calibrate_suites``): the seeded scenario suite (false alarms per 100 quiet
series-years, share of incident series flagged at or before the incident, median first-flag lead),
the bundled replicas (causes flagged before their incident, median and shortest lead, false-alarm
episodes and their rate per series-year, replica targets met) and the NAB real series (false
alarms, per 100 series-years, labeled windows flagged). The scenario suite is smaller than the
benchmark's (40 + 40 series evaluated every 2 days) so that three values take a few minutes on
2 cores. Values are parsed like the field's default: true/false for flags, durations such as
``6h`` for fields in seconds, numbers otherwise. An unknown field or a bad value exits with 2.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from benchmarks.calibrate_suites import SUITES, SweepSettings
from benchmarks.realops_data import DEFAULT_DIR
from detector.configuration.durations import parse_duration
from detector.errors import SlowburnError
from detector.policy.thresholds import DEFAULT_POLICY, describe, field_paths

USAGE = 2
TRUE, FALSE = {"true", "yes", "1", "on"}, {"false", "no", "0", "off"}


class SweepError(ValueError):
    """A field or value the sweep cannot use; the message is the one line shown to the user."""


def field_info(name: str) -> dict[str, Any]:
    """The ``describe()`` entry of ``name``; a SweepError naming it and listing the valid fields otherwise."""
    known = field_paths()
    if name not in known:
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise SweepError(
            f"unknown policy field {name!r}: {hint}expected GROUP.FIELD, one of the {len(known)} fields of "
            f"detector/policy/thresholds.py ({', '.join(sorted({k.split('.')[0] + '.*' for k in known}))})"
        )
    return next(entry for entry in describe() if entry["field"] == name)


def parse_value(info: dict[str, Any], text: str) -> Any:
    """``text`` as the type of the field's default (bool, int, seconds or float)."""
    default = info["default"]
    try:
        if isinstance(default, bool):
            if text.lower() not in TRUE | FALSE:
                raise ValueError("expected true or false")
            return text.lower() in TRUE
        if isinstance(default, int):
            return int(text)
        if info.get("unit") == "seconds":
            return parse_duration(text)
        return float(text)
    except ValueError as exc:
        raise SweepError(f"{info['field']}: cannot use the value {text!r} ({exc})") from None


def sweep(name: str, values: list[Any], settings: SweepSettings, suites: list[str]) -> list[dict[str, Any]]:
    """Prepare every suite once, then measure each value on each; one row per value."""
    measures = {suite: SUITES[suite](settings) for suite in suites}
    rows = []
    for value in values:
        policy = DEFAULT_POLICY.with_field(name, value)
        row: dict[str, Any] = {"value": value}
        for suite, measure in measures.items():
            print(f"calibrate: {name} = {value!r}: {suite}", file=settings.log)
            row[suite] = measure(policy)
        rows.append(row)
    return rows


def _n(value: float | None, fmt: str = "{:.1f}") -> str:
    return "n/a" if value is None else fmt.format(value)


COLUMNS: dict[str, list[tuple[str, Callable[[dict[str, Any]], str]]]] = {
    "scenarios": [
        ("scen FA/100y", lambda r: _n(r["quiet_false_alarms_per_100_series_years"], "{:.2f}") + f" ({r['quiet_false_alarms']})"),
        (
            "scen flagged",
            lambda r: f"{r['flagged_at_or_before_incident']}/{r['incidents']} ({_n(100 * (r['share_flagged'] or 0), '{:.0f}')} %)",
        ),
        ("scen lead d", lambda r: _n(r["median_first_flag_lead_days"])),
    ],
    "replicas": [
        ("repl causes", lambda r: f"{r['causes_flagged']}/{r['causes']}"),
        ("repl lead med/min d", lambda r: f"{_n(r['median_lead_days'])}/{_n(r['min_lead_days'])}"),
        ("repl FA (/y)", lambda r: f"{r['false_alarms']} ({_n(r['false_alarms_per_series_year'], '{:.3f}')})"),
        ("repl targets", lambda r: f"{r['targets_met']}/{r['targets']}"),
    ],
    "realops": [
        ("real FA (/100y)", lambda r: f"{r['false_alarms']} ({_n(r['false_alarms_per_100_series_years'])})"),
        ("real windows", lambda r: f"{r['windows_flagged']}/{r['windows']}"),
    ],
}


def table(info: dict[str, Any], rows: list[dict[str, Any]], suites: list[str]) -> str:
    """Header naming the field, its unit and origin; one row per value; then what each row missed."""
    titles = ["value"] + [title for suite in suites for title, _ in COLUMNS[suite]]
    cells = [[repr(row["value"])] + [get(row[suite]) for suite in suites for _, get in COLUMNS[suite]] for row in rows]
    widths = [max(len(title), *(len(c[i]) for c in cells)) for i, title in enumerate(titles)]
    lines = [
        f"{info['field']}: unit {info.get('unit', '?')}; default {info['default']!r}; origin: {info.get('origin', '?')}",
        "",
        " | ".join(title.ljust(w) for title, w in zip(titles, widths, strict=True)),
        "-+-".join("-" * w for w in widths),
    ]
    lines += [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines += [
        "",
        "scen: seeded scenario suite (FA = false-alarm episodes on quiet series, per 100 series-years; flagged = at or before",
        "the incident; lead = median first-flag lead). repl: data/replicas replayed daily (causes flagged before their incident,",
        "lead, false-alarm episodes and per series-year, replica targets met). real: NAB series every 6 h (false alarms, windows flagged).",
    ]
    for row in rows:
        missed = row.get("replicas", {}).get("targets_not_met", [])
        if missed:
            lines.append(f"{row['value']!r}: replica targets not met: {'; '.join(missed)}")
        for f in row.get("realops", {}).get("false_alarm_episodes", []):
            lines.append(
                f"{row['value']!r}: realops false alarm from {f['time']}: {f['family']}/{f['series']} {f['kind']} "
                f"{f['severity']}: {f['summary']}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--field", required=True, help="policy field GROUP.FIELD (see detector/policy/thresholds.py)")
    parser.add_argument("--values", required=True, nargs="+", help="values to try")
    parser.add_argument("--incidents", type=int, default=40, help="scenario series with an incident (default 40)")
    parser.add_argument("--quiet", type=int, default=40, help="quiet scenario series (default 40)")
    parser.add_argument("--every", default="2d", help="time between scenario evaluations (default 2d)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip", nargs="+", default=[], choices=list(SUITES), help="suites to leave out")
    parser.add_argument("--realops-data", type=Path, default=DEFAULT_DIR, help="directory holding nab/")
    parser.add_argument("--json", dest="json_out", type=Path, help="write the rows as JSON")
    args = parser.parse_args(argv)
    try:
        info = field_info(args.field)
        values = [parse_value(info, text) for text in args.values]
        every = parse_duration(args.every)
    except (SweepError, ValueError) as exc:
        print(f"error: {exc}", file=err)
        return USAGE
    suites = [name for name in SUITES if name not in args.skip]
    settings = SweepSettings(
        incidents=args.incidents, quiet=args.quiet, scenario_every=every, workers=args.workers, realops_dir=args.realops_data, log=err
    )
    try:
        rows = sweep(args.field, values, settings, suites)
    except SlowburnError as exc:
        print(f"error: {exc}", file=err)
        return int(exc.exit_status)
    print(table(info, rows, suites), file=out)
    if args.json_out:
        document = {
            "field": info,
            "values": values,
            "suites": suites,
            "settings": {"incidents": args.incidents, "quiet": args.quiet, "scenario_every_seconds": every, "workers": args.workers},
            "rows": rows,
        }
        args.json_out.write_text(json.dumps(document, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
