"""Session fixtures: real Prometheus servers on 127.0.0.1 with months of backfilled history.

- ``synthetic_history`` / ``prometheus``: seeded hourly series (``sb_*`` metrics, 200 days) ending
  at the current hour; started once per session, stopped at the end.
- ``replica_history`` / ``replica_prometheus``: the bundled incident replicas shifted to end at the
  current hour (all 272 days); each replica signal is the metric of the same name
  (``replica_backfill.backfilled_signals`` turns the replica config into live queries).

Everything under ``tests/integration`` is marked ``integration``. Tests skip with the reason when
the Prometheus binaries are not installed (CI installs them).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.integration import promstack
from tests.integration.promstack import BackfillSeries, Server
from tests.integration.replica_backfill import ReplicaHistory, load_shifted_replicas, replicas_available

SEED = 20260221
HOUR = 3600.0
HISTORY_DAYS = 200
RECENT_GAP_FREE_DAYS = 30
"""No missing hours in the newest 30 days, so incremental pulls have an exact expected size."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def prometheus_tools() -> None:
    missing = promstack.missing_binaries(promstack.PROMETHEUS, promstack.PROMTOOL)
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)} (apt-get install prometheus)")


@dataclass(frozen=True)
class SyntheticHistory:
    """What was backfilled: ``series`` (exact timestamps/values) and ``last``, the newest sample time."""

    series: list[BackfillSeries]
    last: pd.Timestamp

    def of(self, metric: str) -> list[BackfillSeries]:
        return [s for s in self.series if s.name == metric]


@pytest.fixture(scope="session")
def session_now() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC")


@pytest.fixture(scope="session")
def synthetic_history(session_now: pd.Timestamp) -> SyntheticHistory:
    """Three metric families with gaps, a NaN, a late-starting series and awkward float values."""
    rng = np.random.default_rng(SEED)
    last = session_now.floor("h")
    ts = last.timestamp() - HOUR * np.arange(HISTORY_DAYS * 24)[::-1]
    old = ts < last.timestamp() - RECENT_GAP_FREE_DAYS * 86400
    series: list[BackfillSeries] = []
    for i in range(4):
        used = 1e9 * (1 + i) + np.cumsum(rng.gamma(2.0, 1e5, ts.size))
        keep = ~(old & (rng.random(ts.size) < 0.01))  # about 1 % of the old hours missing
        if i == 0:
            used[np.flatnonzero(old)[100]] = np.nan
        series.append(BackfillSeries("sb_disk_used_bytes", {"namespace": "db", "pvc": f"data-{i}"}, ts[keep], used[keep]))
    late = ts >= ts[0] + 120 * 86400  # appears 120 days in
    for queue in ("billing", "email", "search"):
        depth = rng.normal(50, 10, ts.size) + np.linspace(0, 40, ts.size)
        series.append(
            BackfillSeries(
                "sb_queue_depth", {"queue": queue}, ts if queue != "search" else ts[late], depth if queue != "search" else depth[late]
            )
        )
    series.append(BackfillSeries("sb_ratio", {}, ts, rng.uniform(0, 1, ts.size) / 3.0))
    return SyntheticHistory(series, last)


@pytest.fixture(scope="session")
def prometheus_tsdb(prometheus_tools: None, synthetic_history: SyntheticHistory, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A TSDB directory holding ``synthetic_history`` (copy it before starting a second server on it)."""
    return promstack.backfill(synthetic_history.series, tmp_path_factory.mktemp("synthetic") / "tsdb")


@pytest.fixture(scope="session")
def prometheus(prometheus_tsdb: Path) -> Iterator[Server]:
    server = promstack.start_prometheus(prometheus_tsdb)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def replica_history(session_now: pd.Timestamp) -> ReplicaHistory:
    if not replicas_available():
        pytest.skip("data/replicas or config/replicas.yaml missing (run data/generate.py)")
    return load_shifted_replicas(session_now)


@pytest.fixture(scope="session")
def replica_prometheus(
    prometheus_tools: None, replica_history: ReplicaHistory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    tsdb = promstack.backfill(replica_history.series, tmp_path_factory.mktemp("replicas") / "tsdb")
    server = promstack.start_prometheus(tsdb)
    try:
        yield server
    finally:
        server.stop()
