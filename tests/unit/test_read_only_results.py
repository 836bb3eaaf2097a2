"""Results are read-only all the way down: the daily levels' arrays, an evaluation's mappings, a
series set once a source returned it, and the config's label maps all refuse a write."""

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from detector.configuration.schema import Config, load_config
from detector.core.evaluation import Evaluation
from detector.core.frozen import FrozenMap
from detector.core.series import DataNote, SeriesKey, SeriesSet
from detector.engine.evaluate import evaluate
from detector.errors import SourceError
from detector.sources.export import ExportSource
from models.daily import to_daily

ROOT = Path(__file__).resolve().parents[2]
AT = pd.Timestamp("2026-02-20T10:00:00Z")


def test_the_daily_levels_arrays_cannot_be_written():
    daily = to_daily(np.arange(96.0), start=0.0, step=3600.0, peaks_of=np.arange(96.0))
    for array in (daily.values, daily.censored, daily.coverage, daily.peaks):
        with pytest.raises(ValueError):
            array[0] = 1


def test_daily_levels_from_daily_data_are_read_only_copies_of_the_input():
    values = np.arange(30.0)
    daily = to_daily(values, start=0.0, step=86400.0)
    values[0] = 99.0
    assert daily.values[0] == 0.0 and not daily.values.flags.writeable


def test_an_evaluations_mappings_refuse_a_write_and_ignore_later_changes_to_what_was_given():
    errors = {"disk": SourceError("down")}
    evaluation = Evaluation(at=AT, findings=(), errors=errors)
    errors["other"] = SourceError("later")
    assert list(evaluation.errors) == ["disk"]
    for mapping in (evaluation.errors, evaluation.analyses, evaluation.verdicts):
        with pytest.raises(TypeError):
            mapping["x"] = None  # type: ignore[index]


def test_an_evaluation_of_real_series_holds_read_only_analyses_and_verdicts():
    index = pd.date_range("2026-01-01", periods=40 * 24, freq="h", tz="UTC")
    rng = np.random.default_rng(3)
    data = SeriesSet(series={"disk": {(): pd.Series(50 + rng.normal(0, 1, len(index)), index=index)}})
    evaluation = evaluate(Config.model_validate({"signals": [{"name": "disk", "ceiling": 100.0}]}), data, index[-1])
    key = SeriesKey("disk")
    assert key in evaluation.analyses and key in evaluation.verdicts
    with pytest.raises(TypeError):
        del evaluation.analyses[key]  # type: ignore[attr-defined]


def test_a_series_set_refuses_writes_to_its_series_errors_and_notes():
    data = SeriesSet(series={"disk": {(): pd.Series([1.0])}}, errors={"x": SourceError("down")}, notes=[DataNote("disk", "n")])
    with pytest.raises(TypeError):
        data.series["new"] = {}  # type: ignore[index]
    with pytest.raises(TypeError):
        data.series["disk"][(("pvc", "b"),)] = pd.Series([2.0])  # type: ignore[index]
    with pytest.raises(TypeError):
        data.errors["y"] = SourceError("down")  # type: ignore[index]
    with pytest.raises(AttributeError):
        data.notes.append(DataNote("disk", "m"))  # type: ignore[attr-defined]


def test_the_series_set_a_source_returns_is_read_only_and_survives_a_trip_to_a_worker():
    config = load_config(str(ROOT / "config" / "replicas.yaml"))
    data = ExportSource(ROOT / "data" / "replicas").fetch(config.signals[:2])
    name = config.signals[0].name
    with pytest.raises(TypeError):
        data.series[name] = {}  # type: ignore[index]
    copied = pickle.loads(pickle.dumps(data))
    assert copied.series.keys() == data.series.keys() and isinstance(copied.series[name], FrozenMap)


def test_the_configs_label_and_annotation_maps_refuse_a_write():
    config = Config.model_validate(
        {
            "signals": [{"name": "disk", "labels": {"team": "a"}, "annotations": {"runbook_url": "u"}}],
            "labels": {"source": "slowburn"},
            "annotations": {"summary": "s"},
            "pushgateway": {"url": "http://127.0.0.1:9091", "grouping_key": {"instance": "i"}, "headers": {"X-A": "b"}},
        }
    )
    signal = config.signals[0]
    assert config.pushgateway is not None
    for mapping in (
        signal.labels,
        signal.annotations,
        config.labels,
        config.annotations,
        config.pushgateway.grouping_key,
        config.pushgateway.headers,
    ):
        with pytest.raises(TypeError):
            mapping["x"] = "y"  # type: ignore[index]
    assert config.model_dump()["labels"] == {"source": "slowburn"}


def test_a_frozen_map_equals_the_dict_it_copies_and_pickles_back_to_an_equal_map():
    frozen = FrozenMap({"a": 1})
    assert frozen == {"a": 1} and frozen == {"a": 1} and frozen != {"a": 2}
    assert pickle.loads(pickle.dumps(frozen)) == frozen
