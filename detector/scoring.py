"""Score a replay: lead time before known incidents and false alarms, for slowburn and the baseline.

A flag is a finding of severity warning or higher. Lead time = incident - first flag, when the
first flag comes at or before the incident (else null: detected late or never). A false alarm is
an alert episode (a maximal run of flagged evaluations) on a series with no known incident; on an
incident series, flags after the incident are neither credited nor counted (the replay has no
ground truth after an outage).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from detector.findings import _iso
from detector.incidents import Incident, incident_for
from detector.series import SeriesKey

YEAR_DAYS = 365.25


@dataclass(frozen=True)
class SeriesScore:
    key: SeriesKey
    first_flagged: pd.Timestamp | None
    first_critical: pd.Timestamp | None
    incident: pd.Timestamp | None
    false_alarms: int
    span_days: float
    onset: pd.Timestamp | None = None
    summary: str = ""

    @property
    def lead_time_days(self) -> float | None:
        if self.incident is None or self.first_flagged is None or self.first_flagged > self.incident:
            return None
        return round((self.incident - self.first_flagged).total_seconds() / 86400.0, 2)

    def to_dict(self) -> dict[str, Any]:
        return {
            "signal": self.key.signal,
            "labels": self.key.label_dict,
            "first_flagged": _iso(self.first_flagged),
            "first_critical": _iso(self.first_critical),
            "incident": _iso(self.incident),
            "lead_time_days": self.lead_time_days,
            "false_alarms": self.false_alarms,
            "onset": _iso(self.onset),
            "summary": self.summary,
        }


def score_flags(key: SeriesKey, flagged: pd.Series, critical: pd.Series | None, incidents: list[Incident], **extra: Any) -> SeriesScore:
    """``flagged``/``critical``: boolean series indexed by evaluation time."""
    incident = incident_for(key, incidents)
    at = incident.at if incident else None
    first = _first_true(flagged)
    first_crit = _first_true(critical) if critical is not None else None
    alarms = count_episodes(flagged.to_numpy()) if at is None else 0
    span = (flagged.index[-1] - flagged.index[0]).total_seconds() / 86400.0 if len(flagged) > 1 else 0.0
    return SeriesScore(key, first, first_crit, at, alarms, span, **extra)


def count_episodes(flags: np.ndarray) -> int:
    """Number of maximal runs of True."""
    if flags.size == 0:
        return 0
    f = flags.astype(bool)
    return int(f[0]) + int(np.count_nonzero(f[1:] & ~f[:-1]))


def _first_true(flags: pd.Series | None) -> pd.Timestamp | None:
    if flags is None or not flags.any():
        return None
    return flags.index[np.argmax(flags.to_numpy())]


def summarize(scores: list[SeriesScore]) -> dict[str, Any]:
    """Incidents caught, lead times, and false alarms per series-year over non-incident series."""
    with_incident = [s for s in scores if s.incident is not None]
    leads = [s.lead_time_days for s in with_incident if s.lead_time_days is not None]
    quiet = [s for s in scores if s.incident is None]
    years = sum(s.span_days for s in quiet) / YEAR_DAYS
    alarms = sum(s.false_alarms for s in quiet)
    return {
        "incident_series": len(with_incident),
        "detected_before_incident": len(leads),
        "median_lead_time_days": float(np.median(leads)) if leads else None,
        "min_lead_time_days": float(min(leads)) if leads else None,
        "series_without_incident": len(quiet),
        "false_alarm_episodes": alarms,
        "series_years_without_incident": round(years, 2),
        "false_alarms_per_series_year": round(alarms / years, 3) if years > 0 else None,
    }
