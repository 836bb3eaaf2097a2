"""Score the project's change point model, with the detector's defaults, on the Turing Change Point Dataset.

Run: python -m benchmarks.tcpd [--data DIR] [--json OUT] [--methods-dir DIR]

``--data DIR`` holds ``datasets/NAME.json`` and ``annotations.json`` in the TCPD layout (default:
``../shared/benchmarks/tcpd`` next to the repository). ``--methods-dir DIR`` holds the published
``published_default_f1.json`` / ``published_default_cover.json`` (default: the data directory).
Writes ``{"series": {NAME: {"cps", "f1", "cover"}}, "mean_f1", "mean_cover"}`` to ``--json`` and
prints mean F1 / cover next to every published default method, averaged over the same series.

How a series reaches the univariate model (``default_segmenter().fit(y).breakpoints_``: the
segmenter the detector builds from its default model settings, one sample read as one day's level;
until 2026-11-21 this scored the class's own ``min_size=5``, which no detector run uses):

* Missing values (``null``) are filled by linear interpolation between the nearest observed
  values (constant before the first and after the last); indices keep their original positions.
* Every dimension is standardised (median 0, standard deviation 1) and segmented on its own; the
  change points are the union over dimensions, where a point closer than ``MERGE_GAP`` samples to
  an earlier kept one is merged into it. A dimension with no observed value is skipped (noted).
* ``cps`` are the model's breakpoints (a new segment starts at ``y[i]``, which is exactly TCPD's
  convention) cleaned as the benchmark cleans every method: unique, ``1 <= i <= n_obs - 2``.
  Index 0 is *not* listed; the metrics add it (see ``benchmarks.tcpd_metrics``).

Errors (missing directory, unreadable or malformed JSON) print one line and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple, Protocol, TextIO

import numpy as np

from benchmarks.tcpd_metrics import clean_predictions, covering, f_measure
from detector.errors import DataError, SinkError

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "benchmarks" / "tcpd"
PUBLISHED = {"f1": "published_default_f1.json", "cover": "published_default_cover.json"}
OURS = "slowburn"
MERGE_GAP = 5
EXIT_ERROR = 2
DAY_SECONDS = 86400


class Segmenter(Protocol):
    breakpoints_: Any

    def fit(self, y: np.ndarray) -> Segmenter: ...


class TcpdSeries(NamedTuple):
    """One benchmark series: ``values`` has shape (n_obs, n_dim), NaN where missing."""

    name: str
    values: np.ndarray
    annotations: dict[str, list[int]]


def default_segmenter() -> Segmenter:
    """The segmenter exactly as the detector runs it with its default model settings
    (``ModelSettings``: shortest regime ``min_regime`` at one sample per day, ``penalty``)."""
    from detector.configuration.schema import ModelSettings
    from models.pipeline import regime_segmenter

    settings = ModelSettings()
    return regime_segmenter(max(3, int(round(settings.min_regime / DAY_SECONDS))), settings.penalty)


def read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror or exc}", location=str(path)) from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"invalid JSON: {exc.msg}", location=f"{path}:{exc.lineno}") from exc


def load_values(path: Path) -> np.ndarray:
    """The ``series[*].raw`` arrays of one TCPD dataset file as columns, ``null`` -> NaN."""
    data = read_json(path)
    n_obs = data.get("n_obs") if isinstance(data, dict) else None
    if not isinstance(n_obs, int) or isinstance(n_obs, bool) or n_obs < 1:
        raise DataError("expected an object with a positive integer 'n_obs'", location=str(path))
    dims = data.get("series")
    if not isinstance(dims, list) or not dims:
        raise DataError("expected a non-empty list 'series'", location=str(path))
    columns = []
    for k, dim in enumerate(dims):
        raw = dim.get("raw") if isinstance(dim, dict) else None
        if not isinstance(raw, list) or len(raw) != n_obs:
            raise DataError(f"expected a list of n_obs={n_obs} values", location=f"{path}: series[{k}].raw")
        bad = next((i for i, v in enumerate(raw) if v is not None and not _is_number(v)), None)
        if bad is not None:
            raise DataError(f"expected a number or null, got {raw[bad]!r}", location=f"{path}: series[{k}].raw[{bad}]")
        columns.append(np.array([np.nan if v is None else float(v) for v in raw]))
    return np.column_stack(columns)


def load_benchmark(data_dir: Path, notes: list[str]) -> list[TcpdSeries]:
    """Every ``datasets/*.json`` of ``data_dir`` with its annotations, sorted by name."""
    if not data_dir.is_dir():
        raise DataError("data directory not found", location=str(data_dir))
    files = sorted((data_dir / "datasets").glob("*.json"))
    if not files:
        raise DataError("no datasets/*.json files", location=str(data_dir))
    ann_path = data_dir / "annotations.json"
    annotations = read_json(ann_path)
    if not isinstance(annotations, dict):
        raise DataError("expected an object {series: {annotator: [indices]}}", location=str(ann_path))
    out = []
    for path in files:
        values = load_values(path)
        out.append(TcpdSeries(path.stem, values, _annotations_of(annotations, path.stem, len(values), ann_path)))
    extra = sorted(set(annotations) - {s.name for s in out})
    if extra:
        notes.append(f"{ann_path}: annotations of {len(extra)} series without a dataset file not used: {', '.join(extra)}")
    return out


def _annotations_of(annotations: dict[str, Any], name: str, n_obs: int, where: Path) -> dict[str, list[int]]:
    entry = annotations.get(name)
    if not isinstance(entry, dict) or not entry:
        raise DataError("expected at least one annotator", location=f"{where}: {name}")
    out = {}
    for annotator, points in entry.items():
        if not isinstance(points, list) or not all(_is_index(p, n_obs) for p in points):
            raise DataError(f"expected a list of indices in [0, {n_obs})", location=f"{where}: {name}.{annotator}")
        out[str(annotator)] = list(points)
    return out


def prepare_dimension(raw: np.ndarray) -> np.ndarray | None:
    """Linearly interpolated over missing values and standardised; ``None`` if nothing is observed."""
    observed = np.flatnonzero(np.isfinite(raw))
    if observed.size == 0:
        return None
    filled = np.interp(np.arange(len(raw)), observed, raw[observed])
    spread = float(np.std(filled))
    return (filled - np.median(filled)) / (spread if spread > 0 else 1.0)


def detect(series: TcpdSeries, make_segmenter: Callable[[], Segmenter], notes: list[str]) -> list[int]:
    """Cleaned change points of one (possibly multi-dimensional) series; see the module docstring."""
    found: list[int] = []
    for k in range(series.values.shape[1]):
        y = prepare_dimension(series.values[:, k])
        if y is None:
            notes.append(f"{series.name}: dimension {k} has no observed value, skipped")
            continue
        found.extend(int(i) for i in np.asarray(make_segmenter().fit(y).breakpoints_).ravel())
    kept: list[int] = []
    for point in sorted(set(found)):
        if not kept or point - kept[-1] >= MERGE_GAP:
            kept.append(point)
    return clean_predictions(kept, len(series.values))


def run(benchmark: Sequence[TcpdSeries], make_segmenter: Callable[[], Segmenter], notes: list[str]) -> dict[str, Any]:
    """Scores of the model on every series, and their means, in the ``--json`` layout."""
    scores = {}
    for series in benchmark:
        cps = detect(series, make_segmenter, notes)
        n_obs = len(series.values)
        scores[series.name] = {
            "cps": cps,
            "f1": f_measure(series.annotations, cps).f1,
            "cover": covering(series.annotations, cps, n_obs),
        }
    return {
        "series": scores,
        "mean_f1": float(np.mean([s["f1"] for s in scores.values()])),
        "mean_cover": float(np.mean([s["cover"] for s in scores.values()])),
    }


def published_means(methods_dir: Path, names: Sequence[str]) -> dict[str, dict[str, tuple[float, int]]]:
    """``{method: {"f1"|"cover": (mean over ``names`` where published, how many series)}}``."""
    out: dict[str, dict[str, tuple[float, int]]] = {}
    for metric, filename in PUBLISHED.items():
        path = methods_dir / filename
        table = read_json(path)
        if not isinstance(table, dict):
            raise DataError("expected an object {series: {method: score}}", location=str(path))
        rows = [table[name] for name in names if isinstance(table.get(name), dict)]
        for method in sorted({m for row in rows for m in row}):
            values = [row[method] for row in rows if _is_number(row.get(method))]
            out.setdefault(method, {})[metric] = (float(np.mean(values)) if values else float("nan"), len(values))
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_index(value: Any, n_obs: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < n_obs


def format_table(ours: Mapping[str, Any], published: Mapping[str, Mapping[str, tuple[float, int]]], n_series: int) -> str:
    """Methods sorted by mean F1 (then cover), best first; ours marked with ``*``."""
    rows = [(OURS, ours["mean_f1"], n_series, ours["mean_cover"], n_series)]
    for method, metrics in published.items():
        f1, n_f1 = metrics.get("f1", (float("nan"), 0))
        cover, n_cover = metrics.get("cover", (float("nan"), 0))
        rows.append((method, f1, n_f1, cover, n_cover))
    rows.sort(key=lambda r: (-np.nan_to_num(r[1], nan=-1.0), -np.nan_to_num(r[3], nan=-1.0), r[0]))
    lines = [
        f"TCPD, default settings, {n_series} series (F1 margin 5; segmentation cover)",
        f"  {'method':<12} {'mean F1':>8} {'mean cover':>11}",
    ]
    for method, f1, n_f1, cover, n_cover in rows:
        mark = "*" if method == OURS else " "
        lines.append(f"{mark} {method:<12} {_cell(f1, n_f1, n_series):>8} {_cell(cover, n_cover, n_series):>11}")
    lines.append(
        f"* {OURS}: models.changepoints.PiecewiseLinearSegmenter as the detector runs it by default (models.pipeline.regime_segmenter)"
    )
    if any(r[2] < n_series or r[4] < n_series for r in rows):
        lines.append("(k/n): mean over the k of n series the method has a published score for")
    return "\n".join(lines)


def _cell(value: float, count: int, total: int) -> str:
    text = "n/a" if not np.isfinite(value) else f"{value:.3f}"
    return text if count == total else f"{text} ({count}/{total})"


def main(
    argv: list[str] | None = None,
    segmenter_factory: Callable[[], Segmenter] | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Command line entry point; returns the exit status (0, or 2 on a data or output error)."""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    parser = argparse.ArgumentParser(prog="python -m benchmarks.tcpd", description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with datasets/ and annotations.json")
    parser.add_argument("--json", type=Path, default=None, help="write per-series results here")
    parser.add_argument("--methods-dir", type=Path, default=None, help="folder of published_default_*.json")
    args = parser.parse_args(argv)
    notes: list[str] = []
    try:
        benchmark = load_benchmark(args.data, notes)
        methods_dir = args.methods_dir or args.data
        if args.methods_dir is None and not all((methods_dir / f).is_file() for f in PUBLISHED.values()):
            notes.append(f"{methods_dir}: no published_default_*.json, table shows {OURS} only")
            published = {}
        else:
            published = published_means(methods_dir, [s.name for s in benchmark])
        result = run(benchmark, segmenter_factory or default_segmenter, notes)
        if args.json is not None:
            _write_json(args.json, result)
    except (DataError, SinkError) as exc:
        print(f"error: {exc}", file=err)
        return EXIT_ERROR
    for note in notes:
        print(f"note: {note}", file=err)
    print(format_table(result, published, len(benchmark)), file=out)
    return 0


def _write_json(path: Path, result: Mapping[str, Any]) -> None:
    try:
        path.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    except OSError as exc:
        raise SinkError(f"cannot write: {exc.strerror or exc}", location=str(path)) from exc


if __name__ == "__main__":
    raise SystemExit(main())
