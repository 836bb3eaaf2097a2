"""ExportSource: a directory of NAME.json / NAME.csv exports read into a SeriesSet, one signal at a time."""

import json

import numpy as np
import pandas as pd
import pytest

from detector.configuration.schema import Signal
from detector.errors import DataError
from detector.sources.export import ExportSource

SEED = 20250601
T0 = 1_748_736_000  # 2025-06-01T00:00:00Z
HOUR = 3600


def iso(seconds):
    return pd.Timestamp(seconds, unit="s", tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def matrix(*entries):
    """A query_range response body; each entry is (labels, [(unix_seconds, value), ...])."""
    result = [
        {"metric": dict(labels), "values": [[t, v if isinstance(v, str) else repr(v)] for t, v in samples]} for labels, samples in entries
    ]
    return json.dumps({"status": "success", "data": {"resultType": "matrix", "result": result}})


def hourly(values, start=T0):
    return [(start + i * HOUR, v) for i, v in enumerate(values)]


GOOD = matrix(({"__name__": "good", "job": "j"}, hourly([1.0, 2.0, 3.0])))


def load(tmp_path, files, names=None, end=None):
    """Write the files (name -> text or bytes) plus good.json, then fetch the named signals."""
    for name, content in {"good.json": GOOD, **files}.items():
        target = tmp_path / name
        target.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    if names is None:
        names = ["good"] + sorted({name.rsplit(".", 1)[0] for name in files} - {"good"})
    return ExportSource(tmp_path).fetch([Signal(name=n) for n in names], end=end)


def assert_good_signal_still_loads(data):
    (series,) = data.of("good").values()
    assert list(series) == [1.0, 2.0, 3.0]


# ---- happy paths ---------------------------------------------------------------------------


def test_json_csv_with_rfc3339_and_csv_with_unix_seconds_give_the_same_series(tmp_path):
    rng = np.random.default_rng(SEED)
    values = rng.normal(100, 5, size=48).round(3)
    values[[5, 6]] = np.nan
    stamps = T0 + HOUR * np.arange(48)
    labels = {"namespace": "redis", "persistentvolumeclaim": "data-redis-0"}
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir(), (tmp_path / "c").mkdir()
    (tmp_path / "a" / "used.json").write_text(matrix((labels, list(zip(stamps.tolist(), values.tolist(), strict=True)))))
    rows = ["persistentvolumeclaim,timestamp,namespace,value"]  # label columns in any order
    rows += [f"data-redis-0,{iso(t)},redis,{'' if np.isnan(v) else v}" for t, v in zip(stamps, values, strict=True)]
    (tmp_path / "b" / "used.csv").write_text("\n".join(rows) + "\n")
    rows = ["timestamp,value,namespace,persistentvolumeclaim"]
    rows += [f"{t}.0,{'NaN' if np.isnan(v) else v},redis,data-redis-0" for t, v in zip(stamps, values, strict=True)]
    (tmp_path / "c" / "used.csv").write_text("\n".join(rows) + "\n")

    loaded = [ExportSource(tmp_path / d).fetch([Signal(name="used")]) for d in "abc"]
    key = (("namespace", "redis"), ("persistentvolumeclaim", "data-redis-0"))
    for data in loaded:
        assert data.errors == {}
        assert list(data.of("used")) == [key]
    np.testing.assert_array_equal(loaded[0].of("used")[key].to_numpy(), values)
    pd.testing.assert_series_equal(loaded[0].of("used")[key], loaded[1].of("used")[key])
    pd.testing.assert_series_equal(loaded[0].of("used")[key], loaded[2].of("used")[key])


def test_csv_timestamps_with_offsets_are_the_same_instants_as_utc(tmp_path):
    (tmp_path / "z").mkdir(), (tmp_path / "o").mkdir()
    (tmp_path / "z" / "x.csv").write_text("timestamp,value\n2025-06-01T00:00:00Z,1\n2025-06-01T01:00:00Z,2\n")
    (tmp_path / "o" / "x.csv").write_text("timestamp,value\n2025-06-01T02:00:00+02:00,1\n2025-05-31T20:00:00-05:00,2\n")
    utc, offset = (ExportSource(tmp_path / d).fetch([Signal(name="x")]).of("x")[()] for d in "zo")
    pd.testing.assert_series_equal(utc, offset)


def test_json_values_may_be_numbers_or_prometheus_strings(tmp_path):
    body = {
        "status": "success",
        "data": {
            "resultType": "matrix",
            "result": [{"metric": {"pod": "a"}, "values": [[T0, 1], [T0 + HOUR, "2.5"], [T0 + 2 * HOUR, "NaN"], [T0 + 3 * HOUR, 4.0]]}],
        },
    }
    data = load(tmp_path, {"x.json": json.dumps(body)})
    assert list(data.of("x")[(("pod", "a"),)].fillna(-1)) == [1.0, 2.5, -1.0, 4.0]


def test_the_step_of_the_signal_sets_the_grid(tmp_path):
    (tmp_path / "x.json").write_text(matrix(({}, hourly(list(range(48))))))
    data = ExportSource(tmp_path).fetch([Signal(name="x", step="1d")])
    assert list(data.of("x")[()]) == [11.5, 35.5]


def test_empty_label_values_mean_the_label_is_absent_as_in_prometheus(tmp_path):
    csv = "timestamp,value,pod,container\n" + "".join(f"{T0 + i * HOUR},{i},a,\n" for i in range(3))
    body = matrix(({"pod": "a", "container": ""}, hourly([1.0, 2.0])))
    data = load(tmp_path, {"x.csv": csv, "y.json": body})
    assert list(data.of("x")) == list(data.of("y")) == [(("pod", "a"),)]


def test_a_csv_with_a_byte_order_mark_and_blank_lines_loads(tmp_path):
    csv = "\ufefftimestamp,value\n" + f"{T0},1\n\n{T0 + HOUR},2\n"
    data = load(tmp_path, {"x.csv": csv})
    assert list(data.of("x")[()]) == [1.0, 2.0]


def test_25_files_of_6500_hourly_points_load_whole(tmp_path):
    # how long this takes (target well under a second): python3 -m benchmarks.timings (export)
    rng = np.random.default_rng(SEED)
    names = [f"signal_{i:02d}" for i in range(25)]
    for name in names:
        samples = hourly(rng.normal(size=6500).round(6).tolist())
        (tmp_path / f"{name}.json").write_text(matrix(({"__name__": name, "pod": "a"}, samples)))
    data = ExportSource(tmp_path).fetch([Signal(name=n) for n in names])
    assert data.errors == {}
    assert all(len(data.of(n)[(("pod", "a"),)]) == 6500 for n in names)


# ---- labels ----------------------------------------------------------------------------------


def test_a_shared_metric_name_is_dropped_so_used_bytes_and_capacity_match_by_labels(tmp_path):
    pvc = {"namespace": "redis", "persistentvolumeclaim": "data-0"}
    (tmp_path / "used.json").write_text(matrix(({"__name__": "kubelet_volume_stats_used_bytes", **pvc}, hourly([1.0, 2.0]))))
    (tmp_path / "capacity.json").write_text(matrix(({"__name__": "kubelet_volume_stats_capacity_bytes", **pvc}, hourly([9.0, 9.0]))))
    data = ExportSource(tmp_path).fetch([Signal(name="used"), Signal(name="capacity")])
    assert set(data.of("used")) == set(data.of("capacity")) == {tuple(sorted(pvc.items()))}


def test_the_metric_name_is_kept_with_a_note_when_dropping_it_would_make_series_collide(tmp_path):
    body = matrix(({"__name__": "a_total", "pod": "p"}, hourly([1.0, 2.0])), ({"__name__": "b_total", "pod": "p"}, hourly([3.0, 4.0])))
    data = load(tmp_path, {"x.json": body})
    assert set(data.of("x")) == {(("__name__", "a_total"), ("pod", "p")), (("__name__", "b_total"), ("pod", "p"))}
    assert any("__name__" in n.message and "collide" in n.message for n in data.notes)


def test_entries_with_identical_labels_are_merged_and_their_chunk_edges_collapse(tmp_path):
    body = matrix(({"pod": "a"}, hourly([1.0, 2.0, 3.0])), ({"pod": "a"}, hourly([3.0, 4.0, 5.0], start=T0 + 2 * HOUR)))
    data = load(tmp_path, {"x.json": body})
    assert list(data.of("x")[(("pod", "a"),)]) == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert [n for n in data.notes if n.signal == "x"] == []


def test_conflicting_duplicates_keep_the_last_value_and_leave_a_note_naming_file_and_series(tmp_path):
    body = matrix(({"pod": "a"}, hourly([1.0, 2.0, 3.0])), ({"pod": "a"}, hourly([7.0, 4.0], start=T0 + 2 * HOUR)))
    data = load(tmp_path, {"x.json": body})
    assert list(data.of("x")[(("pod", "a"),)]) == [1.0, 2.0, 7.0, 4.0]
    (note,) = [n for n in data.notes if n.signal == "x"]
    assert "x.json" in note.location and 'pod="a"' in note.location and "1 timestamp(s)" in note.message


def test_series_that_come_and_go_mid_way_keep_their_own_time_spans(tmp_path):
    body = matrix(({"pod": "old"}, hourly([1.0] * 10)), ({"pod": "new"}, hourly([2.0] * 10, start=T0 + 10 * HOUR)))
    data = load(tmp_path, {"x.json": body})
    old, new = data.of("x")[(("pod", "old"),)], data.of("x")[(("pod", "new"),)]
    assert old.index[-1] < new.index[0]
    assert len(old) == len(new) == 10


def test_an_infinite_value_is_a_gap_with_a_note_naming_the_file(tmp_path):
    data = load(tmp_path, {"x.json": matrix(({"pod": "a"}, hourly([1.0, "+Inf", 3.0])))})
    assert np.isnan(data.of("x")[(("pod", "a"),)].iloc[1])
    assert any("x.json" in n.location and "infinite" in n.message for n in data.notes)


# ---- series that cannot be used ------------------------------------------------------------


def test_an_all_nan_series_is_skipped_with_a_note_while_its_siblings_load(tmp_path):
    body = matrix(({"pod": "dead"}, hourly(["NaN", "NaN"])), ({"pod": "one"}, hourly([5.0])), ({"pod": "ok"}, hourly([1.0, 2.0])))
    data = load(tmp_path, {"x.json": body})
    assert list(data.of("x")) == [(("pod", "ok"),)]
    skipped = {n.location: n.message for n in data.notes if "skipped" in n.message}
    assert any('pod="dead"' in where and "x.json" in where and "NaN" in why for where, why in skipped.items())
    assert any('pod="one"' in where and "single point" in why for where, why in skipped.items())


def test_a_signal_whose_series_are_all_unusable_gets_a_data_error(tmp_path):
    data = load(tmp_path, {"x.json": matrix(({"pod": "a"}, hourly(["NaN", "NaN", "NaN"])))})
    assert "x" not in data.series
    assert isinstance(data.errors["x"], DataError)
    assert data.errors["x"].location.endswith("x.json")
    assert_good_signal_still_loads(data)


def test_when_every_series_is_skipped_each_keeps_its_note_beside_the_error(tmp_path):
    body = matrix(({"pod": "a"}, hourly(["NaN", "NaN"])), ({"pod": "b"}, hourly([5.0])), ({"pod": "c"}, hourly(["NaN"])))
    data = load(tmp_path, {"x.json": body})
    assert "all 3 were skipped" in str(data.errors["x"]) and "see the notes" in str(data.errors["x"])
    skipped = [n for n in data.notes if n.signal == "x" and n.message.startswith("series skipped")]
    assert [next(pod for pod in "abc" if f'pod="{pod}"' in n.location) for n in skipped] == ["a", "b", "c"]


def test_when_the_one_series_is_skipped_its_note_is_kept_too(tmp_path):
    data = load(tmp_path, {"x.json": matrix(({"pod": "a"}, hourly(["NaN", "NaN", "NaN"])))})
    (note,) = [n for n in data.notes if n.signal == "x" and n.message.startswith("series skipped")]
    assert 'pod="a"' in note.location and note.message.removeprefix("series skipped: ") in str(data.errors["x"])


def test_an_empty_result_is_an_error_for_that_signal(tmp_path):
    data = load(tmp_path, {"x.json": matrix()})
    assert "matched nothing" in str(data.errors["x"])
    assert_good_signal_still_loads(data)


# ---- bad input: one DataError per signal, naming file and position ---------------------------

BAD_INPUTS = {
    "an empty json file": ("x.json", "", "x.json", "empty file"),
    "an empty csv file": ("x.csv", "  \n", "x.csv", "empty file"),
    "invalid json": (
        "x.json",
        '{"status": "success",\n "data": {\n   "resultType": "matrix" "result": []}}',
        "x.json:3:27",
        "invalid JSON",
    ),
    "a pair with three items": (
        "x.json",
        json.dumps(
            {
                "status": "success",
                "data": {
                    "resultType": "matrix",
                    "result": [
                        {"metric": {}, "values": [[T0, "1"]]},
                        {"metric": {}, "values": [[T0 + i * HOUR, "1"] for i in range(17)] + [[T0, "1", "2"]]},
                    ],
                },
            }
        ),
        "x.json",
        'data.result[1].values[17]: expected [timestamp, "value"]',
    ),
    "a value that is not a number": (
        "x.json",
        matrix(({}, hourly([1.0, 2.0, "lots"]))),
        "x.json",
        "data.result[0].values[2][1]: expected a value",
    ),
    "a null timestamp": (
        "x.json",
        json.dumps({"status": "success", "data": {"resultType": "matrix", "result": [{"metric": {}, "values": [[T0, "1"], [None, "2"]]}]}}),
        "x.json",
        "data.result[0].values[1][0]: expected a unix timestamp",
    ),
    "a label value that is not a string": (
        "x.json",
        json.dumps({"status": "success", "data": {"resultType": "matrix", "result": [{"metric": {"pod": 3}, "values": []}]}}),
        "x.json",
        "data.result[0].metric.pod: expected a string",
    ),
    "a Prometheus error response": (
        "x.json",
        json.dumps({"status": "error", "errorType": "bad_data", "error": "exceeded maximum resolution"}),
        "x.json",
        "(bad_data): exceeded maximum resolution",
    ),
    "an instant-query vector": (
        "x.json",
        json.dumps({"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [T0, "1"]}]}}),
        "x.json",
        "data.resultType: expected 'matrix'",
    ),
    "a missing data object": ("x.json", json.dumps({"status": "success"}), "x.json", "data: expected an object"),
    "a csv without a value column": ("x.csv", "timestamp,val\n1,2\n", "x.csv:1", "lacks column(s) 'value'"),
    "a csv with a duplicate column": ("x.csv", "timestamp,value,pod,pod\n1,2,a,b\n", "x.csv:1", "appears twice"),
    "a csv with a bad timestamp": ("x.csv", f"timestamp,value\n{T0},1\n{T0 + HOUR},2\nyesterday,3\n", "x.csv:4", "'yesterday'"),
    "a csv timestamp without an offset": (
        "x.csv",
        "timestamp,value\n2025-06-01T00:00:00Z,1\n2025-06-01T01:00:00,2\n",
        "x.csv:3",
        "no UTC offset",
    ),
    "a csv with a bad value after a blank line": ("x.csv", f"timestamp,value\n{T0},1\n\n{T0 + HOUR},1.2.3\n", "x.csv:4", "'1.2.3'"),
    "a csv row with too many fields": ("x.csv", f"timestamp,value\n{T0},1\n{T0 + HOUR},2,3\n", "x.csv:3", "malformed CSV"),
    "millisecond timestamps": ("x.csv", f"timestamp,value\n{T0 * 1000},1\n{(T0 + HOUR) * 1000},2\n", "x.csv", "milliseconds"),
    "bytes that are not utf-8": ("x.csv", b"timestamp,value\n1748736000,1\n1748739600,\xff2\n", "x.csv:3:12", "not UTF-8"),
}


@pytest.mark.parametrize("filename, content, where, message", BAD_INPUTS.values(), ids=list(BAD_INPUTS))
def test_a_bad_file_is_a_data_error_naming_file_and_position_while_other_signals_load(tmp_path, filename, content, where, message):
    data = load(tmp_path, {filename: content})
    error = data.errors["x"]
    assert isinstance(error, DataError)
    assert error.location.endswith(where), error.location
    assert message in str(error)
    assert "x" not in data.series
    assert_good_signal_still_loads(data)


def test_a_configured_signal_without_a_file_gets_an_error_naming_the_directory(tmp_path):
    data = load(tmp_path, {}, names=["good", "missing"])
    assert str(data.errors["missing"]).endswith(f"no missing.json or missing.csv in {tmp_path}")
    assert_good_signal_still_loads(data)


def test_a_signal_with_both_a_json_and_a_csv_file_gets_an_error(tmp_path):
    data = load(tmp_path, {"x.json": matrix(({}, hourly([1.0, 2.0]))), "x.csv": f"timestamp,value\n{T0},1\n{T0 + HOUR},2\n"})
    assert "both x.csv and x.json" in str(data.errors["x"])
    assert_good_signal_still_loads(data)


def test_a_file_matching_no_signal_is_a_note_not_an_error(tmp_path):
    data = load(tmp_path, {"stray.json": "not even json", "README.md": "notes"}, names=["good"])
    assert data.errors == {}
    messages = {n.location.rsplit("/", 1)[-1]: n.message for n in data.notes}
    assert messages["stray.json"] == "ignored: no signal named 'stray' in the config"
    assert "not a .json or .csv" in messages["README.md"]
    assert_good_signal_still_loads(data)


def test_a_missing_data_directory_raises(tmp_path):
    with pytest.raises(DataError, match="data directory not found"):
        ExportSource(tmp_path / "nope").fetch([Signal(name="x")])


# ---- no look-ahead ---------------------------------------------------------------------------


def test_end_excludes_the_sample_at_end_and_keeps_the_one_just_before(tmp_path):
    (tmp_path / "x.json").write_text(matrix(({}, hourly([1.0, 2.0, 3.0, 4.0]))))
    data = ExportSource(tmp_path).fetch([Signal(name="x")], end=pd.Timestamp(T0 + 2 * HOUR, unit="s", tz="UTC"))
    assert list(data.of("x")[()]) == [1.0, 2.0]
    just_after = ExportSource(tmp_path).fetch([Signal(name="x")], end=pd.Timestamp(T0 + 2 * HOUR + 1, unit="s", tz="UTC"))
    assert list(just_after.of("x")[()]) == [1.0, 2.0, 3.0]


def test_a_series_born_after_end_is_simply_absent_and_a_signal_with_nothing_before_end_fails(tmp_path):
    body = matrix(({"pod": "old"}, hourly([1.0, 2.0])), ({"pod": "new"}, hourly([5.0, 6.0], start=T0 + 10 * HOUR)))
    (tmp_path / "x.json").write_text(body)
    data = ExportSource(tmp_path).fetch([Signal(name="x")], end=pd.Timestamp(T0 + 5 * HOUR, unit="s", tz="UTC"))
    assert list(data.of("x")) == [(("pod", "old"),)]
    assert data.notes == ()
    early = ExportSource(tmp_path).fetch([Signal(name="x")], end=pd.Timestamp(T0, unit="s", tz="UTC"))
    assert "no samples before" in str(early.errors["x"])
