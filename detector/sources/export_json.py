"""Read a saved Prometheus ``/api/v1/query_range`` response (``NAME.json``) into raw series.

The file is the response body as curl saves it::

    {"status": "success",
     "data": {"resultType": "matrix",
              "result": [{"metric": {"pod": "a"}, "values": [[1717200000, "0.25"], ...]}]}}

Values are strings (``"0.25"``, ``"NaN"``, ``"+Inf"``, ``"-Inf"``) or numbers. Every problem is a
``DataError`` located at ``path`` (plus ``:line:col`` for JSON syntax) naming the JSON path.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from detector.core.series import DataNote
from detector.errors import DataError
from detector.sources.base import RawSeries

NUMBER_TYPES = frozenset({str, int, float})


def parse_json_export(text: str, where: str, signal: str) -> tuple[list[RawSeries], list[DataNote]]:
    """Parse the text of one JSON export read from ``where`` (a path, for locations and notes).

    Raises ``DataError`` for anything that is not a usable range-query matrix.
    """
    if not text.strip():
        raise DataError("empty file; expected a Prometheus query_range response", location=where)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"invalid JSON: {exc.msg}", location=f"{where}:{exc.lineno}:{exc.colno}") from None
    except RecursionError:  # the C decoder stops at Python's recursion limit (about 1000 levels)
        raise DataError("JSON nested too deeply to read; expected a Prometheus query_range response (5 levels)", location=where) from None
    result = _result_list(document, where)
    series: list[RawSeries] = []
    notes: list[DataNote] = []
    for index, entry in enumerate(result):
        one = entry_series(entry, index, where, signal, notes)
        if one is not None:
            series.append(one)
    return series, notes


def entry_series(entry: Any, index: int, where: str, signal: str, notes: list[DataNote]) -> RawSeries | None:
    """The series of ``data.result[index]`` (None when it holds only native histograms), its notes
    appended to ``notes``; ``DataError`` when it is not a series."""
    at = f"data.result[{index}]"
    if not isinstance(entry, dict):
        raise DataError(f"{at}: expected an object with 'metric' and 'values', got {_kind(entry)}", location=where)
    labels = _labels(entry.get("metric", {}), at, where)
    if "values" not in entry:
        if "histograms" in entry:
            notes.append(DataNote(signal, f"{at}: native histogram samples are not supported; series {labels} skipped", where))
            return None
        raise DataError(f"{at}: expected a 'values' list", location=where)
    timestamps, values = _samples(entry["values"], f"{at}.values", where)
    if "histograms" in entry:
        notes.append(DataNote(signal, f"{at}: native histogram samples are not supported; kept only the float samples", where))
    return RawSeries(labels, timestamps, values, at)


def _result_list(document: Any, where: str) -> list[Any]:
    if not isinstance(document, dict):
        raise DataError(f"expected a Prometheus API response object, got {_kind(document)}", location=where)
    status = document.get("status", "success")
    if status == "error":
        kind = document.get("errorType", "error")
        raise DataError(f"Prometheus returned an error ({kind}): {document.get('error', 'no message')}", location=where)
    if status != "success":
        raise DataError(f"status: expected 'success' or 'error', got {status!r}", location=where)
    data = document.get("data")
    if not isinstance(data, dict):
        raise DataError(f"data: expected an object with 'resultType' and 'result', got {_kind(data)}", location=where)
    result_type = data.get("resultType")
    if result_type != "matrix":
        raise DataError(
            f"data.resultType: expected 'matrix' (a /api/v1/query_range response), got {result_type!r}"
            + ("; an instant query (/api/v1/query) has one sample per series and cannot show a trend" if result_type == "vector" else ""),
            location=where,
        )
    result = data.get("result")
    if not isinstance(result, list):
        raise DataError(f"data.result: expected a list, got {_kind(result)}", location=where)
    return result


def _labels(metric: Any, at: str, where: str) -> dict[str, str]:
    if not isinstance(metric, dict):
        raise DataError(f"{at}.metric: expected an object of label names to values, got {_kind(metric)}", location=where)
    for name, value in metric.items():
        if not isinstance(value, str):
            raise DataError(f"{at}.metric.{name}: expected a string label value, got {_kind(value)}", location=where)
    return {name: value for name, value in metric.items() if value != ""}


def _samples(values: Any, at: str, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised conversion of ``[[ts, "v"], ...]``; locate the first bad pair only on failure."""
    if not isinstance(values, list):
        raise DataError(f'{at}: expected a list of [timestamp, "value"] pairs, got {_kind(values)}', location=where)
    if not values:
        return np.empty(0), np.empty(0)
    try:
        table = np.array(values, dtype=object)
    except ValueError:  # ragged nesting that numpy refuses even as objects
        table = np.empty(0, dtype=object)
    if table.ndim != 2 or table.shape[1] != 2:
        bad = next((i for i, pair in enumerate(values) if not _is_pair(pair)), 0)
        raise DataError(f'{at}[{bad}]: expected [timestamp, "value"], got {_short(values[bad])}', location=where)
    timestamps = _floats(table[:, 0], 0, "a unix timestamp in seconds", at, where)
    numbers = _floats(table[:, 1], 1, 'a value such as "0.25", "NaN" or "+Inf"', at, where)
    return timestamps, numbers


def _floats(column: np.ndarray, slot: int, expected: str, at: str, where: str) -> np.ndarray:
    if set(map(type, column)) <= NUMBER_TYPES:  # type() per item runs in C; rejects bool/null/list
        try:
            return column.astype(np.float64)
        except (ValueError, OverflowError):
            pass  # a string that is not a number: find it below
    i, item = next((i, x) for i, x in enumerate(column) if not _is_number(x))
    raise DataError(f"{at}[{i}][{slot}]: expected {expected}, got {_short(item)}", location=where)


def _is_pair(pair: Any) -> bool:
    return isinstance(pair, list) and len(pair) == 2 and not any(isinstance(x, (list, dict)) for x in pair)


def _is_number(item: Any) -> bool:
    if type(item) not in NUMBER_TYPES:
        return False
    try:
        float(item)
    except (ValueError, OverflowError):
        return False
    return True


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."
