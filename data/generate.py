"""Generate the seeded incident replicas in ``data/replicas/`` (see ``data/README.md``).

    python data/generate.py [--out data/replicas] [--seed 20260221]

Hourly series from ``START`` to ``END`` (exclusive), one file per signal: ``NAME.json`` (the body of
a Prometheus ``query_range`` response) or ``NAME.csv`` (timestamp, value, one column per label),
with the quirks of real exports (scrape gaps, ``NaN``, a duplicated row, an unsorted file, a series
appearing mid-way), plus ``incidents.yaml`` and ``truth.json``. Same seed, same bytes.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import replica_controls as controls
import replica_shapes as shapes
from replica_shapes import Grid, Shape, seconds

DEFAULT_SEED = 20260221
DEFAULT_OUT = Path(__file__).resolve().parent / "replicas"
CSV_SIGNALS = {  # signal -> timestamp style; every other signal is written as JSON
    "pvc_used_bytes": "unix",
    "control_shift_down_seconds": "unix",
    "vpa_evictions": "rfc3339",
    "backend_memory_bytes": "rfc3339",
    "control_seasonal_latency_seconds": "rfc3339",
    "control_log_volume_bytes": "rfc3339",
}
SCRAPE_GAPS = {  # signal -> number of random 1-3 h gaps per series
    "client_throttle_wait_seconds": 2,
    "webhook_p99_seconds": 2,
    "pvc_used_bytes": 2,
    "pvc_capacity_bytes": 1,
    "backend_memory_bytes": 1,
    "control_seasonal_latency_seconds": 2,
    "control_queue_depth": 1,
}
NAN_VALUES = {'webhook_p99_seconds{name="gatekeeper.sh",type="validating"}': 2, 'control_seasonal_latency_seconds{service="checkout"}': 1}
DUPLICATED_ROWS = ("backend_memory_bytes", "control_shift_down_seconds")
UNSORTED = "control_log_volume_bytes"
VPA_SIGNALS = (
    "vpa_objects",
    "client_throttle_wait_seconds",
    "webhook_p99_seconds",
    "webhook_fail_open_rate",
    "vpa_evictions",
    "prometheus_head_series",
)
KEY_TIMES = (
    shapes.THROTTLE_ONSET,
    shapes.VPA_STEP,
    shapes.FAIL_OPEN_START,
    shapes.VPA_INCIDENT,
    shapes.RESIZE,
    shapes.RESTART_STORM,
    *shapes.PVC_FULL.values(),
    controls.SHIFT_DOWN,
    controls.CACHE_RESTART,
    controls.REFUNDS_APPEAR,
)
Builder = Callable[[np.random.Generator, Grid], list[Shape]]
BUILDERS: tuple[Builder, ...] = (
    shapes.vpa_objects,
    shapes.client_throttle,
    shapes.webhook_p99,
    shapes.webhook_fail_open,
    shapes.vpa_evictions,
    shapes.prometheus_head,
    lambda rng, g: shapes.pvc_capacity(g),
    shapes.pvc_used,
    shapes.pod_restarts,
    shapes.backend_memory,
    controls.seasonal_latency,
    controls.shift_down,
    controls.log_volume,
    controls.queue_depth,
    controls.gappy_surge,
    controls.cache_warmup,
)


def key_of(shape: Shape) -> str:
    """``signal{a="x",b="y"}``: labels sorted, ``__name__`` left out (as ``SeriesKey.__str__``)."""
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(shape.labels.items()) if k != "__name__")
    return f"{shape.signal}{{{inner}}}"


def format_value(value: float, digits: int) -> str:
    """A sample value as Prometheus writes it: ``NaN``, ``25``, ``0.2431`` (no exponent)."""
    if np.isnan(value):
        return "NaN"
    if digits == 0:
        return str(int(round(value)))
    return np.format_float_positional(float(f"{value:.{digits}g}"), trim="-")


def rfc3339(unix: int) -> str:
    return pd.Timestamp(unix, unit="s", tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def add_quirks(rng: np.random.Generator, series: list[Shape], g: Grid) -> None:
    """Scrape gaps (never within 12 h of a key time), lost monitoring after the VPA incident, NaNs."""
    protected = np.zeros(g.n, dtype=bool)
    for when in KEY_TIMES:
        protected |= np.abs(g.seconds - seconds(when)) <= 12 * 3600
    first_lost, lost_hours = shapes.MONITORING_LOST
    lost = (g.seconds >= seconds(first_lost)) & (g.seconds < seconds(first_lost) + lost_hours * 3600)
    for shape in series:
        for _ in range(SCRAPE_GAPS.get(shape.signal, 0)):
            start = int(rng.choice(np.flatnonzero(~protected[:-3])))
            shape.missing[start : start + int(rng.integers(1, 4))] = True
        if shape.signal in VPA_SIGNALS:
            shape.missing |= lost
        for _ in range(NAN_VALUES.get(key_of(shape), 0)):
            shape.values[int(rng.choice(np.flatnonzero(~shape.missing & ~protected)))] = np.nan


def rows_of(shape: Shape, g: Grid) -> list[tuple[int, str]]:
    keep = ~shape.missing
    return [(int(t), format_value(v, shape.digits)) for t, v in zip(g.seconds[keep], shape.values[keep], strict=True)]


def write_json(path: Path, series: list[Shape], g: Grid) -> None:
    """A Prometheus ``query_range`` body: series sorted by labels, compact, values as strings."""
    result = [
        {"metric": dict(sorted(s.labels.items())), "values": [[t, v] for t, v in rows_of(s, g)]}
        for s in sorted(series, key=lambda s: sorted(s.labels.items()))
    ]
    body = {"status": "success", "data": {"resultType": "matrix", "result": result}}
    path.write_text(json.dumps(body, separators=(",", ":")) + "\n", encoding="utf-8")


def write_csv(path: Path, series: list[Shape], g: Grid, rng: np.random.Generator) -> None:
    """Long CSV: ``timestamp,value,<labels>``; a duplicated row or shuffled monthly chunks if listed."""
    names = sorted({k for s in series for k in s.labels if k != "__name__"})
    stamp = (lambda t: str(t)) if CSV_SIGNALS[series[0].signal] == "unix" else rfc3339
    rows: list[list[str]] = []
    for shape in series:
        rows.extend([stamp(t), v, *(shape.labels.get(n, "") for n in names)] for t, v in rows_of(shape, g))
    if series[0].signal in DUPLICATED_ROWS:  # a chunk boundary exported twice
        at = int(rng.integers(len(rows) // 4, 3 * len(rows) // 4))
        rows.insert(at + 1, list(rows[at]))
    if series[0].signal == UNSORTED:  # monthly chunks concatenated in the order they finished
        chunks = [rows[i : i + 720] for i in range(0, len(rows), 720)]
        rows = [row for i in rng.permutation(len(chunks)) for row in chunks[i]]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["timestamp", "value", *names])
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def first_at_or_above(shape: Shape, g: Grid, bound: float) -> str:
    hit = np.flatnonzero(~shape.missing & (shape.values >= bound))
    return rfc3339(int(g.seconds[hit[0]]))


SYMPTOMS = {"webhook_fail_open_rate", "vpa_evictions", "prometheus_head_series", "pod_restarts"}
"""Series that only show the outage once it happens (role: symptom); the others carried the risk
ahead of it (role: cause) and are the ones a detector is scored on."""


def incidents_of(series: list[Shape], g: Grid) -> list[dict[str, object]]:
    """``{signal, labels, at, role, note}`` for every series that is part of an incident."""
    out: list[dict[str, object]] = []
    for s in series:
        labels = {k: v for k, v in sorted(s.labels.items()) if k != "__name__"}
        if s.signal in VPA_SIGNALS and s.signal != "vpa_objects" and labels.get("name") != "gatekeeper.sh":
            item = {"signal": s.signal, "labels": labels, "at": shapes.VPA_INCIDENT, "note": "VPA: first alert, metrics missing"}
        elif s.signal == "pvc_used_bytes":
            # the outage began when the first disks filled and every volume was resized at once: a
            # disk resized before it filled shares that moment (it never got to fill)
            full = first_at_or_above(s, g, shapes.OLD_CAPACITY)
            item = {"signal": s.signal, "labels": labels, "at": min(full, shapes.REDIS_FULL), "note": "Redis: disk full (10 GiB)"}
        elif s.signal == "pod_restarts":
            item = {"signal": s.signal, "labels": labels, "at": shapes.RESTART_STORM, "note": "Redis: restart storm"}
        elif s.signal == "backend_memory_bytes":
            item = {"signal": s.signal, "labels": labels, "at": shapes.OOM, "note": "Redis: backend OOM cascade"}
        else:
            continue
        item["role"] = "symptom" if s.signal in SYMPTOMS else "cause"
        out.append(item)
    return out


def truth_of(series: list[Shape], g: Grid, seed: int) -> dict[str, object]:
    """Ground truth for the tests; keys documented in ``data/README.md``."""
    by_key = {key_of(s): s for s in series}
    vpa, fail_open = 'webhook_p99_seconds{name="vpa.k8s.io",type="admit"}', 'webhook_fail_open_rate{name="vpa.k8s.io",type="admit"}'
    quiet = {key_of(s): controls.CEILINGS[s.signal] for s in series if s.signal in controls.CEILINGS}
    quiet['webhook_p99_seconds{name="gatekeeper.sh",type="validating"}'] = 30.0
    return {
        "generator": {"seed": seed, "start": shapes.START, "end": shapes.END, "step_seconds": 3600},
        "incidents": {"vpa": shapes.VPA_INCIDENT, "redis": shapes.REDIS_FULL},
        "onsets": {
            'client_throttle_wait_seconds{job="vpa-admission-controller"}': shapes.THROTTLE_ONSET,
            vpa: shapes.THROTTLE_ONSET,
            fail_open: first_at_or_above(by_key[fail_open], g, 1e-12),
        },
        "steps": {"vpa_objects{}": shapes.VPA_STEP, 'control_shift_down_seconds{service="search"}': controls.SHIFT_DOWN},
        "step_factors": {"vpa_objects{}": 3.0, 'control_shift_down_seconds{service="search"}': 0.375},
        "resizes": {
            key_of(s): {"at": shapes.RESIZE, "from": shapes.OLD_CAPACITY, "to": shapes.NEW_CAPACITY}
            for s in series
            if s.signal == "pvc_capacity_bytes"
        },
        "full_at": {key_of(s): first_at_or_above(s, g, shapes.OLD_CAPACITY) for s in series if s.signal == "pvc_used_bytes"},
        "censored": {vpa: {"bound": 25.0, "first": first_at_or_above(by_key[vpa], g, 25.0)}},
        "restarts": {
            'backend_memory_bytes{container="backend",namespace="shop",pod="backend-7d9f"}': shapes.OOM,
            'control_cache_warmup_bytes{pod="cache-0"}': controls.CACHE_RESTART,
        },
        "appears": {'control_queue_depth{queue="refunds"}': controls.REFUNDS_APPEAR},
        "quiet": quiet,
    }


def write_incidents(path: Path, incidents: list[dict[str, object]]) -> None:
    lines = ["# Known incidents in the replicas. Generated by data/generate.py: do not edit by hand."]
    for item in incidents:
        lines.append(f"- signal: {item['signal']}")
        lines.append(f"  labels: {json.dumps(item['labels'])}")
        lines.append(f"  at: {json.dumps(item['at'])}")
        lines.append(f"  role: {item['role']}")
        lines.append(f"  note: {json.dumps(item['note'])}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def generate(out: Path, seed: int) -> list[Path]:
    """Write every replica file into ``out`` (created if needed); return the paths written."""
    rng = np.random.default_rng(seed)
    g = Grid()
    series = [shape for build in BUILDERS for shape in build(rng, g)]
    add_quirks(rng, series, g)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for signal in dict.fromkeys(s.signal for s in series):
        group = [s for s in series if s.signal == signal]
        if signal in CSV_SIGNALS:
            path = out / f"{signal}.csv"
            write_csv(path, group, g, rng)
        else:
            path = out / f"{signal}.json"
            write_json(path, group, g)
        written.append(path)
    write_incidents(out / "incidents.yaml", incidents_of(series, g))
    (out / "truth.json").write_text(json.dumps(truth_of(series, g, seed), indent=2) + "\n", encoding="utf-8")
    return [*written, out / "incidents.yaml", out / "truth.json"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate the seeded incident replicas.")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (default: data/replicas)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default: {DEFAULT_SEED})")
    args = parser.parse_args(argv)
    paths = generate(args.out, args.seed)
    total = sum(p.stat().st_size for p in paths)
    print(f"wrote {len(paths)} files, {total / 1e6:.2f} MB, to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
