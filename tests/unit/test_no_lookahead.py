"""An evaluation at T must not change when everything after T is deleted (no look-ahead)."""

from pathlib import Path

import pandas as pd
import pytest

from detector.configuration.schema import load_config
from detector.engine.evaluate import evaluate
from detector.sources.export import ExportSource

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def replicas():
    config = load_config(ROOT / "config" / "replicas.yaml")
    return config, ExportSource(ROOT / "data" / "replicas").fetch(config.signals)


@pytest.mark.parametrize("at", ["2025-09-01T00:00:00Z", "2025-12-20T13:00:00Z", "2026-02-19T00:00:00Z"])
def test_findings_at_t_are_the_same_with_or_without_the_future(replicas, at):
    config, data = replicas
    at = pd.Timestamp(at)
    with_future = evaluate(config, data, at)
    without = evaluate(config, data.before(at), at)
    assert [f.to_dict() for f in with_future.findings] == [f.to_dict() for f in without.findings]
    assert with_future.series_evaluated == without.series_evaluated > 10


def test_the_export_reader_cuts_strictly_before_the_end(replicas):
    config, _ = replicas
    end = pd.Timestamp("2025-10-01T00:00:00Z")
    data = ExportSource(ROOT / "data" / "replicas").fetch(config.signals, end=end)
    assert all(s.index.max() < end for by in data.series.values() for s in by.values() if len(s))
