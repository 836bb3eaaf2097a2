"""Scoring of the scenario suite: lead times, alert episodes and the issue's targets, per method.

A *flag* is one flagged evaluation of a method, an *episode* a maximal run of flags. Scoring of
every method starts once a series has ``MIN_HISTORY`` of data (slowburn's default
``min_history``), so no method is charged for its first weeks.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from benchmarks.scenario_shapes import END, INCIDENT_SHAPES, QUIET_SHAPES, Scenario
from detector.backtest.scoring import YEAR_DAYS, count_episodes

MIN_HISTORY = pd.Timedelta(days=21)


def score(sc: Scenario, at: np.ndarray, flagged: np.ndarray) -> dict[str, Any]:
    """Lead time (incident series) or alert episodes (quiet series) over the scored span."""
    keep = at >= (sc.start + MIN_HISTORY).to_datetime64()
    at, flagged = at[keep], flagged[keep]
    span0 = (sc.start + MIN_HISTORY).to_datetime64()
    out: dict[str, Any] = {"name": sc.name, "shape": sc.shape, "incident": sc.incident is not None}
    if sc.incident is None:
        out["episodes"] = count_episodes(flagged)
        out["exposure_days"] = float((END.to_datetime64() - span0) / np.timedelta64(1, "D"))
        return out
    if sc.onset is None:
        raise ValueError(f"scenario {sc.name}: an incident without an onset")  # the generator sets both or neither
    incident = sc.incident.to_datetime64()
    before = flagged & (at <= incident)
    out["lead_days"] = _days(incident - at[np.argmax(before)]) if before.any() else None
    upto = at <= incident  # sustained: the alert run still on at the incident
    if upto.any() and flagged[upto][-1]:
        quiet_at = np.flatnonzero(~flagged[upto])
        out["sustained_lead_days"] = _days(incident - at[upto][quiet_at[-1] + 1 if len(quiet_at) else 0])
    else:
        out["sustained_lead_days"] = None
    pre = at < sc.onset.to_datetime64()
    out["pre_onset_episodes"] = count_episodes(flagged[pre])
    out["pre_onset_days"] = max(0.0, float((sc.onset.to_datetime64() - span0) / np.timedelta64(1, "D")))
    return out


def _days(delta: np.timedelta64) -> float:
    return float(delta / np.timedelta64(1, "s")) / 86400.0


def summarize(rows: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    inc = [r for r in rows if r["incident"]]
    quiet = [r for r in rows if not r["incident"]]
    leads = np.array([r["lead_days"] for r in inc if r["lead_days"] is not None])
    sustained = np.array([r["sustained_lead_days"] for r in inc if r["sustained_lead_days"] is not None])
    years = sum(r["exposure_days"] for r in quiet) / YEAR_DAYS
    pre_years = sum(r["pre_onset_days"] for r in inc) / YEAR_DAYS
    episodes = sum(r["episodes"] for r in quiet)
    return {
        "incidents": len(inc),
        "detected": int(leads.size),
        "detection_rate": leads.size / len(inc) if inc else None,
        "median_lead_days": float(np.median(leads)) if leads.size else None,
        "p10_lead_days": float(np.percentile(leads, 10)) if leads.size else None,
        "alerting_at_incident": int(sustained.size),
        "median_sustained_lead_days": float(np.median(sustained)) if sustained.size else None,
        "p10_sustained_lead_days": float(np.percentile(sustained, 10)) if sustained.size else None,
        "quiet_series": len(quiet),
        "quiet_series_years": years,
        "false_alarm_episodes": episodes,
        "false_alarms_per_series_year": episodes / years if years else None,
        "pre_onset_alarms_per_series_year": sum(r["pre_onset_episodes"] for r in inc) / pre_years if pre_years else None,
        "seconds": seconds,
    }


def by_shape(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out = {}
    for shape in INCIDENT_SHAPES + tuple(f"quiet:{q}" for q in QUIET_SHAPES):
        sel = [r for r in rows if r["shape"] == shape]
        if not sel:
            continue
        if sel[0]["incident"]:
            leads = [r["lead_days"] for r in sel if r["lead_days"] is not None]
            out[shape] = {"n": len(sel), "detected": len(leads), "median_lead_days": float(np.median(leads)) if leads else None}
        else:
            out[shape] = {
                "n": len(sel),
                "episodes": sum(r["episodes"] for r in sel),
                "series_years": sum(r["exposure_days"] for r in sel) / YEAR_DAYS,
            }
    return out


def _ratio(ours: float | None, theirs: float | None) -> float:
    if not theirs:
        return float("inf") if ours else 0.0
    return (ours or 0.0) / theirs


def targets(summary: dict[str, dict[str, Any]]) -> list[tuple[str, str, bool]]:
    """The issue's targets for slowburn, each with its measured value and whether it is met."""
    ours = summary["slowburn"]
    fa = ours["false_alarms_per_series_year"]
    out = [
        (
            ">= 95 % of incidents flagged at or before the incident",
            f"{100 * (ours['detection_rate'] or 0):.1f} %",
            (ours["detection_rate"] or 0) >= 0.95,
        )
    ]
    for rule, label in (
        ("predict_linear", "bare predict_linear rule"),
        ("predict_linear_85pct", "kubernetes-mixin rule (predict_linear + 85 % full)"),
    ):
        for key, how in (("median_lead_days", "first flag"), ("median_sustained_lead_days", "alert sustained into the incident")):
            ratio = _ratio(ours[key], summary[rule][key])
            out.append((f"median lead >= 5x the {label}'s ({how})", f"{ratio:.1f}x", ratio >= 5))
    out.append(("< 1 false alarm per 100 series-years", f"{100 * fa:.2f}" if fa is not None else "n/a", fa is not None and fa < 0.01))
    return out
