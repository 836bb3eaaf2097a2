"""Pool workers read the history store's pages themselves: the parent hands out pages (identities,
no samples) and merges what each worker read, gated and analysed. The evaluation is the one the
parent gets reading every page itself, at any page size, and a lost page is never silent."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import pandas as pd
import pytest

from detector.core.evaluation import Evaluation
from detector.engine.evaluate import evaluate
from detector.engine.executor import LostChunk, SerialExecutor, StandingPool
from detector.errors import WorkLost
from detector.sources.prometheus_chunks import TimeRange
from detector.sources.store_pages import StoreBatches, StorePage
from detector.store.history import HistoryStore, StoreKey
from tests.unit.test_streaming_evaluation import DAYS, END, _config, _fleet


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    config, fleet = _config(), _fleet()
    store = HistoryStore(tmp_path_factory.mktemp("store") / "history.db", retention=400 * 86400)
    span = TimeRange(int((END - pd.Timedelta(days=DAYS)).timestamp() * 1000), int(END.timestamp() * 1000) - 1)
    with store.open() as session:
        for signal in config.signals:
            session.write(StoreKey(signal.name, signal.query or "", 3_600_000), fleet[signal.name], span)
    return store.path


def _parent_reads(store_path, page: int = 64) -> Evaluation:
    return evaluate(
        _config(), StoreBatches(store_path, _config().signals), END, batch_size=page, executor=SerialExecutor(shares_files=False)
    )


def _same(a: Evaluation, b: Evaluation) -> None:
    assert a.findings == b.findings
    assert repr(sorted(a.verdicts.items())) == repr(sorted(b.verdicts.items()))
    assert a.coverage == b.coverage
    assert a.notes == b.notes
    assert sorted(a.errors) == sorted(b.errors)
    assert a.series_evaluated == b.series_evaluated


@pytest.mark.parametrize("page", [1, 3, 7, 64])
def test_pages_read_where_they_are_analysed_give_the_evaluation_the_parent_gets_reading_them(store_path, page):
    paged = evaluate(_config(), StoreBatches(store_path, _config().signals), END, batch_size=page)
    _same(paged, _parent_reads(store_path, page))
    assert {s.state for s in next(c for c in paged.coverage if c.signal == "usage").series} >= {"evaluated", "too_young"}


def test_a_worker_process_reads_the_pages_and_the_parent_reads_none_of_the_judged_signal(store_path, monkeypatch):
    read_here: list[str] = []
    real = StorePage.windows

    def watched(self, notes, skipped):
        read_here.append(self.signal.name)
        return real(self, notes, skipped)

    monkeypatch.setattr(StorePage, "windows", watched)  # in this process only: spawned workers import their own
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        pooled = evaluate(_config(), StoreBatches(store_path, _config().signals), END, batch_size=2, executor=StandingPool(pool, 2))
    assert "usage" not in read_here  # its pages were read by the workers
    assert read_here == ["limit"] * 4  # the ceiling signal's latest values, read once here (7 series, 2 per page)
    monkeypatch.setattr(StorePage, "windows", real)
    _same(pooled, _parent_reads(store_path, 2))


@dataclass(frozen=True)
class LosesChunks:
    """An executor whose worker dies on the chunks whose index is in ``lost`` (as a Dask worker may)."""

    lost: frozenset[int]
    workers: int = 1
    streams_chunks: bool = True
    shares_files: bool = True

    def map_chunks(self, fn: Callable, chunks: Iterable) -> list:
        return [LostChunk("worker lost") if i in self.lost else fn(chunk) for i, chunk in enumerate(chunks)]


def test_every_listed_series_of_a_lost_page_is_reported_not_evaluated_and_its_signal_fails(store_path):
    paged = evaluate(_config(), StoreBatches(store_path, _config().signals), END, batch_size=3, executor=LosesChunks(frozenset({1})))
    usage = next(c for c in paged.coverage if c.signal == "usage")
    lost = [s for s in usage.series if s.reason == "not evaluated: worker lost"]
    assert len(lost) == 3  # the second page of three series, whatever their gates would have said
    assert isinstance(paged.errors["usage"], WorkLost)
    assert "limit" not in paged.errors
    kept = _parent_reads(store_path, 3)
    assert paged.series_evaluated == kept.series_evaluated - sum(1 for s in lost if s.key in kept.analyses)
