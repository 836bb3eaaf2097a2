"""Only a model's "cannot judge this series" becomes a note; any other exception is a bug and surfaces."""

import numpy as np
import pandas as pd
import pytest

from detector.configuration.schema import Config
from detector.core.series import SeriesSet
from detector.engine.evaluate import evaluate
from models.pipeline import SeriesAnalyzer

AT = pd.Timestamp("2025-03-01T00:00:00Z")


def hourly(values: np.ndarray) -> pd.Series:
    index = pd.date_range(end=AT - pd.Timedelta(hours=1), periods=values.size, freq="h", tz="UTC")
    return pd.Series(values, index=index)


def config() -> Config:
    return Config.model_validate({"signals": [{"name": "p99", "ceiling": 30, "censor_at": 25}]})


def test_a_series_pinned_at_its_censoring_bucket_is_not_analysed_with_the_models_reason():
    pinned = hourly(np.full(40 * 24, 25.0))  # every sample at the top bucket: no uncensored day
    evaluation = evaluate(config(), SeriesSet(series={"p99": {(): pinned}}), AT)
    (status,) = evaluation.coverage[0].series
    assert status.state == "not_analysed"
    assert "uncensored" in status.reason
    assert any("not analysed" in str(note) for note in evaluation.notes)


def test_any_other_error_inside_a_model_is_not_swallowed_as_a_note(monkeypatch):
    def broken(self, *args, **kwargs):
        raise ValueError("operands could not be broadcast together")  # a numpy bug, not a data property

    monkeypatch.setattr(SeriesAnalyzer, "fit", broken)
    rng = np.random.default_rng(7)
    with pytest.raises(ValueError, match="broadcast"):
        evaluate(config(), SeriesSet(series={"p99": {(): hourly(rng.normal(5, 1, 40 * 24))}}), AT)
