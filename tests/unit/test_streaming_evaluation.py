"""Streaming evaluation: series read in batches (from memory, export files or the history store)
give the same evaluation as the whole set in memory: nothing lost, nothing duplicated."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from detector.configuration.schema import Config
from detector.core.evaluation import Evaluation
from detector.core.series import SeriesSet, SeriesSetDraft
from detector.engine.child_processes import map_bounded
from detector.engine.evaluate import evaluate
from detector.sources.base import RawSeries, assemble_signal
from detector.sources.export import ExportSource
from detector.sources.export_batches import ExportBatches
from detector.sources.prometheus_chunks import TimeRange
from detector.sources.store_pages import StoreBatches
from detector.store.history import HistoryStore, StoreKey

END = pd.Timestamp("2026-03-01T00:00:00Z")
DAYS = 100
HOUR = 3600.0
LIMITS = {"a": 100.0, "b": 200.0, "c": 400.0, "d": 800.0, "e": 50.0, "f": 1600.0, "g": 100.0}


def _fleet(seed: int = 11) -> dict[str, list[RawSeries]]:
    """usage: filling, quiet, young, stale and outside-the-lookback series; limit: a ceiling per pod
    (changed once, so only its latest value is right)."""
    rng = np.random.default_rng(seed)
    ts = (END - pd.Timedelta(days=DAYS)).timestamp() + HOUR * np.arange(DAYS * 24)
    n = ts.size
    usage = {
        "a": 20 + np.linspace(0, 70, n) + rng.normal(0, 1, n),  # fills towards its 100 limit
        "b": 50 + rng.normal(0, 2, n),  # quiet
        "c": np.where(np.arange(n) > n - 24 * 40, 300 + 0.1 * np.arange(n) % 5, 100) + rng.normal(0, 1, n),  # stepped up
        "d": 10 + np.linspace(0, 30, n) + rng.normal(0, 1, n),  # slow growth, far from its limit
        "e": np.where(np.arange(n) > n - 24 * 3, 20 + rng.normal(0, 1, n), np.nan),  # three days old: too young
        "f": np.where(np.arange(n) < n - 24 * 3, 500 + rng.normal(0, 5, n), np.nan),  # stopped three days ago: stale
        "g": np.where(np.arange(n) < 24 * 20, 30 + rng.normal(0, 1, n), np.nan),  # only before the 60-day lookback
    }
    usage_raw = [RawSeries({"pod": pod}, ts[np.isfinite(v)], v[np.isfinite(v)]) for pod, v in usage.items()]
    limit_raw = [RawSeries({"pod": pod}, ts, np.where(np.arange(n) < n // 2, value / 2, value)) for pod, value in LIMITS.items()]
    return {"usage": usage_raw, "limit": limit_raw}


def _config() -> Config:
    return Config.model_validate(
        {
            "signals": [
                {"name": "usage", "query": "usage_bytes", "lookback": "60d", "ceiling": {"signal": "limit"}},
                {"name": "limit", "query": "limit_bytes", "lookback": "60d"},
            ]
        }
    )


def _in_memory(raw: dict[str, list[RawSeries]], *, min_samples: int = 2) -> SeriesSet:
    data = SeriesSetDraft()  # a SeriesSet is read-only: fill a draft, then freeze it
    for name, series in raw.items():
        data.series[name], notes = assemble_signal(name, series, HOUR, origin=name, end=END, min_samples=min_samples)
        data.notes.extend(notes)
    return data.frozen()


def _same(streamed: Evaluation, whole: Evaluation, *, notes: bool = True) -> None:
    assert streamed.findings == whole.findings
    assert repr(sorted(streamed.verdicts.items())) == repr(sorted(whole.verdicts.items()))
    assert streamed.coverage == whole.coverage
    assert streamed.series_evaluated == whole.series_evaluated
    assert sorted(streamed.errors) == sorted(whole.errors)
    if notes:
        assert streamed.notes == whole.notes


def _write_export(directory: Path, raw: dict[str, list[RawSeries]]) -> None:
    for name, series in raw.items():
        result = [
            {"metric": dict(s.labels), "values": [[float(t), repr(float(v))] for t, v in zip(s.timestamps, s.values, strict=False)]}
            for s in series
        ]
        (directory / f"{name}.json").write_text(json.dumps({"status": "success", "data": {"resultType": "matrix", "result": result}}))


@pytest.fixture(scope="module")
def whole() -> Evaluation:
    return evaluate(_config(), _in_memory(_fleet()), END)


def test_the_fleet_has_series_in_every_state_so_the_comparisons_cover_them(whole):
    usage = next(s for s in whole.coverage if s.signal == "usage")
    assert {"evaluated", "too_young", "stale", "outside_lookback"} <= set(usage.series_counts)
    assert any(f.key.label_dict == {"pod": "a"} and f.ceiling == LIMITS["a"] for f in whole.findings)


@pytest.mark.parametrize("batch_size", [1, 6, 7, 8])  # one series a batch; one short of, exactly and one past the 7 series
def test_batches_of_any_size_give_the_evaluation_of_the_whole_set(whole, batch_size):
    _same(evaluate(_config(), _in_memory(_fleet()), END, batch_size=batch_size), whole)


def test_a_ceiling_from_another_signal_is_the_latest_value_with_the_same_labels_across_batches():
    evaluation = evaluate(_config(), _in_memory(_fleet()), END, batch_size=1)
    ceilings = {key.label_dict["pod"]: a.ceiling for key, a in evaluation.analyses.items() if key.signal == "usage"}
    assert ceilings == {pod: LIMITS[pod] for pod in ceilings}
    assert set(ceilings) == {"a", "b", "c", "d"}


def test_export_files_read_one_at_a_time_give_the_evaluation_of_the_whole_directory(tmp_path, whole):
    _write_export(tmp_path, _fleet())
    whole_directory = evaluate(_config(), ExportSource(tmp_path).fetch(_config().signals), END)
    streamed = evaluate(_config(), ExportBatches(ExportSource(tmp_path), _config().signals), END, batch_size=3)
    _same(streamed, whole_directory)
    assert streamed.findings == whole.findings


def test_export_batches_know_the_extent_of_the_data_like_the_whole_set(tmp_path):
    _write_export(tmp_path, _fleet())
    data = ExportSource(tmp_path).fetch(_config().signals)
    assert ExportBatches(ExportSource(tmp_path), _config().signals).extent() == (data.start, data.end)


def test_a_missing_export_file_is_its_signals_error_and_holds_nothing_else(tmp_path):
    fleet = _fleet()
    _write_export(tmp_path, {"usage": fleet["usage"]})
    streamed = evaluate(_config(), ExportBatches(ExportSource(tmp_path), _config().signals), END)
    whole_directory = evaluate(_config(), ExportSource(tmp_path).fetch(_config().signals), END)
    _same(streamed, whole_directory)
    assert "limit" in streamed.errors


@pytest.mark.parametrize("page", [1, 7, 8])
def test_the_history_store_read_in_pages_gives_the_evaluation_of_its_whole_read(tmp_path, page):
    config, fleet = _config(), _fleet()
    store = HistoryStore(tmp_path / "history.db", retention=400 * 86400)
    span = TimeRange(int((END - pd.Timedelta(days=DAYS)).timestamp() * 1000), int(END.timestamp() * 1000) - 1)
    with store.open() as session:
        for signal in config.signals:
            session.write(StoreKey(signal.name, signal.query or "", 3_600_000), fleet[signal.name], span)
        earliest = TimeRange(int((END - pd.Timedelta(days=60)).timestamp() * 1000), span.end_ms)
        read = {signal.name: session.read(StoreKey(signal.name, signal.query or "", 3_600_000), earliest) for signal in config.signals}
    whole_read = evaluate(config, _in_memory(read, min_samples=1), END)
    streamed = evaluate(config, StoreBatches(store.path, config.signals), END, batch_size=page)
    _same(streamed, whole_read, notes=False)
    assert sorted(k.label_dict["pod"] for k in streamed.analyses if k.signal == "usage") == ["a", "b", "c", "d"]


def test_a_bounded_map_takes_the_next_item_only_when_all_but_ahead_of_the_earlier_ones_are_done_and_keeps_their_order():
    done: list[int] = []
    behind: list[int] = []

    def items():
        for i in range(20):
            behind.append(i - len(done))  # items taken before this one and not finished yet
            yield i

    def square(i: int) -> int:
        time.sleep(0.005)  # slow enough that an eager map would take every item at once
        done.append(i)
        return i * i

    with ThreadPoolExecutor(2) as pool:
        assert map_bounded(pool, square, items(), ahead=3) == [i * i for i in range(20)]
    assert max(behind) == 3


@pytest.mark.parametrize("manifests", [None, "manifests"])
def test_the_replicas_read_one_file_at_a_time_with_limit_ceilings_give_the_evaluation_of_the_whole_directory(manifests):
    from detector.configuration.schema import load_config
    from detector.limits.load import load_limits

    root = Path(__file__).resolve().parents[2]
    config = load_config(root / "config" / "replicas.yaml")
    directory = root / "data" / "replicas"
    limits = load_limits(config, str(directory / manifests) if manifests else None).ceilings
    data = ExportSource(directory).fetch(config.signals)
    at = data.end + pd.Timedelta(hours=1)
    assert any(signal.ceiling_limit is not None for signal in config.signals)
    _same(
        evaluate(config, ExportBatches(ExportSource(directory), config.signals), at, limits=limits, batch_size=2),
        evaluate(config, data, at, limits=limits),
    )
