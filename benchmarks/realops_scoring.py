"""Scoring of the realops replay: alert episodes, false alarms outside the labeled windows, windows flagged.

Rules (the same for every series):

- a *flag* is an evaluation at which the series has a finding of warning or worse;
- an *alert episode* is a maximal run of consecutive flagged evaluations of that series (no gap
  merging: one unflagged evaluation ends an episode);
- an episode is *inside* when it starts within a labeled window extended after its end by its own
  length (``[start, end + (end - start)]``: NAB windows are centred on the anomaly, and a detector
  that judges daily levels needs time to see a shift); every other episode is a **false alarm**;
- a labeled window is *flagged* when a flag falls in that extended window (``flagged_strict``: in
  the window itself), and *evaluable* when the extended window overlaps the series' evaluations;
- exposure is the number of evaluations at which the series was analysed (old enough, enough data
  per day) times the evaluation interval; the rate is false alarms per 100 series-years of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from detector.backtest.scoring import YEAR_DAYS
from detector.core.findings import SEVERITY_RANK, Finding
from detector.core.instants import iso_utc

Window = tuple[pd.Timestamp, pd.Timestamp]
FLAG_RANK = SEVERITY_RANK["warning"]


@dataclass(frozen=True)
class Episode:
    """A maximal run of flagged evaluations: its first and last flagged time and how many."""

    start: pd.Timestamp
    end: pd.Timestamp
    evaluations: int


def extended(window: Window) -> Window:
    """The window with its own length added after its end."""
    start, end = window
    return start, end + (end - start)


def inside_any(at: pd.Timestamp, windows: Iterable[Window]) -> bool:
    """Whether ``at`` lies in any extended window (bounds included)."""
    return any(lo <= at <= hi for lo, hi in map(extended, windows))


def alert_episodes(times: Sequence[pd.Timestamp], flagged: Sequence[bool]) -> list[Episode]:
    """Maximal runs of True in ``flagged`` (aligned with the sorted evaluation ``times``)."""
    if len(times) != len(flagged):
        raise ValueError(f"times and flagged differ in length ({len(times)} != {len(flagged)})")
    out: list[Episode] = []
    run_start: int | None = None
    for i, flag in enumerate(list(flagged) + [False]):
        if flag and run_start is None:
            run_start = i
        elif not flag and run_start is not None:
            out.append(Episode(times[run_start], times[i - 1], i - run_start))
            run_start = None
    return out


def flags_of(times: Sequence[pd.Timestamp], by_time: Mapping[pd.Timestamp, tuple[Finding, ...]]) -> list[bool]:
    """Per evaluation time: a finding of warning or worse (a time the series was not analysed is not flagged)."""
    return [any(f.rank >= FLAG_RANK for f in by_time.get(t, ())) for t in times]


def score_series(
    times: Sequence[pd.Timestamp], by_time: Mapping[pd.Timestamp, tuple[Finding, ...]], windows: Sequence[Window], every_seconds: float
) -> dict[str, Any]:
    """Episodes, false alarms and windows flagged of one series evaluated at ``times``.

    ``by_time`` holds the findings of every evaluation at which the series was analysed (as
    ``replay_findings`` returns them); only those evaluations count as exposure.
    """
    flagged = flags_of(times, by_time)
    episodes = alert_episodes(times, flagged)
    false = [e for e in episodes if not inside_any(e.start, windows)]
    flag_times = [t for t, f in zip(times, flagged, strict=True) if f]
    analysed = sum(1 for t in times if t in by_time)
    first, last = (times[0], times[-1]) if len(times) else (None, None)
    evaluable = [w for w in windows if first is not None and extended(w)[0] <= last and extended(w)[1] >= first]
    return {
        "evaluations": len(times),
        "analysed": analysed,
        "exposure_years": analysed * every_seconds / 86400.0 / YEAR_DAYS,
        "flags": len(flag_times),
        "episodes": len(episodes),
        "false_alarms": len(false),
        "false_alarm_starts": [iso_utc(e.start) for e in false],
        "windows": len(windows),
        "windows_evaluable": len(evaluable),
        "windows_flagged": sum(1 for w in windows if any(extended(w)[0] <= t <= extended(w)[1] for t in flag_times)),
        "windows_flagged_strict": sum(1 for w in windows if any(w[0] <= t <= w[1] for t in flag_times)),
    }


def totals(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Sums over series and the false-alarm rate per 100 series-years."""
    keys = (
        "evaluations",
        "analysed",
        "flags",
        "episodes",
        "false_alarms",
        "windows",
        "windows_evaluable",
        "windows_flagged",
        "windows_flagged_strict",
    )
    out: dict[str, Any] = {"series": len(rows), **{k: sum(int(r[k]) for r in rows) for k in keys}}
    years = sum(float(r["exposure_years"]) for r in rows)
    out["exposure_years"] = years
    out["false_alarms_per_100_series_years"] = 100.0 * out["false_alarms"] / years if years > 0 else None
    return out


def finding_rows(
    name: str, by_time: Mapping[pd.Timestamp, tuple[Finding, ...]], times: Sequence[pd.Timestamp], windows: Sequence[Window]
) -> list[dict[str, Any]]:
    """Every warning-or-worse finding of the series at ``times``, with the start of its episode and
    whether that episode is a false alarm (started outside every extended window)."""
    flagged = flags_of(times, by_time)
    rows = []
    for episode in alert_episodes(times, flagged):
        false_alarm = not inside_any(episode.start, windows)
        for t in times:
            if not episode.start <= t <= episode.end:
                continue
            for f in by_time.get(t, ()):
                if f.rank >= FLAG_RANK:
                    rows.append(
                        {
                            "series": name,
                            "time": iso_utc(t),
                            "kind": f.kind,
                            "severity": f.severity,
                            "episode_start": iso_utc(episode.start),
                            "false_alarm": false_alarm,
                            "summary": f.summary,
                        }
                    )
    return rows
