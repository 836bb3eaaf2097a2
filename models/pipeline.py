"""One series through the whole model: seasonality -> daily levels -> regimes -> trend -> forecast."""

from __future__ import annotations

import numpy as np

from models._validation import as_float_array, check_is_fitted, difference_sigma
from models.analysis import SeriesAnalysis
from models.changepoints import PiecewiseLinearSegmenter
from models.daily import DAY, to_daily
from models.forecast import forecast_to_ceiling
from models.seasonality import SeasonalProfile
from models.trend import RobustTrend

SIGNIFICANCE = 0.95          # coverage of the slope interval that must exclude zero
RECENT_DAYS = 14             # window of the deceleration check


class SeriesAnalyzer:
    """Analyse one regular series at one time; ``analysis_`` holds the read-only result.

    Parameters
    ----------
    seasonality : {"auto", "none"}
    min_regime_days : int
        Shortest regime, in days; also the delay before a new regime can be recognised.
    penalty : float
        Multiplier on the changepoint penalty (higher: fewer regimes).
    confidence : float
        Coverage of the slope and ETA intervals (e.g. 0.8 for a 10th-90th percentile ETA).
    """

    def __init__(self, seasonality: str = "auto", min_regime_days: int = 14, penalty: float = 1.0, confidence: float = 0.8) -> None:
        self.seasonality = seasonality
        self.min_regime_days = min_regime_days
        self.penalty = penalty
        self.confidence = confidence

    def fit(
        self,
        values: np.ndarray,
        start: float,
        step: float,
        *,
        censor_at: float | None = None,
        ceiling: float | None = None,
        direction: str = "up",
        now: float | None = None,
    ) -> "SeriesAnalyzer":
        """Fit on ``values`` sampled every ``step`` s from unix time ``start``; ``now`` defaults to the end."""
        raw = as_float_array(values)
        if np.isfinite(raw).sum() < 2:
            raise ValueError("at least two finite values are needed")
        sign = -1.0 if direction == "down" else 1.0
        y = sign * raw
        censored = (raw >= censor_at * (1 - 1e-9)) & np.isfinite(raw) if censor_at is not None and direction == "up" else np.zeros(len(raw), bool)
        now = start + step * len(raw) if now is None else now
        seasonal = SeasonalProfile(self.seasonality).fit(y, start, step, exclude=censored)
        flat = seasonal.transform(y)
        daily = to_daily(flat, start, step, censored)
        usable = np.where(daily.censored, np.nan, daily.values)
        if np.isfinite(usable).sum() < 3:
            raise ValueError("fewer than 3 days with enough uncensored data")
        domain, z, segmenter = self._segment(usable)
        sigma = difference_sigma(z)
        x_now = now / DAY - daily.day0 - 0.5
        regime = segmenter.segments_[-1].start
        if np.isfinite(z[regime:]).sum() < max(3, self.min_regime_days // 2) and len(segmenter.segments_) > 1:
            regime = segmenter.segments_[-2].start                    # e.g. a censored plateau at the end
        days = np.arange(len(z), dtype=float)
        trend = RobustTrend(self.confidence).fit(days[regime:], z[regime:])
        level = float(trend.predict(x_now))
        onset = _onset(segmenter.segments_, regime, sigma)
        baseline_z = _baseline(z, onset, trend)
        recent_slow = self._decelerating(days, z, regime, trend)
        prior = z[max(0, regime - 60): regime]
        recovering = bool(np.isfinite(prior).sum() >= 7 and level < np.nanpercentile(prior, 75) + 2 * sigma)
        lo95, _ = trend.interval(SIGNIFICANCE)
        to_unit = (lambda v: float(np.exp(v))) if domain == "log" else float
        current = to_unit(level)
        last24 = y[-int(round(DAY / step)) or -1:] if step < DAY else y[-1:]
        censored_now = bool(daily.censored[-1] or (censored[-len(last24):].mean() >= 0.5 if len(last24) else False))
        if censored_now and censor_at is not None:
            current = max(current, float(censor_at))
        scale = current if domain == "log" else 1.0
        forecast = None
        if ceiling is not None and np.isfinite(ceiling):
            target = self._target(sign * ceiling, domain, seasonal, current)
            if target is not None:
                forecast = forecast_to_ceiling(
                    max(level, _to_domain(current, domain)) if censored_now else level,
                    trend.level_se(x_now), trend.slope_, trend.slope_interval_, target, self.confidence,
                )
        self.analysis_ = SeriesAnalysis(
            direction=direction,
            daily=daily,
            domain=domain,
            segments=segmenter.segments_,
            seasonal_periods=seasonal.periods_,
            seasonal_peak=seasonal.peak_excursion_,
            seasonal_multiplicative=seasonal.multiplicative_,
            noise_sigma=sigma,
            now_day=now / DAY,
            regime_start_day=daily.day0 + regime,
            onset_day=daily.day0 + onset,
            baseline=sign * to_unit(baseline_z),
            current=sign * current,
            slope_per_day=sign * trend.slope_ * scale,
            slope_interval=tuple(sorted((sign * trend.slope_interval_[0] * scale, sign * trend.slope_interval_[1] * scale))),
            slope_significant=bool(lo95 > 0),
            decelerating=recent_slow,
            recovering=recovering,
            censored_now=censored_now,
            current_raw=float(np.nanmedian(raw[-len(last24):])) if np.isfinite(raw[-len(last24):]).any() else float("nan"),
            ceiling=ceiling,
            forecast=forecast,
        )
        return self

    def _segment(self, usable: np.ndarray) -> tuple[str, np.ndarray, PiecewiseLinearSegmenter]:
        """Segment in the linear and (for positive series) log domain; keep the simpler description:
        fewer regimes first, then the smaller residual cost in short-run noise units (log must win
        by 10 %: growth is read as multiplicative only when the data says so)."""
        finite = usable[np.isfinite(usable)]
        candidates = []
        for domain in ("linear", "log"):
            if domain == "log" and (finite.size == 0 or finite.min() <= 0):
                break
            z = np.log(usable) if domain == "log" else usable
            segmenter = PiecewiseLinearSegmenter(penalty=self.penalty, min_size=self.min_regime_days).fit(z)
            short = difference_sigma(z) or segmenter.sigma_
            fit_cost = segmenter.cost_ * (segmenter.sigma_ / short) ** 2 * (1.0 if domain == "log" else 0.9)
            candidates.append((len(segmenter.breakpoints_), fit_cost, domain, z, segmenter))
            if len(segmenter.breakpoints_) == 0 or finite.max() < 1.5 * finite.min():
                break       # one straight line already fits, or the range is too narrow to tell
        best = min(candidates, key=lambda c: (c[0], c[1]))
        return best[2], best[3], best[4]

    def _decelerating(self, days: np.ndarray, z: np.ndarray, regime: int, trend: RobustTrend) -> bool:
        if len(z) - regime < 2 * RECENT_DAYS or trend.slope_ <= 0:
            return False
        tail = slice(len(z) - RECENT_DAYS, len(z))
        if np.isfinite(z[tail]).sum() < RECENT_DAYS // 2:
            return False
        recent = RobustTrend(0.9).fit(days[tail], z[tail])
        return bool(recent.slope_interval_[1] < 0.5 * trend.slope_)

    @staticmethod
    def _target(ceiling: float, domain: str, seasonal: SeasonalProfile, current: float) -> float | None:
        peak = seasonal.peak_excursion_
        if seasonal.multiplicative_:
            peak_add = current * (peak - 1.0)
        else:
            peak_add = peak
        if domain == "log":
            if ceiling <= 0:
                return None
            ratio = peak if seasonal.multiplicative_ else (current + peak_add) / current if current > 0 else 1.0
            return float(np.log(ceiling) - np.log(max(ratio, 1.0)))
        return float(ceiling - max(peak_add, 0.0))

    def predict_level(self, days_ahead: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "analysis_")
        f = self.analysis_.forecast
        if f is None:
            raise ValueError("no ceiling was given, so there is no forecast")
        return self.analysis_.to_unit(f.cone(days_ahead)[0])


def _to_domain(value: float, domain: str) -> float:
    return float(np.log(value)) if domain == "log" else value


def _onset(segments: tuple, regime: int, sigma: float) -> int:
    """Start of the contiguous run of worsening segments that ends with the current one."""
    index = next(i for i, s in enumerate(segments) if s.start == regime)
    onset = regime
    while index > 0:
        seg, prev = segments[index], segments[index - 1]
        rising = seg.slope * (seg.end - seg.start) > 2 * sigma
        step_up = seg.value_at(seg.start) - prev.value_at(seg.start - 1) > 2 * sigma
        if not (rising or step_up):
            break
        prev_rising = prev.slope * (prev.end - prev.start) > 2 * sigma
        if not prev_rising:
            onset = seg.start
            break
        onset = prev.start
        index -= 1
    return onset


def _baseline(z: np.ndarray, onset: int, trend: RobustTrend) -> float:
    """Level before the onset (median of up to 28 days), or the trend's start when there is none."""
    before = z[max(0, onset - 28): onset]
    if np.isfinite(before).sum() >= 3:
        return float(np.nanmedian(before))
    first = z[onset: onset + 7]                      # growth since the first sample: its first week
    if np.isfinite(first).sum() >= 1:
        return float(np.nanmedian(first))
    return float(trend.predict(float(onset)))
