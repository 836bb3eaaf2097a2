"""Scores of the detector's replay and the side-by-side terminal summary."""

from __future__ import annotations

from typing import Any

import pandas as pd

from detector.backtest.incidents import Incident
from detector.backtest.replay import SeriesTimeline
from detector.backtest.scoring import SeriesScore, score_flags
from detector.core.series import SeriesKey, labels_of


def detector_scores(timelines: dict[SeriesKey, SeriesTimeline], times: list[pd.Timestamp], incidents: list[Incident]) -> list[SeriesScore]:
    scores = []
    for key in sorted(timelines):
        line = timelines[key]
        ranks = pd.Series(line.ranks).sort_index()
        ranks = ranks.reindex(pd.DatetimeIndex(times)).fillna(-1)
        flag = line.first_flag
        scores.append(
            score_flags(
                key,
                ranks >= 1,
                ranks >= 2,
                incidents,
                onset=flag.onset if flag else None,
                summary=flag.summary if flag else "",
                first_finding=flag.to_dict() if flag else None,
            )
        )
    return scores


def render_summary(document: dict[str, Any]) -> str:
    """Incident series with both detectors' first flags and lead times, then false alarms."""
    baseline = {(_ident(b)): b for b in document["baseline"]}
    rows = [s for s in sorted(document["series"], key=lambda e: (e["role"] != "cause", e["signal"])) if s["incident"] is not None]
    width = max([len("SERIES"), *(len(_name(s)) for s in rows)])  # never cut: three PVCs must not read the same
    lines = [
        f"backtest: {document['evaluations']} evaluations from {document['first_evaluation']} to {document['last_evaluation']}",
        "",
        f"{'SERIES':{width}} {'ROLE':7} {'INCIDENT':10} {'SLOWBURN':10} {'LEAD':>7} {'KEPT':>7} {'PREDICT_LINEAR':14} {'LEAD':>7} {'KEPT':>7}",
    ]
    for s in rows:
        b = baseline.get(_ident(s))
        theirs = (
            f"{_day(b['first_flagged']):14} {_lead(b['lead_time_days']):>7} {_lead(b['sustained_lead_days']):>7}"
            if b
            else f"{'(no ceiling)':14}"
        )
        lines.append(
            f"{_name(s):{width}} {s['role']:7} {_day(s['incident']):10} {_day(s['first_flagged']):10} {_lead(s['lead_time_days']):>7} "
            f"{_lead(s['sustained_lead_days']):>7} {theirs}"
        )
    ours, theirs = document["summary"]["slowburn"], document["summary"]["predict_linear"]
    lines += [
        "",
        f"{'':34} {'slowburn':>14} {'predict_linear':>15}",
        f"{'incidents flagged before they hit':34} {_ratio(ours):>14} {_ratio(theirs):>15}",
        f"{'median lead time (days)':34} {_num(ours['median_lead_time_days']):>14} {_num(theirs['median_lead_time_days']):>15}",
        f"{'median lead, alert kept (days)':34} {_num(ours['median_sustained_lead_days']):>14} {_num(theirs['median_sustained_lead_days']):>15}",
        f"{'false alarm episodes':34} {ours['false_alarm_episodes']:>14} {theirs['false_alarm_episodes']:>15}",
        f"{'false alarms per series-year':34} {_num(ours['false_alarms_per_series_year']):>14} {_num(theirs['false_alarms_per_series_year']):>15}",
        f"{'series-years scored':34} {ours['series_years_scored']:>14} {theirs['series_years_scored']:>15}",
        f"{'quiet series ever alerting':34} {_quiet(ours):>14} {_quiet(theirs):>15}",
        "",
        "LEAD: incident - first flag. KEPT: incident - start of the alert still active at the incident.",
        "False alarms: alert episodes on quiet series plus episodes on cause series that cleared before",
        "their incident; symptom series are shown but not scored.",
    ]
    flagged_quiet = [s for s in document["series"] if s["false_alarms"]]
    for s in flagged_quiet:
        lines.append(f"false alarm: {_name(s)} first at {_day(s['first_flagged'])}: {s['summary']}")
    for name, error in document.get("errors", {}).items():
        lines.append(f"ERROR {name}: {error}")
    return "\n".join(lines)


def _ident(entry: dict) -> tuple:
    return (entry["signal"], tuple(sorted(entry["labels"].items())))


def _name(entry: dict) -> str:
    """The series as everywhere else: a PromQL selector with escaped label values (one line, never cut)."""
    return str(SeriesKey(entry["signal"], labels_of(entry["labels"])))


def _day(text: str | None) -> str:
    return text[:10] if text else "-"


def _lead(value: float | None) -> str:
    return f"{value:.1f}d" if value is not None else "-"


def _num(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "-"


def _ratio(summary: dict) -> str:
    return f"{summary['detected_before_incident']}/{summary['incident_series']}"


def _quiet(summary: dict) -> str:
    return f"{summary['quiet_series_with_alarms']}/{summary['series_without_incident']}"
