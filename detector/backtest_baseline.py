"""Run the predict_linear baseline over the same data and span as the replay, and score it."""

from __future__ import annotations

import pandas as pd

from detector.baseline import predict_linear_firing
from detector.config import Config
from detector.findings import Severity
from detector.incidents import Incident
from detector.scoring import SeriesScore, score_flags
from detector.series import SeriesKey, SeriesSet


def baseline_scores(config: Config, data: SeriesSet, times: list[pd.Timestamp], incidents: list[Incident]) -> list[SeriesScore]:
    """Scores of the rule for every series that has a ceiling (the rule needs one)."""
    first, last = times[0], times[-1]
    scores = []
    for signal in config.signals:
        if signal.ceiling is None or signal.severity.max_severity == Severity.INFO:
            continue
        for labels, series in data.of(signal.name).items():
            ceiling = _ceiling(config, data, signal.name, labels)
            if ceiling is None:
                continue
            firing = predict_linear_firing(series, ceiling, direction=signal.direction)
            span = firing.loc[(firing.index >= first) & (firing.index < last)]
            if len(span) < 2:
                continue
            scores.append(score_flags(SeriesKey(signal.name, labels), span, span, incidents))
    return scores


def _ceiling(config: Config, data: SeriesSet, name: str, labels: tuple) -> pd.Series | float | None:
    signal = config.signal(name)
    other = signal.ceiling_signal
    if other is None:
        return float(signal.ceiling)  # type: ignore[arg-type]  # apply_limits made every limit ceiling a signal one: a number here
    candidates = data.of(other)
    if labels in candidates:
        return candidates[labels]
    return next(iter(candidates.values())) if len(candidates) == 1 else None
