"""The real NAB series of the realops benchmark: files in, regular series, labeled windows and a Config out.

Nothing here runs the detector (that is :mod:`benchmarks.realops`); this module only reads
``DIR/nab/<family>/<file>.csv`` (``timestamp,value``, UTC, ``YYYY-MM-DD HH:MM:SS``) and
``DIR/nab/labels_combined_windows.json`` (``"<family>/<file>.csv": [[start, end], ...]``) and
puts each series on the regular grid of its family's step with :func:`detector.sources.regular.regularize`
(bin means, NaN gaps). The data stays where it is: pass its directory, never copy it into the repository.

The per-family settings (:data:`FAMILIES`) are what a user would write for short, 5-minute data:
step 5m (hourly for the ad exchange, its native step), ``min_history`` 3d, ``min_regime`` 3d,
direction up, no ceiling (none of these quantities has an obvious limit), every other setting
the project default. Direction up is right for travel time, occupancy, cost and tweet volume; for
the traffic *speed* series falling is the bad direction, so their dips are out of scope here (one
signal per family; they still count for false alarms). ``lookback`` is the length of the family's longest series rounded up to a
whole day, plus one day: every evaluation sees all the data before it, and a family never sees
another family's data.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from detector.configuration.schema import Config
from detector.core.series import Labels, SeriesKey, SeriesSet
from detector.errors import DataError
from detector.sources.regular import regularize

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "realops"
LABELS_FILE = "labels_combined_windows.json"
Window = tuple[pd.Timestamp, pd.Timestamp]


@dataclass(frozen=True)
class Family:
    """One NAB folder: the signal it becomes and the grid step (seconds) of its series."""

    folder: str
    signal: str
    step: float


FAMILIES: tuple[Family, ...] = (
    Family("realTraffic", "nab_traffic", 300.0),
    Family("realAdExchange", "nab_adexchange", 3600.0),
    Family("realTweets", "nab_tweets", 300.0),
)
"""Registry of the families read (folder -> signal, step)."""


@dataclass(frozen=True)
class RealSeries:
    """One real series on its regular grid with its labeled anomaly windows (UTC, start <= end)."""

    family: Family
    name: str  # file stem, e.g. "speed_6005"; the ``series`` label of its key
    values: pd.Series  # float64, UTC DatetimeIndex at ``family.step``, NaN gaps
    windows: tuple[Window, ...]

    @property
    def key(self) -> SeriesKey:
        return SeriesKey(self.family.signal, labels(self.name))

    @property
    def span_days(self) -> float:
        return (self.values.index[-1] - self.values.index[0]).total_seconds() / 86400.0


def labels(name: str) -> Labels:
    return (("series", name),)


def nab_dir(directory: Path) -> Path:
    """``directory/nab`` (or ``directory`` itself if it holds the labels file); a DataError naming the path if absent."""
    directory = Path(directory)
    for candidate in (directory / "nab", directory):
        if (candidate / LABELS_FILE).is_file():
            return candidate
    raise DataError(
        f"realops data not found: expected nab/{LABELS_FILE} and the NAB CSV folders there "
        f"(see /work/shared/benchmarks/realops/README.md); pass the directory with --data",
        location=str(directory),
    )


def read_windows(path: Path) -> dict[str, tuple[Window, ...]]:
    """``{"<family>/<file>.csv": windows}`` from a NAB combined-windows JSON file."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"cannot read the labeled windows: {exc}", location=str(path)) from None
    if not isinstance(document, dict):
        raise DataError("expected a mapping of 'folder/file.csv' to [[start, end], ...]", location=str(path))
    out: dict[str, tuple[Window, ...]] = {}
    for name, pairs in document.items():
        try:
            out[name] = tuple(sorted((_utc(start), _utc(end)) for start, end in pairs))
        except (TypeError, ValueError) as exc:
            raise DataError(f"{name}: expected [[start, end], ...] ({exc})", location=str(path)) from None
    return out


def read_series(path: Path, step: float) -> pd.Series:
    """One ``timestamp,value`` CSV on the regular grid of ``step`` seconds (bin means, NaN gaps)."""
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read the CSV: {exc}", location=str(path)) from None
    if list(frame.columns[:2]) != ["timestamp", "value"]:
        raise DataError(f"expected the columns timestamp,value, got {','.join(map(str, frame.columns))}", location=str(path))
    try:
        stamps = pd.to_datetime(frame["timestamp"], utc=True).dt.tz_convert(None).to_numpy().astype("datetime64[ns]")
    except (ValueError, TypeError) as exc:
        raise DataError(f"unreadable timestamp: {exc}", location=str(path)) from None
    stamps = stamps.astype("int64") / 1e9
    values = pd.to_numeric(frame["value"], errors="coerce").to_numpy(dtype=float)
    series, _notes = regularize(stamps, values, step, location=str(path), signal=path.stem)
    return series


def load_nab(directory: Path = DEFAULT_DIR, families: tuple[Family, ...] = FAMILIES) -> list[RealSeries]:
    """Every CSV of every family folder found under ``directory`` (sorted), with its windows."""
    root = nab_dir(directory)
    windows = read_windows(root / LABELS_FILE)
    out: list[RealSeries] = []
    for family in families:
        folder = root / family.folder
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.csv")):
            out.append(RealSeries(family, path.stem, read_series(path, family.step), windows.get(f"{family.folder}/{path.name}", ())))
    if not out:
        raise DataError(f"no CSV files in any of {', '.join(f.folder for f in families)}", location=str(root))
    return out


def build(series: list[RealSeries]) -> tuple[Config, SeriesSet]:
    """One signal per family present (settings in the module docstring) and the series set."""
    signals = []
    data: dict[str, dict[Labels, pd.Series]] = {}
    for family in dict.fromkeys(s.family for s in series):
        members = [s for s in series if s.family == family]
        lookback_days = math.ceil(max(s.span_days for s in members)) + 1
        signals.append(
            {
                "name": family.signal,
                "description": f"NAB {family.folder}",
                "step": family.step,
                "lookback": f"{lookback_days}d",
                "model": {"min_history": "3d", "min_regime": "3d"},
            }
        )
        data[family.signal] = {labels(s.name): s.values for s in members}
    return Config.model_validate({"signals": signals}), SeriesSet(series=data)


def evaluation_span(series: RealSeries, config: Config) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last time the series can be evaluated: min_history after its first sample,
    one step after its last."""
    signal = config.signal(series.family.signal)
    finite = series.values.index[np.isfinite(series.values.to_numpy())]
    return finite[0] + pd.Timedelta(seconds=signal.model.min_history), finite[-1] + pd.Timedelta(seconds=signal.step)


def _utc(text: str) -> pd.Timestamp:
    stamp = pd.Timestamp(text)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
