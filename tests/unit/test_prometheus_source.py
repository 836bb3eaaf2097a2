"""PrometheusSource without a network: a fake transport that answers query_range like Prometheus."""

from __future__ import annotations

import json
import random
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pandas as pd
import requests
from requests.adapters import HTTPAdapter

from detector.configuration.live_settings import PrometheusSettings
from detector.configuration.schema import Signal
from detector.errors import ConfigError, SourceError
from detector.sources.prometheus import PrometheusSource
from detector.store.history import HistoryStore

SEED = 3
END = pd.Timestamp("2026-02-28T00:30:00Z")


class FakePrometheus(HTTPAdapter):
    """Every metric is ``value = timestamp / 1e6 + series``; ``broken`` metrics answer HTTP 400, ``nan_only`` ones NaN everywhere.

    ``calls``: the range queries; ``counts``: the instant ``count(...)`` queries a long pull asks first
    (``prometheus.max_samples_per_query``), answered with ``series_per_metric``."""

    def __init__(self, series_per_metric: int = 2, broken: frozenset[str] = frozenset(), nan_only: frozenset[str] = frozenset()) -> None:
        super().__init__()
        self.series_per_metric = series_per_metric
        self.broken = broken
        self.nan_only = nan_only
        self.calls: list[dict[str, str]] = []
        self.counts: list[dict[str, str]] = []

    def send(self, request, **kwargs):
        params = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}
        counting = urlsplit(request.url).path.endswith("/api/v1/query")
        (self.counts if counting else self.calls).append(params)
        response = requests.Response()
        response.request, response.url = request, request.url
        if params["query"].removeprefix("count(").removesuffix(")") in self.broken:
            response.status_code = 400
            response._content = json.dumps({"status": "error", "errorType": "bad_data", "error": "parse error"}).encode()
            return response
        if counting:
            response.status_code = 200
            vector = [{"metric": {}, "value": [float(params["time"]), str(self.series_per_metric)]}]
            response._content = json.dumps({"status": "success", "data": {"resultType": "vector", "result": vector}}).encode()
            return response
        start, end, step = float(params["start"]), float(params["end"]), float(params["step"])
        stamps = np.arange(start, end + step / 2, step)
        result = [
            {
                "metric": {"__name__": params["query"], "i": str(i)},
                "values": [[t, "NaN" if params["query"] in self.nan_only else str(t / 1e6 + i)] for t in stamps.tolist()],
            }
            for i in range(self.series_per_metric)
        ]
        response.status_code = 200
        response._content = json.dumps({"status": "success", "data": {"resultType": "matrix", "result": result}}).encode()
        return response


def make_source(fake: FakePrometheus, store: HistoryStore | None = None, now: pd.Timestamp = END, **settings) -> PrometheusSource:
    session = requests.Session()
    session.mount("http://", fake)
    config = PrometheusSettings(url="http://prometheus.test:9090", **settings)
    return PrometheusSource(config, store=store, session=session, clock=lambda: now, sleep=lambda s: None, rng=random.Random(SEED))


def test_no_request_asks_for_a_sample_at_or_after_the_end():
    fake = FakePrometheus()
    result = make_source(fake, max_points_per_query=100).fetch([Signal(name="a", query="m", lookback="30d")], end=END)
    assert max(float(call["end"]) for call in fake.calls) < END.timestamp()
    series = result.of("a")[(("i", "0"),)]
    assert series.index[-1] == pd.Timestamp("2026-02-28T00:00:00Z")
    assert len(series) == 30 * 24 and series.iloc[-1] == series.index[-1].timestamp() / 1e6


def test_a_failing_signal_stops_its_own_remaining_chunks_but_not_the_others():
    fake = FakePrometheus(broken=frozenset({"bad"}))
    signals = [Signal(name="bad_one", query="bad", lookback="180d"), Signal(name="good", query="m", lookback="180d")]
    result = make_source(fake, max_points_per_query=100, concurrency=1).fetch(signals, end=END)
    assert set(result.errors) == {"bad_one"} and isinstance(result.errors["bad_one"], SourceError)
    assert len(result.of("good")) == 2
    assert sum(call["query"] == "bad" for call in fake.calls) == 1
    assert sum(call["query"] == "m" for call in fake.calls) == 44  # 4320 points / 100 per request


