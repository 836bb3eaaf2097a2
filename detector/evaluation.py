"""The result of one evaluation at time T: findings, per-series analyses, errors and notes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from detector.coverage import SignalStatus
from detector.findings import Finding, at_least
from detector.series import DataNote, SeriesKey


@dataclass(frozen=True)
class Evaluation:
    """Read-only outcome of ``evaluate``. ``errors`` maps signal name -> the error that stopped it."""

    at: pd.Timestamp
    findings: tuple[Finding, ...]
    analyses: dict[SeriesKey, Any] = field(default_factory=dict)   # SeriesKey -> models.pipeline.SeriesAnalysis
    errors: dict[str, Exception] = field(default_factory=dict)
    notes: tuple[DataNote, ...] = ()
    series_evaluated: int = 0
    verdicts: dict[SeriesKey, Any] = field(default_factory=dict)     # SeriesKey -> detector.policy.gates.Verdict
    coverage: tuple[SignalStatus, ...] = ()                          # a state for every configured signal and series

    def at_least(self, severity: str) -> list[Finding]:
        return at_least(self.findings, severity)

    @property
    def failed_signals(self) -> list[str]:
        return sorted(self.errors)
