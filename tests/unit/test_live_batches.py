"""``PulledStoreBatches``: the store after a pull, read in pages, tells the evaluation what ``fetch``
would: each signal's pull notes (server warnings, holes) before its series' repairs, in the order of
the signals; a failed, an absent, a too-young and an all-skipped signal as ``fetch`` has them."""

from __future__ import annotations

from types import MappingProxyType

import numpy as np
import pandas as pd
import pytest

from detector.configuration.schema import Config
from detector.core.coverage import young_signal
from detector.core.series import DataNote, SeriesSet, SeriesSetDraft
from detector.engine.evaluate import evaluate
from detector.engine.executor import SerialExecutor
from detector.errors import NoSeries, SeriesSkipped, SourceError
from detector.sinks.render import evaluation_to_json
from detector.sources.base import RawSeries, assemble_signal
from detector.sources.live_batches import PulledStoreBatches
from detector.sources.prometheus_chunks import TimeRange
from detector.sources.prometheus_intake import StorePull
from detector.sources.store_pages import StoreBatches
from detector.store.history import HistoryStore, StoreKey

END = pd.Timestamp("2026-03-01T00:00:00Z")
HOUR = 3600.0
ORIGIN = "http://prom:9090 signal {}"
CONFIG = Config.model_validate(
    {
        "signals": [
            {"name": "usage", "query": "usage_bytes", "lookback": "60d"},
            {"name": "queue", "query": "queue_depth", "lookback": "60d"},
            {"name": "broken", "query": "broken{", "lookback": "60d"},
            {"name": "gone", "query": "gone", "lookback": "60d"},
            {"name": "new", "query": "new", "lookback": "60d"},
            {"name": "nan_only", "query": "nan_only", "lookback": "60d"},
        ]
    }
)


def _stored(tmp_path) -> HistoryStore:
    """usage and queue with gaps (their repairs are notes), nan_only with no finite value."""
    rng = np.random.default_rng(3)
    ts = (END - pd.Timedelta(days=70)).timestamp() + HOUR * np.arange(70 * 24)
    keep = rng.random(ts.size) > 0.02
    store = HistoryStore(tmp_path / "history.db", retention=400 * 86400)
    raw = {
        "usage": [RawSeries({"pod": p}, ts[keep], 10 + np.linspace(0, 50, ts.size)[keep] + rng.normal(0, 1, keep.sum())) for p in "ab"],
        "queue": [RawSeries({"queue": "q"}, ts[keep], 40 + rng.normal(0, 3, keep.sum()))],
        "nan_only": [RawSeries({"pod": "z"}, ts, np.full(ts.size, np.nan))],
    }
    span = TimeRange(int(ts[0] * 1000), int(END.timestamp() * 1000) - 1)
    with store.open() as session:
        for name, series in raw.items():
            session.write(StoreKey(name, CONFIG.signal(name).query or "", 3_600_000), series, span)
    return store


def _pull() -> StorePull:
    own = {
        name: (DataNote(name, f"server warning: {name} is slow", ORIGIN.format(name)),) for name in ("usage", "queue", "gone", "nan_only")
    }
    new = young_signal("new", 2, END + pd.Timedelta(days=21), HOUR, ORIGIN.format("new"))
    by_signal = {**own, "new": (new,)}
    errors = {
        "broken": SourceError("HTTP 400: bad_data", location=ORIGIN.format("broken")),
        "gone": NoSeries("no series (the query matched nothing)", location=ORIGIN.format("gone")),
    }
    planned = (DataNote("queue", "lookback longer than the server's retention"),)
    notes = (*planned, *(note for notes in by_signal.values() for note in notes))
    return StorePull(MappingProxyType(errors), notes, 0, 0, planned, MappingProxyType(by_signal))


def _fetched(store: HistoryStore, pull: StorePull) -> SeriesSet:
    """What ``PrometheusSource.fetch`` builds from the same store and pull (``_finish``, signal by signal)."""
    result = SeriesSetDraft(notes=list(pull.planned))
    window = TimeRange(int((END - pd.Timedelta(days=60)).timestamp() * 1000), int(END.timestamp() * 1000) - 1)
    with store.open() as session:
        for signal in CONFIG.signals:
            name = signal.name
            if name in pull.errors and name not in pull.by_signal:
                result.errors[name] = pull.errors[name]
                continue
            own = list(pull.by_signal.get(name, ()))
            if name in pull.errors or name == "new":
                result.errors.update({name: pull.errors[name]} if name in pull.errors else {})
                result.notes.extend(own)
                continue
            raw = session.read(StoreKey(name, signal.query or "", 3_600_000), window)
            try:
                series, notes = assemble_signal(name, raw, HOUR, origin=ORIGIN.format(name), end=END, min_samples=1)
            except SeriesSkipped as err:  # every series skipped: the notes name each
                result.errors[name] = SourceError(err.message, location=ORIGIN.format(name))
                result.notes.extend([*own, *err.notes])
                continue
            result.series[name] = series
            result.notes.extend([*own, *notes])
    return result.frozen()


def _paged(store: HistoryStore, pull: StorePull) -> PulledStoreBatches:
    origins = {signal.name: ORIGIN.format(signal.name) for signal in CONFIG.signals}
    return PulledStoreBatches(pull, StoreBatches(store.path, CONFIG.signals, origins=origins))


READERS = {"workers read the pages": SerialExecutor(), "the parent reads the pages": SerialExecutor(shares_files=False)}


@pytest.fixture(params=list(READERS))
def reader(request):
    return READERS[request.param]


def test_the_store_after_a_pull_read_in_pages_gives_the_json_of_the_whole_fetch(tmp_path, reader):
    store, pull = _stored(tmp_path), _pull()
    paged = evaluate(CONFIG, _paged(store, pull), END, batch_size=1, executor=reader)
    whole = evaluate(CONFIG, _fetched(store, pull), END)
    assert paged.series_evaluated == 3
    assert evaluation_to_json(paged) == evaluation_to_json(whole)


def test_each_signals_pull_notes_come_before_its_series_repairs_in_the_order_of_the_signals(tmp_path, reader):
    paged = evaluate(CONFIG, _paged(_stored(tmp_path), _pull()), END, batch_size=1, executor=reader)
    names = [note.signal for note in paged.notes[1:] if note.signal in ("usage", "queue")]
    messages = [note.message for note in paged.notes if note.signal == "usage"]
    assert names == sorted(names, key=["usage", "queue"].index) and "queue" in names  # every usage note before every queue note
    assert messages[0] == "server warning: usage is slow" and any("gap" in message for message in messages[1:])
    assert str(paged.notes[0]).endswith("lookback longer than the server's retention")


def test_a_failed_an_absent_a_young_and_an_all_skipped_signal_keep_their_states(tmp_path, reader):
    paged = evaluate(CONFIG, _paged(_stored(tmp_path), _pull()), END, executor=reader)
    states = {status.signal: status.state for status in paged.coverage}
    assert states["broken"] == "failed" and states["gone"] == "absent" and states["nan_only"] == "failed"
    assert states["new"] not in ("failed", "absent", "evaluated")
    assert "no usable series" in str(paged.errors["nan_only"])
    assert [str(note) for note in paged.notes if note.signal == "broken"] == []
