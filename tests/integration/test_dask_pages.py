"""With ``executor.dask.shares_store`` the Dask workers read the history store's pages themselves
(here the same machine, so the same filesystem): the findings are those of a cluster sent the
samples, the chunks sent carry no samples, and a worker that cannot open the store loses its
chunks, reported as not evaluated with the path it could not read, never as silently nothing."""

from __future__ import annotations

import pickle
import shutil
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pandas as pd
import pytest

from detector.configuration.executor_settings import DaskSettings
from detector.core.evaluation import Evaluation
from detector.engine.evaluate import evaluate
from detector.engine.executor import ChunkExecutor
from detector.errors import WorkLost
from detector.sources.prometheus_chunks import TimeRange
from detector.sources.store_pages import StoreBatches, StorePage
from detector.store.history import HistoryStore, StoreKey
from tests.integration.dask_cluster import DaskCluster, dask_missing, start_dask_cluster
from tests.unit.test_streaming_evaluation import DAYS, END, _config, _fleet

pytestmark = pytest.mark.skipif(dask_missing(), reason="needs the dask command and the distributed package (pip install .[dask])")

PAGE = 3
"""Series per page: several pages per signal, so several chunks travel."""


@pytest.fixture(scope="module")
def store_path(tmp_path_factory) -> Path:
    config, fleet = _config(), _fleet()
    store = HistoryStore(tmp_path_factory.mktemp("store") / "history.db", retention=400 * 86400)
    span = TimeRange(int((END - pd.Timedelta(days=DAYS)).timestamp() * 1000), int(END.timestamp() * 1000) - 1)
    with store.open() as session:
        for signal in config.signals:
            session.write(StoreKey(signal.name, signal.query or "", 3_600_000), fleet[signal.name], span)
    return store.path


@pytest.fixture(scope="module")
def cluster() -> Iterator[DaskCluster]:
    with start_dask_cluster(workers=2) as started:
        yield started


class Sent:
    """Passes the chunks on to ``inner`` and keeps the kind and pickled size of each one it sends."""

    def __init__(self, inner: ChunkExecutor) -> None:
        self.inner = inner
        self.workers = inner.workers
        self.streams_chunks = True
        self.shares_files = getattr(inner, "shares_files", False)
        self.chunks: list[tuple[str, int]] = []

    def map_chunks(self, fn: Callable, chunks: Iterable) -> list:
        return self.inner.map_chunks(fn, self._kept(chunks))

    def _kept(self, chunks: Iterable) -> Iterator:
        for chunk in chunks:
            self.chunks.append((type(chunk).__name__, len(pickle.dumps(chunk))))
            yield chunk


def _on_dask(cluster: DaskCluster, path: Path, shares_store: bool) -> tuple[Evaluation, Sent]:
    from detector.engine.dask_executor import dask_executor

    settings = DaskSettings(address=cluster.address, connect_timeout=20, shares_store=shares_store)
    with dask_executor(settings, "--executor") as executor:
        assert executor.shares_files is shares_store
        sent = Sent(executor)
        return evaluate(_config(), StoreBatches(path, _config().signals), END, batch_size=PAGE, executor=sent), sent


def test_workers_that_share_the_store_give_the_findings_of_workers_sent_the_samples_and_are_sent_no_samples(
    cluster, store_path, monkeypatch
):
    with_samples, sent_samples = _on_dask(cluster, store_path, shares_store=False)
    read_here: list[str] = []
    real = StorePage.windows

    def watched(self, notes, skipped):
        read_here.append(self.signal.name)
        return real(self, notes, skipped)

    monkeypatch.setattr(StorePage, "windows", watched)  # in this process only: the workers are processes of their own
    with_pages, sent_pages = _on_dask(cluster, store_path, shares_store=True)
    assert "usage" not in read_here  # the judged signal's pages were read by the workers
    assert with_pages.findings == with_samples.findings and with_pages.findings
    assert repr(sorted(with_pages.verdicts.items())) == repr(sorted(with_samples.verdicts.items()))
    assert with_pages.coverage == with_samples.coverage
    assert with_pages.notes == with_samples.notes
    assert with_pages.series_evaluated == with_samples.series_evaluated
    assert not with_pages.errors and not with_samples.errors
    assert {kind for kind, _ in sent_samples.chunks} == {"AnalysisChunk"}
    assert {kind for kind, _ in sent_pages.chunks} == {"PageChunk"}
    biggest_page = max(size for _, size in sent_pages.chunks)
    assert biggest_page * 10 < sum(size for _, size in sent_samples.chunks) / len(sent_samples.chunks)  # ids, not 60 days of samples


def test_a_worker_that_cannot_open_the_store_loses_its_pages_as_not_evaluated_naming_the_path(cluster, store_path, tmp_path, monkeypatch):
    shutil.copy(store_path, tmp_path / "history.db")
    monkeypatch.chdir(tmp_path)  # a relative path: here it is the store, for the workers (another directory) nothing
    on_dask, _ = _on_dask(cluster, Path("history.db"), shares_store=True)
    usage = next(status for status in on_dask.coverage if status.signal == "usage")
    assert usage.series and all(series.state == "not_analysed" for series in usage.series)
    assert {series.reason for series in usage.series} == {
        "not evaluated: a Dask worker could not read the history store: history.db: history store not found "
        "(executor.dask.shares_store: every worker must see the store at this path)"
    }
    assert isinstance(on_dask.errors["usage"], WorkLost)
    assert on_dask.findings == ()
