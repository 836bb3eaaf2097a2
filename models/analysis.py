"""The read-only result of analysing one series at one time (what ``SeriesAnalyzer.fit`` learns)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.changepoints import Segment
from models.daily import DailyLevels
from models.evidence import HeldEvidence, TrendEvidence
from models.forecast import CeilingForecast


@dataclass(frozen=True)
class SeriesAnalysis:
    """Everything the detector needs to judge one series; days are counted since the epoch.

    Levels (``baseline``, ``current``, ``ceiling``) are in the series' own units and direction
    ("up" is bad; a "down" signal is analysed negated and flipped back here). ``domain`` is
    "log" when growth is multiplicative, "linear" otherwise; ``segments`` live in that domain.
    """

    direction: str
    daily: DailyLevels
    domain: str
    segments: tuple[Segment, ...]
    seasonal_periods: tuple[str, ...]
    noise_sigma: float  # daily noise in the domain
    now_day: float  # evaluation time in days since the epoch
    regime_start_day: int  # start of the current regime
    onset_day: int  # start of the contiguous run of worsening regimes
    history_before_onset_days: int  # days of data before the onset (0: the run is all we know)
    baseline: float  # level before the onset
    window_baseline: float  # level one drift window ago (or the baseline, if later)
    current: float  # fitted level now
    slope_per_day: float  # in units per day at the current level
    slope_interval: tuple[float, float]  # same units, ``confidence`` coverage
    trend: TrendEvidence  # the regime's slope in the domain (bad direction up), honest SE
    recent_trend: TrendEvidence | None  # the slope of the regime's recent part (None: too short to tell)
    regime_days: int  # daily bins since the current regime began
    continues_run: bool  # the regime follows a worsening one (onset before the regime)
    recent_level: float  # median of the last 3 daily levels (domain)
    previous_level_end: float  # level at the end of the previous regime (domain; NaN if none)
    baseline_level: float  # level before the onset (domain)
    long_run_sigma: float  # the segmentation's long-run noise scale (domain)
    prior_days: int  # finite daily levels before the onset and the regime
    highest_before: float  # highest level held before the onset (domain; NaN if none)
    held: HeldEvidence  # levels held in the last hours (raw units)
    censored_now: bool  # the latest day is censored (true level at least ``current_raw``)
    current_raw: float  # median of the last 24 h of raw samples
    ceiling: float | None
    forecast: CeilingForecast | None  # None without a ceiling

    @property
    def regime_age_days(self) -> float:
        return self.now_day - self.regime_start_day

    @property
    def breakpoint_days(self) -> list[int]:
        return [self.daily.day0 + s.start for s in self.segments[1:]]

    @property
    def magnitude(self) -> float | None:
        """current / baseline in the bad direction (> 1 means worse); None if undefined."""
        return _ratio(self.baseline, self.current, self.direction)

    @property
    def window_magnitude(self) -> float | None:
        """Growth over the drift window (current / window_baseline, in the bad direction)."""
        return _ratio(self.window_baseline, self.current, self.direction)

    def regime_step(self) -> tuple[float, float, float | None]:
        """Level before and after the current regime's start, in units, and their ratio in the bad
        direction (None when a level is not positive). Needs two segments."""
        seg, prev = self.segments[-1], self.segments[-2]
        before, after = self.to_unit(np.array([prev.value_at(seg.start - 1), seg.value_at(seg.start)]))
        ratio = float(after / before) if before > 0 and after > 0 else None
        if self.direction == "down" and ratio:
            ratio = 1 / ratio
        return float(before), float(after), ratio

    def to_unit(self, model_values: np.ndarray) -> np.ndarray:
        """Convert values from the model domain (and analysis sign) to the series' units."""
        out = np.exp(model_values) if self.domain == "log" else np.asarray(model_values, dtype=float)
        return -out if self.direction == "down" else out


def _ratio(base: float, cur: float, direction: str) -> float | None:
    if direction == "down":
        base, cur = cur, base
    if not (np.isfinite(base) and np.isfinite(cur)) or base <= 0 or cur <= 0:
        return None
    return float(cur / base)
