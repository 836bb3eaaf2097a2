"""What a run could and could not judge: a state for every configured signal and every series.

A run is never silent: a signal is ``evaluated`` (at least one series judged), ``skipped`` (it has
series, none judgeable yet, each with the reason and when it becomes judgeable), ``absent`` (its
query or file matched no series) or ``failed`` (its query, file or data could not be used). A series
is ``evaluated``, ``too_young``, ``stale`` (stopped reporting), ``outside_lookback`` (no sample in
the window) or ``not_analysed`` (the model refused it, with its reason).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from detector.core.instants import DAY, HOUR, iso_utc
from detector.core.series import DataNote, SeriesKey

SignalState = Literal["evaluated", "skipped", "absent", "failed"]
SeriesState = Literal["evaluated", "too_young", "stale", "outside_lookback", "not_analysed"]
SIGNAL_STATES: tuple[SignalState, ...] = ("evaluated", "skipped", "absent", "failed")
SKIP_WORDS = {
    "too_young": "too young",
    "stale": "stopped reporting",
    "outside_lookback": "outside the lookback",
    "not_analysed": "not analysed",
}


@dataclass(frozen=True)
class SeriesStatus:
    """One series at one evaluation: its state, why, and (when skipped) when it becomes judgeable."""

    key: SeriesKey
    state: SeriesState
    reason: str = ""
    judgeable_from: pd.Timestamp | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"series": str(self.key), "signal": self.key.signal, "labels": self.key.label_dict, "state": self.state}
        if self.reason:
            out["reason"] = self.reason
        if self.judgeable_from is not None:
            out["judgeable_from"] = iso_utc(self.judgeable_from)
        return out


@dataclass(frozen=True)
class SignalStatus:
    """One configured signal: its state, the reason when not evaluated, and its series' states."""

    signal: str
    state: SignalState
    reason: str = ""
    optional: bool = False
    series: tuple[SeriesStatus, ...] = ()
    judgeable_from: pd.Timestamp | None = None

    @property
    def series_counts(self) -> dict[str, int]:
        return dict(Counter(s.state for s in self.series))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"signal": self.signal, "state": self.state, "series": self.series_counts}
        if self.reason:
            out["reason"] = self.reason
        if self.optional:
            out["optional"] = True
        if self.judgeable_from is not None:
            out["judgeable_from"] = iso_utc(self.judgeable_from)
        return out


@dataclass(frozen=True)
class YoungSignal(DataNote):
    """A signal whose query has series now but none with a sample on its grid yet (they appeared
    within the last step): a source records it instead of an absent-signal error."""

    series_count: int = 0
    judgeable_from: pd.Timestamp | None = None

    def status(self, optional: bool) -> SignalStatus:
        return SignalStatus(self.signal, "skipped", self.message, optional, judgeable_from=self.judgeable_from)


def signal_status(name: str, series: list[SeriesStatus], *, error: Exception | None, absent: bool, optional: bool) -> SignalStatus:
    """The state of one signal from its series' states and the error of its source, if any."""
    if absent:
        return SignalStatus(name, "absent", str(error) if error is not None else "no series", optional)
    if error is not None:
        return SignalStatus(name, "failed", str(error), optional, tuple(series))
    evaluated = sum(1 for s in series if s.state == "evaluated")
    if evaluated:
        return SignalStatus(name, "evaluated", "", optional, tuple(series))
    if not series:
        return SignalStatus(name, "skipped", "no series present at the evaluation time", optional)
    soonest = min((s.judgeable_from for s in series if s.judgeable_from is not None), default=None)
    return SignalStatus(name, "skipped", _skip_reason(series, soonest), optional, tuple(series), soonest)


def _skip_reason(series: list[SeriesStatus], soonest: pd.Timestamp | None) -> str:
    counts = Counter(s.state for s in series)
    parts = [f"{n} {SKIP_WORDS.get(state, state)}" for state, n in sorted(counts.items())]
    when = f"; first judged from {iso_utc(soonest)}" if soonest is not None else ""
    return f"no series judgeable yet ({', '.join(parts)}){when}"


def young_signal(signal: str, count: int, judgeable_from: pd.Timestamp, step_seconds: float, location: str = "") -> YoungSignal:
    """The note for a signal whose ``count`` series have samples but none on its grid yet."""
    message = (
        f"too young: {count} series have samples but none on the {duration_words(step_seconds)} grid yet; "
        f"judged from {iso_utc(judgeable_from)}"
    )
    return YoungSignal(signal, message, location, count, judgeable_from)


def too_young(key: SeriesKey, first: pd.Timestamp, at: pd.Timestamp, needs_seconds: float) -> SeriesStatus:
    """A series with less history than the signal's ``min_history``: when it becomes judgeable."""
    have = (at - first).total_seconds()
    ready = first + pd.Timedelta(seconds=needs_seconds)
    reason = f"{duration_words(have)} of history, needs {duration_words(needs_seconds)}: judged from {iso_utc(ready)}"
    return SeriesStatus(key, "too_young", reason, ready)


def duration_words(seconds: float) -> str:
    """A short human duration: '27 min', '5 h', '21 d'."""
    seconds = max(0.0, float(seconds))
    if seconds < HOUR:
        return f"{int(seconds // 60)} min"
    if seconds < 2 * DAY:
        return f"{seconds / HOUR:.0f} h"
    return f"{seconds / DAY:.0f} d"


def summary_counts(statuses: tuple[SignalStatus, ...]) -> tuple[dict[str, int], dict[str, int]]:
    """(signals per state, series per state) in a fixed order."""
    signals = Counter(s.state for s in statuses)
    series = Counter(x.state for s in statuses for x in s.series)
    return {state: signals.get(state, 0) for state in SIGNAL_STATES}, dict(sorted(series.items(), key=lambda kv: kv[0] != "evaluated"))