def test_signals_without_a_query_or_with_a_lookback_under_one_step_are_config_errors():
    short = Signal(name="short", query="m").model_copy(update={"lookback": 60})  # the config refuses it; the source still guards
    signals = [Signal(name="no_query"), short, Signal(name="ok", query="m")]
    result = make_source(FakePrometheus()).fetch(signals, end=END)
    assert isinstance(result.errors["no_query"], ConfigError) and "query" in str(result.errors["no_query"])
    assert isinstance(result.errors["short"], ConfigError) and "shorter than one step" in str(result.errors["short"])
    assert set(result.series) == {"ok"}


def test_the_name_label_is_not_part_of_series_identities():
    result = make_source(FakePrometheus()).fetch([Signal(name="a", query="m", lookback="2d", model={"min_history": "1d"})], end=END)
    assert sorted(result.of("a")) == [(("i", "0"),), (("i", "1"),)]


def test_with_a_store_a_run_an_hour_later_asks_only_for_the_newest_hours(tmp_path):
    store = HistoryStore(tmp_path / "h.db", retention=400 * 86400)
    signal = Signal(name="a", query="m", lookback="180d")
    make_source(FakePrometheus(), store=store).fetch([signal], end=END)
    later = FakePrometheus()
    result = make_source(later, store=store, now=END + pd.Timedelta(hours=1)).fetch([signal], end=END + pd.Timedelta(hours=1))
    (call,) = later.calls
    assert (float(call["end"]) - float(call["start"])) / 3600 + 1 == 4  # 1 new hour + the last stored + 2 overlap
    fresh = make_source(FakePrometheus()).fetch([signal], end=END + pd.Timedelta(hours=1))
    for labels, series in fresh.of("a").items():
        pd.testing.assert_series_equal(result.of("a")[labels], series, check_freq=False)


def test_a_retention_shorter_than_the_lookback_is_reported(tmp_path):
    store = HistoryStore(tmp_path / "h.db", retention=30 * 86400)
    result = make_source(FakePrometheus(), store=store).fetch([Signal(name="a", query="m", lookback="90d")], end=END)
    assert any("store.retention" in str(note) and note.signal == "a" for note in result.notes)


def test_by_default_a_first_pull_counts_its_series_before_asking_for_the_lookback():
    fake = FakePrometheus()
    make_source(fake).fetch([Signal(name="a", query="m", lookback="180d")], end=END)
    assert [call["query"] for call in fake.counts] == ["count(m)"]
    assert len(fake.calls) == 1  # 2 series x 4320 points: far under the default cap, one answer


def test_a_pull_with_the_sample_cap_lifted_never_counts_series():
    fake = FakePrometheus()
    make_source(fake, max_samples_per_query=None).fetch([Signal(name="a", query="m", lookback="180d")], end=END)
    assert fake.counts == [] and len(fake.calls) == 1


def test_when_every_series_of_a_signal_is_skipped_the_fetch_keeps_a_note_for_each(tmp_path):
    fake = FakePrometheus(series_per_metric=3, nan_only=frozenset({"dead"}))
    for store in (None, HistoryStore(tmp_path / "h.db", retention=400 * 86400)):
        result = make_source(fake, store=store).fetch([Signal(name="a", query="dead", lookback="30d")], end=END)
        assert isinstance(result.errors["a"], SourceError) and "all 3 were skipped" in str(result.errors["a"])
        skipped = [note for note in result.notes if note.signal == "a" and note.message.startswith("series skipped")]
        assert [next(i for i in "012" if f'i="{i}"' in note.location) for note in skipped] == ["0", "1", "2"]
