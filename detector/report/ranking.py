"""Which series are at risk and in what order: the rows of the risk report, read from an Evaluation.

A series is *at risk* when it has a finding of warning or worse; its row shows its most urgent
finding. Rows are ranked by urgency: the soonest ETA first (a series already at its ceiling has
ETA = the evaluation time), then findings without an ETA; within the same ETA the higher severity,
then the larger share of the ceiling used. Every other analysed series is *quiet*.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from detector.core.evaluation import Evaluation
from detector.core.findings import DriverLink, Finding, Severity
from detector.core.series import SeriesKey

_NO_ETA = pd.Timestamp.max.tz_localize("UTC")


@dataclass(frozen=True)
class RiskRow:
    """One series at risk: its most urgent finding and the numbers the table shows (series' units)."""

    key: SeriesKey
    finding: Finding
    kinds: tuple[str, ...]  # every kind found on the series, most urgent first
    used_pct: float | None  # current / ceiling x 100 (None without a ceiling)
    current: float | None
    rate_per_day: float | None
    runbook_url: str | None
    analysis: Any | None  # models.analysis.SeriesAnalysis (None for configuration findings)

    @property
    def severity(self) -> str:
        return self.finding.severity


@dataclass(frozen=True)
class QuietRow:
    """An analysed series with nothing of warning or worse: its level and any informational findings."""

    key: SeriesKey
    current: float | None
    ceiling: float | None
    used_pct: float | None
    rate_per_day: float | None
    infos: tuple[Finding, ...]


def urgency(finding: Finding, used_pct: float | None) -> tuple[pd.Timestamp, int, float]:
    """Sort key, smallest most urgent: ETA (none last), then severity (high first), then % used."""
    eta = finding.eta if finding.eta is not None else _NO_ETA
    return eta, -finding.rank, -(used_pct if used_pct is not None else -1.0)


def used_percent(current: float | None, ceiling: float | None, direction: str = "up") -> float | None:
    """Share of the ceiling used, in percent; for a falling ("down") signal the floor over the value."""
    if current is None or ceiling is None or not (math.isfinite(current) and math.isfinite(ceiling)):
        return None
    if direction == "down":
        return 100.0 * ceiling / current if current > 0 else None
    return 100.0 * current / ceiling if ceiling > 0 else None


def rank_risks(evaluation: Evaluation, runbooks: Mapping[str, str] | None = None) -> list[RiskRow]:
    """The series at risk, most urgent first (see the module docstring)."""
    runbooks = runbooks or {}
    by_key: dict[SeriesKey, list[Finding]] = {}
    for finding in evaluation.at_least(Severity.WARNING):
        by_key.setdefault(finding.key, []).append(finding)
    rows = []
    for key, found in by_key.items():
        analysis = evaluation.analyses.get(key)
        direction = getattr(analysis, "direction", "up")
        ordered = sorted(found, key=lambda f: urgency(f, used_percent(_current(f, analysis), _ceiling(f, analysis), direction)))
        top = ordered[0]
        current, ceiling = _current(top, analysis), _ceiling(top, analysis)
        rows.append(
            RiskRow(
                key=key,
                finding=top,
                kinds=tuple(f.kind for f in ordered),
                used_pct=used_percent(current, ceiling, direction),
                current=current,
                rate_per_day=_rate(top, analysis),
                runbook_url=runbooks.get(key.signal),
                analysis=analysis,
            )
        )
    return sorted(rows, key=lambda r: (*urgency(r.finding, r.used_pct), str(r.key)))


def quiet_rows(evaluation: Evaluation) -> list[QuietRow]:
    """Analysed series without a finding of warning or worse, highest share of ceiling first."""
    at_risk = {f.key for f in evaluation.at_least(Severity.WARNING)}
    infos: dict[SeriesKey, list[Finding]] = {}
    for finding in evaluation.findings:
        infos.setdefault(finding.key, []).append(finding)
    rows = []
    for key, analysis in evaluation.analyses.items():
        if key in at_risk:
            continue
        current, ceiling = _finite(analysis.current), analysis.ceiling
        rows.append(
            QuietRow(
                key,
                current,
                ceiling,
                used_percent(current, ceiling, analysis.direction),
                _finite(analysis.slope_per_day),
                tuple(infos.get(key, ())),
            )
        )
    return sorted(rows, key=lambda r: (-(r.used_pct if r.used_pct is not None else -1.0), str(r.key)))


def driver_text(driver: DriverLink | None) -> str:
    """'webhook_p99_seconds{name="vpa.k8s.io"} (leads by 2 d, r = 0.91)', or '' without a driver."""
    if driver is None:
        return ""
    inner = ",".join(f'{k}="{v}"' for k, v in driver.labels)
    lead = f"leads by {driver.lag_days} d" if driver.lag_days else "same day"
    return f"{driver.signal}{{{inner}}} ({lead}, r = {driver.correlation:.2f})"


def _current(finding: Finding, analysis: Any | None) -> float | None:
    if finding.current is not None:
        return _finite(finding.current)
    return _finite(analysis.current) if analysis is not None else None


def _ceiling(finding: Finding, analysis: Any | None) -> float | None:
    if finding.ceiling is not None:
        return _finite(finding.ceiling)
    return _finite(analysis.ceiling) if analysis is not None and analysis.ceiling is not None else None


def _rate(finding: Finding, analysis: Any | None) -> float | None:
    if finding.slope_per_day is not None:
        return _finite(finding.slope_per_day)
    return _finite(analysis.slope_per_day) if analysis is not None else None


def _finite(value: float | None) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None
