"""Read a CSV export (``NAME.csv``) into raw series.

Format: a header row with ``timestamp`` and ``value`` and one column per label, in any order; one
sample per row::

    timestamp,value,namespace,persistentvolumeclaim
    2025-06-01T00:00:00Z,1.5e9,redis,data-redis-0
    1748739600,1.6e9,redis,data-redis-0

``timestamp`` is RFC 3339 with ``Z`` or an offset, or unix seconds (int or float). An empty
``value`` cell or ``NaN`` is a gap; ``+Inf``/``-Inf`` are read as such. An empty label cell means
the series does not carry that label. Every problem is a ``DataError`` located at ``path:line``.
Line numbers assume no quoted field spans several lines.
"""

from __future__ import annotations

import csv
import io
import re

import numpy as np
import pandas as pd

from detector.errors import DataError
from detector.series import DataNote
from detector.sources.base import RawSeries

TIMESTAMP, VALUE = "timestamp", "value"
_HAS_OFFSET = r"(?:[Zz]|[+-]\d\d:?\d\d)$"
_GAP_WORDS = {"", "nan"}
_EPOCH = pd.Timestamp(0, tz="UTC")


def parse_csv_export(text: str, where: str, signal: str) -> tuple[list[RawSeries], list[DataNote]]:
    """Parse the text of one CSV export read from ``where`` (a path, for locations).

    Returns the raw series (one per distinct combination of label cells) and no notes today;
    raises ``DataError`` at ``where:line`` for the first malformed header, timestamp or value.
    """
    if not text.strip():
        raise DataError("empty file; expected a header row with 'timestamp' and 'value' columns", location=where)
    header = _header(text, where)
    try:
        table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=False)
    except (pd.errors.ParserError, ValueError) as exc:
        match = re.search(r"line (\d+)", str(exc))
        location = f"{where}:{match.group(1)}" if match else where
        raise DataError(f"malformed CSV: {str(exc).removeprefix('Error tokenizing data. C error: ').strip()}", location=location) from None
    table.columns = header
    blank = (table == "").all(axis=1).to_numpy()
    lines = np.arange(table.shape[0]) + 2  # data row i is on line i + 2 (line 1 is the header)
    if blank.any():
        table, lines = table.loc[~blank], lines[~blank]

    timestamps = _timestamps(table[TIMESTAMP], lines, where)
    values = _values(table[VALUE], lines, where)
    label_names = [name for name in header if name not in (TIMESTAMP, VALUE)]
    if not label_names:
        return [RawSeries({}, timestamps, values, "line 2")], []
    series: list[RawSeries] = []
    groups = table.groupby(label_names, sort=False, dropna=False).indices
    for key, rows in groups.items():
        cells = key if isinstance(key, tuple) else (key,)
        labels = {name: cell for name, cell in zip(label_names, cells, strict=True) if cell != ""}
        series.append(RawSeries(labels, timestamps[rows], values[rows], f"line {int(lines[rows[0]])}"))
    return series, []


def _header(text: str, where: str) -> list[str]:
    """Column names from the first row; ``timestamp`` and ``value`` required, no duplicates."""
    location = f"{where}:1"
    try:
        names = [name.strip() for name in next(csv.reader(io.StringIO(text)))]
    except csv.Error as exc:
        raise DataError(f"malformed CSV header: {exc}", location=location) from None
    for position, name in enumerate(names, start=1):
        if not name:
            raise DataError(f"column {position} of the header has no name", location=location)
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise DataError(f"column {name!r} appears twice in the header", location=location)
        seen.add(name)
    missing = [name for name in (TIMESTAMP, VALUE) if name not in seen]
    if missing:
        raise DataError(
            f"header lacks column(s) {', '.join(repr(m) for m in missing)}; found {', '.join(repr(n) for n in names)}",
            location=location,
        )
    return names


def _timestamps(cells: pd.Series, lines: np.ndarray, where: str) -> np.ndarray:
    """Unix seconds (float) from RFC 3339 cells or numeric cells, vectorised per column."""
    cells = cells.str.strip()
    seconds = np.array(pd.to_numeric(cells, errors="coerce"), dtype=np.float64)  # a writable copy
    textual = np.isnan(seconds)
    if textual.any():
        text = cells[textual]
        has_offset = text.str.contains(_HAS_OFFSET, regex=True).to_numpy()
        parsed = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
        ok = parsed.notna().to_numpy()
        naive = ok & ~has_offset
        if naive.any():
            row = np.flatnonzero(textual)[np.argmax(naive)]
            raise DataError(
                f"timestamp {cells.iloc[row]!r} has no UTC offset; add 'Z' (UTC) or an offset such as '+02:00'",
                location=f"{where}:{lines[row]}",
            )
        seconds[textual] = (parsed - _EPOCH).dt.total_seconds().to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(seconds)
    if bad.any():
        row = int(np.argmax(bad))
        raise DataError(
            f"timestamp {cells.iloc[row]!r}: expected RFC 3339 (2025-06-01T00:00:00Z) or unix seconds",
            location=f"{where}:{lines[row]}",
        )
    return seconds


def _values(cells: pd.Series, lines: np.ndarray, where: str) -> np.ndarray:
    """Floats; empty cells and NaN are gaps, +Inf/-Inf kept for the grid to note."""
    cells = cells.str.strip()
    numbers = pd.to_numeric(cells, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    missing = np.isnan(numbers)
    if missing.any():
        bad = missing & ~cells.str.lower().isin(_GAP_WORDS).to_numpy()
        if bad.any():
            row = int(np.argmax(bad))
            raise DataError(
                f"value {cells.iloc[row]!r}: expected a number, NaN, +Inf or -Inf (or an empty cell for a gap)",
                location=f"{where}:{lines[row]}",
            )
    return numbers
