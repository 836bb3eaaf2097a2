"""The result of one evaluation at time T: findings, per-series analyses, errors and notes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from detector.core.coverage import SignalStatus
from detector.core.findings import Finding, Severity, at_least
from detector.core.frozen import read_only
from detector.core.series import DataNote, SeriesKey

if TYPE_CHECKING:
    from detector.policy.gates import Verdict
    from models.analysis import SeriesAnalysis


@dataclass(frozen=True)
class Evaluation:
    """Read-only outcome of ``evaluate``. ``errors`` maps signal name -> the error that stopped it.

    The mappings given are copied into read-only mappings (``detector.core.frozen``: writing into them raises).
    """

    at: pd.Timestamp
    findings: tuple[Finding, ...]
    analyses: Mapping[SeriesKey, SeriesAnalysis] = field(default_factory=dict)
    errors: Mapping[str, Exception] = field(default_factory=dict)
    notes: tuple[DataNote, ...] = ()
    series_evaluated: int = 0
    verdicts: Mapping[SeriesKey, Verdict] = field(default_factory=dict)
    coverage: tuple[SignalStatus, ...] = ()  # a state for every configured signal and series

    def __post_init__(self) -> None:
        object.__setattr__(self, "findings", tuple(self.findings))
        object.__setattr__(self, "analyses", read_only(self.analyses))
        object.__setattr__(self, "errors", read_only(self.errors))
        object.__setattr__(self, "notes", tuple(self.notes))
        object.__setattr__(self, "verdicts", read_only(self.verdicts))
        object.__setattr__(self, "coverage", tuple(self.coverage))

    def at_least(self, severity: Severity | str) -> list[Finding]:
        return at_least(self.findings, severity)

    @property
    def failed_signals(self) -> list[str]:
        return sorted(self.errors)
