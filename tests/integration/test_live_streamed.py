"""A live run with a history store evaluates the store page by page (``pull_into_store`` then
``StoreBatches``) and says exactly what the in-memory path (``fetch``) says for the same data:
findings, coverage, errors and notes, and the same table; a failed, an absent optional and a
too-young signal keep their states. Against the real Prometheus of the session fixtures."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from detector.configuration.schema import Config, load_config
from detector.core.environment import Environment
from detector.limits.load import KnownLimits
from detector.limits.model import Limit, LimitSet
from detector.service.live import RunOutcome, build_source, run_once
from detector.service.self_metrics import SelfMetrics
from detector.sinks.render import evaluation_to_json
from detector.sinks.stdout import StdoutSink
from detector.sources.prometheus import PrometheusSource
from tests.integration.promstack import missing_binaries

pytestmark = [pytest.mark.integration, pytest.mark.skipif(bool(missing_binaries()), reason="Prometheus tools are not installed")]


def young_query(metric: str, last_grid_point: pd.Timestamp) -> str:
    """``metric`` only after the last grid point: the range answer is empty, the instant query at the end is not."""
    return f"last_over_time({metric}[2h]) and on() (vector(time()) > {int(last_grid_point.timestamp())})"


def streamed_config(path: Path, url: str, store: Path, last: pd.Timestamp) -> Config:
    path.write_text(
        yaml.safe_dump(
            {
                "prometheus": {"url": url},
                "store": {"path": str(store)},
                "signals": [
                    {"name": "disk", "query": "sb_disk_used_bytes", "lookback": "180d", "ceiling": {"signal": "disk_capacity"}},
                    {"name": "disk_capacity", "query": "sb_disk_used_bytes * 1.02", "lookback": "180d"},
                    {
                        "name": "disk_pvc",
                        "query": "sb_disk_used_bytes",
                        "lookback": "180d",
                        "ceiling": {"limit": "pvc_capacity", "match": "pvc", "default": 9e9},
                    },
                    {"name": "queues", "query": "sb_queue_depth", "lookback": "180d"},
                    {"name": "ratio", "query": "sb_ratio", "lookback": "180d"},
                    {"name": "broken", "query": "sb_queue_depth{", "lookback": "30d"},
                    {"name": "odd_quantile", "query": "quantile_over_time(1.5, sb_disk_used_bytes[1h])", "lookback": "30d"},
                    {"name": "never_seen", "query": "sb_no_such_metric", "lookback": "30d", "optional": True},
                    {"name": "brand_new", "query": young_query("sb_ratio", last), "lookback": "30d"},
                ],
            }
        )
    )
    return load_config(path)


def pvc_limits() -> KnownLimits:
    limit = Limit(
        kind="pvc_capacity", object="PersistentVolumeClaim db/data-1", target="data-1", value=4e9, source="manifests", namespace="db"
    )
    return KnownLimits(declared=LimitSet(limits=(limit,), objects=1, origin="manifests test"))


def live_run(config: Config, at: pd.Timestamp, *, stream: bool, source: PrometheusSource | None = None) -> tuple[RunOutcome, str]:
    """The outcome, and the table followed by the own metrics (without the run's duration and the counters' creation times)."""
    from prometheus_client import generate_latest

    table = io.StringIO()
    env = Environment(stdout=table, stderr=io.StringIO(), now=lambda: at, environ={})
    metrics = SelfMetrics()
    outcome = run_once(
        config,
        env,
        source=source or build_source(config, env),
        sinks=[StdoutSink(table, "info")],
        metrics=metrics,
        at=at,
        limits=pvc_limits(),
        stream=stream,
    )
    own = [line for line in generate_latest(metrics.registry).decode().splitlines() if "duration" not in line and "_created" not in line]
    return outcome, table.getvalue() + "\n".join(own)


@pytest.fixture(scope="module")
def both_paths(
    prometheus: Any, synthetic_history: Any, tmp_path_factory: pytest.TempPathFactory
) -> tuple[tuple[RunOutcome, str], tuple[RunOutcome, str]]:
    """The same run twice, each with a fresh store: in memory (``fetch``) and streamed."""
    at = synthetic_history.last + pd.Timedelta(hours=1)
    root = tmp_path_factory.mktemp("streamed")
    fetched = live_run(streamed_config(root / "a.yaml", prometheus.url, root / "a.db", synthetic_history.last), at, stream=False)
    streamed = live_run(streamed_config(root / "b.yaml", prometheus.url, root / "b.db", synthetic_history.last), at, stream=True)
    return fetched, streamed


def test_a_streamed_live_run_gives_the_json_of_the_in_memory_run(both_paths):
    (fetched, _), (streamed, _) = both_paths
    assert fetched.evaluation.series_evaluated > 10
    assert evaluation_to_json(streamed.evaluation) == evaluation_to_json(fetched.evaluation)


def test_a_streamed_live_run_prints_the_table_exposes_the_own_metrics_and_exits_as_the_in_memory_run(both_paths):
    (fetched, fetched_output), (streamed, streamed_output) = both_paths
    assert streamed_output == fetched_output
    assert "slowburn_risk_severity{" in streamed_output and "disk" in streamed_output
    assert streamed.status == fetched.status


def test_the_failed_the_absent_optional_and_the_too_young_signal_keep_their_states_streamed(both_paths):
    _, (streamed, _) = both_paths
    states = {status.signal: status.state for status in streamed.evaluation.coverage}
    assert states["broken"] == "failed"
    assert "never_seen" not in streamed.evaluation.errors and states["never_seen"] != "failed"
    assert states["brand_new"] not in ("failed", "evaluated") and "brand_new" not in streamed.evaluation.errors
    notes = [str(note) for note in streamed.evaluation.notes]
    assert any("optional signal never_seen is absent" in note for note in notes)
    assert any("too young" in note and "brand_new" in note for note in notes)


def test_ceilings_from_another_signal_and_from_kubernetes_limits_reach_the_streamed_evaluation(both_paths):
    _, (streamed, _) = both_paths
    notes = [str(note) for note in streamed.evaluation.notes]
    assert any("disk_pvc" in note and "data-0" in note for note in notes)  # no matching limit: the default, with a note
    ceilings = {key.labels: analysis for key, analysis in streamed.evaluation.analyses.items() if key.signal == "disk"}
    assert ceilings and all(analysis is not None for analysis in ceilings.values())


def test_a_streamed_live_run_never_reads_every_series_back_at_once(prometheus, synthetic_history, tmp_path):
    at = synthetic_history.last + pd.Timedelta(hours=1)
    config = streamed_config(tmp_path / "c.yaml", prometheus.url, tmp_path / "c.db", synthetic_history.last)
    source = build_source(config, Environment(environ={}))

    def no_fetch(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the streamed path fetched every series into memory")

    source.fetch = no_fetch  # type: ignore[method-assign]
    outcome, _ = live_run(config, at, stream=True, source=source)
    assert outcome.evaluation.series_evaluated > 10


def test_a_streamed_live_run_writes_the_risk_report_of_the_in_memory_run(both_paths, prometheus, synthetic_history, tmp_path):
    from detector.report.risk_file import write_and_confirm

    (fetched, _), (streamed, _) = both_paths
    config = streamed_config(tmp_path / "c.yaml", prometheus.url, tmp_path / "c.db", synthetic_history.last)
    pages = []
    for name, outcome in (("fetched", fetched), ("streamed", streamed)):
        target = tmp_path / f"{name}.html"
        write_and_confirm(str(target), outcome.evaluation, config, "slowburn.yaml", lambda at=outcome.evaluation.at: at, io.StringIO())
        pages.append(target.read_text())
    assert pages[0] == pages[1] and "disk" in pages[0]


def test_a_live_run_without_a_store_fetches_every_series_into_memory_as_before(prometheus, synthetic_history, tmp_path):
    at = synthetic_history.last + pd.Timedelta(hours=1)
    config = streamed_config(tmp_path / "c.yaml", prometheus.url, tmp_path / "c.db", synthetic_history.last).model_copy(
        update={"store": None}
    )
    source = build_source(config, Environment(environ={}))
    fetched: list[int] = []
    whole = source.fetch

    def counted(*args: Any, **kwargs: Any) -> Any:
        fetched.append(1)
        return whole(*args, **kwargs)

    source.fetch = counted  # type: ignore[method-assign]
    outcome, _ = live_run(config, at, stream=True, source=source)
    assert fetched == [1] and outcome.evaluation.series_evaluated > 10
    assert not (tmp_path / "c.db").exists()
