"""A query_range answer read series by series gives exactly what the whole-text export reader gives."""

from __future__ import annotations

import json

import numpy as np
import pytest

from detector.errors import DataError
from detector.sources.export_json import parse_json_export
from detector.sources.prometheus_body import parse_range_answer

SEED = 31


def answer(series: int = 4, points: int = 50, **extra: object) -> dict:
    rng = np.random.default_rng(SEED)
    result = []
    for i in range(series):
        values = [str(v) for v in rng.normal(0.5, 0.2, points).tolist()]
        values[3] = "NaN"
        result.append(
            {
                "metric": {"__name__": "m", "pod": f"p{i}", "empty": ""},
                "values": [[1_717_200_000 + 3600 * k, v] for k, v in enumerate(values)],
            }
        )
    return {"status": "success", "data": {"resultType": "matrix", "result": result}, **extra}


def same(text: str) -> None:
    fast, whole = parse_range_answer(text, "prom", "sig"), parse_json_export(text, "prom", "sig")
    assert fast[1] == whole[1]
    assert len(fast[0]) == len(whole[0])
    for a, b in zip(fast[0], whole[0], strict=False):
        assert a.labels == b.labels and a.where == b.where
        assert np.array_equal(a.timestamps, b.timestamps) and np.array_equal(a.values, b.values, equal_nan=True)


@pytest.mark.parametrize("separators", [(",", ":"), (", ", ": ")], ids=["as Prometheus writes it", "with spaces"])
def test_an_answer_read_series_by_series_equals_the_whole_text_reading(separators):
    same(json.dumps(answer(), separators=separators))


def test_an_empty_result_and_an_answer_with_warnings_read_the_same_both_ways():
    same(json.dumps({"status": "success", "data": {"resultType": "matrix", "result": []}}))
    same(json.dumps(answer(warnings=["query hit a limit"], infos=["x"])))


def test_a_native_histogram_entry_gives_the_same_note_both_ways():
    document = answer(series=2)
    document["data"]["result"][1]["histograms"] = [[1_717_200_000, {"count": "1"}]]
    same(json.dumps(document))


def test_more_after_the_result_or_a_repeated_key_is_read_whole_as_json_would():
    repeated = json.dumps(answer())[:-1] + ', "data": {"result": []}}'
    with pytest.raises(DataError, match="resultType: expected 'matrix'"):
        parse_range_answer(repeated, "prom", "sig")
    same(json.dumps({"status": "success", "data": {"resultType": "matrix", "result": answer()["data"]["result"], "stats": {}}}))


def test_a_bad_value_in_a_cut_off_answer_is_reported_as_the_cut_not_the_value():
    text = json.dumps(answer(), separators=(",", ":")).replace('"NaN"', '"oops"', 1)[:-500]
    with pytest.raises(DataError, match="invalid JSON"):
        parse_range_answer(text, "prom", "sig")


def test_a_bad_value_in_a_complete_answer_is_located_as_the_export_reader_locates_it():
    text = json.dumps(answer(), separators=(",", ":")).replace('"NaN"', '"oops"', 1)
    with pytest.raises(DataError, match=r"data\.result\[0\]\.values\[3\]\[1\]"):
        parse_range_answer(text, "prom", "sig")
