"""Score a replay: lead time before known incidents and false alarms, for slowburn and the baseline.

A flag is a finding of severity warning or higher (for the baseline: the rule firing). Flags are
grouped into alert episodes: runs of flagged evaluations, merged across gaps of at most
``MERGE_GAP`` (a re-fire within two days is the same page). Scoring is the same for every method:

- ``lead_time_days`` = incident - first flag (the issue's definition), when the first flag comes
  at or before the incident; ``sustained_lead_days`` = incident - start of the episode still
  active at the incident: the warning a team would actually have been looking at.
- false alarms: every episode on a series with no incident, and every episode on a cause series
  that ended before its incident (it was raised, then cleared: a page that cried wolf). After an
  incident there is no ground truth: flags there are neither credited nor counted. Symptom series
  (which only show the outage) are reported but never scored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from detector.backtest.incidents import Incident, incident_for
from detector.core.instants import DAY, iso_utc
from detector.core.series import SeriesKey

YEAR_DAYS = 365.25
MERGE_GAP = pd.Timedelta(days=2)


@dataclass(frozen=True)
class SeriesScore:
    key: SeriesKey
    first_flagged: pd.Timestamp | None
    first_critical: pd.Timestamp | None
    incident: pd.Timestamp | None
    role: str | None
    false_alarms: int
    scored_days: float
    sustained_since: pd.Timestamp | None = None
    onset: pd.Timestamp | None = None
    summary: str = ""
    first_finding: dict[str, Any] | None = None  # the first flag as in run --json, with its gates

    @property
    def lead_time_days(self) -> float | None:
        return _days_before(self.incident, self.first_flagged)

    @property
    def sustained_lead_days(self) -> float | None:
        return _days_before(self.incident, self.sustained_since)

    def to_dict(self) -> dict[str, Any]:
        return {
            "signal": self.key.signal,
            "labels": self.key.label_dict,
            "first_flagged": iso_utc(self.first_flagged),
            "first_critical": iso_utc(self.first_critical),
            "incident": iso_utc(self.incident),
            "role": self.role,
            "lead_time_days": self.lead_time_days,
            "sustained_lead_days": self.sustained_lead_days,
            "false_alarms": self.false_alarms,
            "onset": iso_utc(self.onset),
            "summary": self.summary,
            "first_finding": self.first_finding,
        }


def _days_before(incident: pd.Timestamp | None, flag: pd.Timestamp | None) -> float | None:
    if incident is None or flag is None or flag > incident:
        return None
    return round((incident - flag).total_seconds() / DAY, 2)


def episodes(flagged: pd.Series) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """(start, last flagged time) of each alert episode, merging gaps shorter than MERGE_GAP."""
    times = flagged.index[flagged.to_numpy(dtype=bool)]
    out: list[tuple[pd.Timestamp, pd.Timestamp]] = []
    for t in times:
        if out and t - out[-1][1] <= MERGE_GAP:
            out[-1] = (out[-1][0], t)
        else:
            out.append((t, t))
    return out


def score_flags(key: SeriesKey, flagged: pd.Series, critical: pd.Series | None, incidents: list[Incident], **extra: Any) -> SeriesScore:
    """``flagged``/``critical``: boolean series indexed by evaluation time."""
    incident = incident_for(key, incidents)
    at = incident.at if incident else None
    first = _first_true(flagged)
    first_crit = _first_true(critical) if critical is not None else None
    runs = episodes(flagged)
    total_days = (flagged.index[-1] - flagged.index[0]).total_seconds() / DAY if len(flagged) > 1 else 0.0
    sustained = None
    if incident is None:
        alarms, scored = len(runs), total_days
    elif incident.role == "symptom":
        alarms, scored = 0, 0.0
    else:
        before = [(s, e) for s, e in runs if s <= at]
        active = [s for s, e in before if e >= at - MERGE_GAP]
        sustained = active[0] if active else None
        alarms = len(before) - len(active)
        scored = max(0.0, (min(at, flagged.index[-1]) - flagged.index[0]).total_seconds() / DAY) if len(flagged) else 0.0
    return SeriesScore(key, first, first_crit, at, incident.role if incident else None, alarms, scored, sustained, **extra)


def count_episodes(flags: np.ndarray) -> int:
    """Number of maximal runs of True (no gap merging)."""
    if flags.size == 0:
        return 0
    f = flags.astype(bool)
    return int(f[0]) + int(np.count_nonzero(f[1:] & ~f[:-1]))


def _first_true(flags: pd.Series | None) -> pd.Timestamp | None:
    if flags is None or not flags.any():
        return None
    return flags.index[int(np.argmax(flags.to_numpy()))]


def summarize(scores: list[SeriesScore]) -> dict[str, Any]:
    """Causes caught before their incident, lead times, and false alarms per series-year."""
    causes = [s for s in scores if s.role == "cause"]
    leads = [s.lead_time_days for s in causes if s.lead_time_days is not None]
    sustained = [s.sustained_lead_days for s in causes if s.sustained_lead_days is not None]
    quiet = [s for s in scores if s.incident is None]
    years = sum(s.scored_days for s in scores) / YEAR_DAYS
    alarms = sum(s.false_alarms for s in scores)
    return {
        "incident_series": len(causes),
        "detected_before_incident": len(leads),
        "median_lead_time_days": float(np.median(leads)) if leads else None,
        "min_lead_time_days": float(min(leads)) if leads else None,
        "median_sustained_lead_days": float(np.median(sustained)) if sustained else None,
        "series_without_incident": len(quiet),
        "false_alarm_episodes": alarms,
        "quiet_series_with_alarms": sum(1 for s in quiet if s.false_alarms),
        "series_years_scored": round(years, 2),
        "false_alarms_per_series_year": round(alarms / years, 3) if years > 0 else None,
    }
