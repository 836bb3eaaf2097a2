"""One series through the whole model: seasonality -> daily levels -> regimes -> trend -> forecast."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator

from models._validation import InsufficientData, as_float_array, difference_sigma, median_of, nanmedian_of, quantiles_of
from models.analysis import SeriesAnalysis
from models.changepoints import PiecewiseLinearSegmenter
from models.daily import DAY, DailyLevels, to_daily
from models.evidence import EvidenceSpec, TrendEvidence, held_evidence
from models.forecast import CeilingForecast, forecast_to_ceiling
from models.regimes import baseline_level, highest_held, onset_index, recent_trend, window_level
from models.seasonality import SeasonalProfile
from models.trend import RobustTrend

WIDE_RANGE = 4.0  # a positive series spanning this ratio (p95/p5) is analysed in logs
PEAK_DAYS = 28  # days over which the typical daily peak above the level is measured


class SeriesAnalyzer(BaseEstimator):
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
    drift_window_days : int
        Window over which growth is measured for ``window_baseline`` (how fast it worsens now).
    evidence : EvidenceSpec
        Windows and scales of the evidence (chosen by the detection policy).

    The analysis is evidence only (slopes with standard errors, levels, ages, held levels); the
    detector's policy decides what is a finding.
    """

    def __init__(
        self,
        seasonality: str = "auto",
        min_regime_days: int = 14,
        penalty: float = 1.0,
        confidence: float = 0.8,
        drift_window_days: int = 90,
        evidence: EvidenceSpec = EvidenceSpec(),
    ) -> None:
        self.seasonality = seasonality
        self.min_regime_days = min_regime_days
        self.penalty = penalty
        self.confidence = confidence
        self.drift_window_days = drift_window_days
        self.evidence = evidence

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
    ) -> SeriesAnalyzer:
        """Fit on ``values`` sampled every ``step`` s from unix time ``start``; ``now`` defaults to the end.

        ``censor_at``: samples at or above it are lower bounds (a histogram's top finite bucket).
        ``ceiling``: the limit (same units); ``direction`` "down" means falling is bad.
        """
        raw = as_float_array(values)
        if np.isfinite(raw).sum() < 2:
            raise InsufficientData("at least two finite values are needed")
        sign = -1.0 if direction == "down" else 1.0
        y = sign * raw
        censored = np.zeros(len(raw), bool)
        if censor_at is not None and direction == "up":
            censored = np.isfinite(raw) & (raw >= censor_at * (1 - 1e-9))
        now = start + step * len(raw) if now is None else now
        seasonal = SeasonalProfile(self.seasonality).fit(y, start, step, exclude=censored)
        daily = to_daily(seasonal.transform(y), start, step, censored, peaks_of=y)
        usable = np.where(daily.censored, np.nan, daily.values)
        if np.isfinite(usable).sum() < 3:
            raise InsufficientData("fewer than 3 days with enough uncensored data")
        domain, z, segmenter = self._segment(usable)
        sigma = difference_sigma(z)
        x_now = now / DAY - daily.day0 - 0.5
        segments = segmenter.segments_
        regime = segments[-1].start
        if np.isfinite(z[regime:]).sum() < max(3, self.min_regime_days // 2) and len(segments) > 1:
            regime = segments[-2].start  # e.g. a censored plateau at the end
        days = np.arange(len(z), dtype=float)
        trend = RobustTrend(self.confidence, self.evidence.heavy_tail_share).fit(days[regime:], z[regime:])
        level = float(trend.predict(x_now))
        onset = onset_index(segments, regime, max(sigma, segmenter.sigma_))
        baseline_z = baseline_level(z, onset, trend)
        to_unit = (lambda v: float(np.exp(v))) if domain == "log" else float
        current = to_unit(level)
        per_day = max(1, int(round(DAY / step)))
        last_day = raw[-per_day:]
        censored_now = bool(daily.censored[-1] or censored[-per_day:].mean() >= 0.5)
        if censored_now and censor_at is not None:
            current = max(current, float(censor_at))
        recent_level = nanmedian_of(z[-3:]) if np.isfinite(z[-3:]).any() else level
        # New ground or old ground? Before the worsening began, did the series already sit this
        # high? Then the rise is a recovery (a cache warming up again) or an excursion of a
        # mean-reverting load, not a slow build-up toward a limit.
        prior = z[: min(onset, regime)]
        prior_days = int(np.isfinite(prior).sum())
        highest_before = highest_held(prior, self.evidence.old_ground_hold_days) if prior_days else float("nan")
        previous_end = float("nan")
        if onset < regime:
            previous = next(s for s in reversed(segments) if s.start < regime)
            previous_end = previous.value_at(regime - 1)
        slope_se = _slope_se(trend, days[regime:], z[regime:], segmenter.sigma_)
        slope_interval = _interval(trend, slope_se, self.confidence)
        forecast = None
        if ceiling is not None and np.isfinite(ceiling):
            forecast = self._forecast(sign * ceiling, domain, daily, z, regime, trend, slope_interval, x_now, censored_now, current)
        scale = current if domain == "log" else 1.0
        unit_interval = sorted((sign * slope_interval[0] * scale, sign * slope_interval[1] * scale))
        self.analysis_ = SeriesAnalysis(
            direction=direction,
            daily=daily,
            domain=domain,
            segments=segments,
            seasonal_periods=seasonal.periods_,
            noise_sigma=sigma,
            now_day=now / DAY,
            regime_start_day=daily.day0 + regime,
            onset_day=daily.day0 + onset,
            history_before_onset_days=int(np.isfinite(z[:onset]).sum()),
            baseline=sign * to_unit(baseline_z),
            current=sign * current,
            window_baseline=sign * to_unit(window_level(z, x_now - self.drift_window_days, onset, baseline_z)),
            slope_per_day=sign * trend.slope_ * scale,
            slope_interval=(unit_interval[0], unit_interval[1]),
            trend=TrendEvidence(trend.slope_, slope_se, trend.n_effective_),
            recent_trend=recent_trend(
                days,
                z,
                regime,
                trend,
                self.evidence.deceleration_window_days,
                self.evidence.deceleration_min_days,
                self.evidence.heavy_tail_share,
            ),
            regime_days=len(z) - regime,
            continues_run=onset < regime,
            recent_level=float(recent_level),
            previous_level_end=float(previous_end),
            baseline_level=float(baseline_z),
            long_run_sigma=float(segmenter.sigma_),
            prior_days=prior_days,
            highest_before=float(highest_before),
            held=held_evidence(raw, start, step, self.evidence, direction),
            censored_now=censored_now,
            current_raw=nanmedian_of(last_day) if np.isfinite(last_day).any() else float("nan"),
            ceiling=ceiling,
            forecast=forecast,
        )
        return self

    def _segment(self, usable: np.ndarray) -> tuple[str, np.ndarray, PiecewiseLinearSegmenter]:
        """Segment in the linear and (for positive series) log domain; keep the simpler description:
        fewer regimes first, then the smaller residual cost in short-run noise units (log must win
        by 10 %: growth is read as multiplicative only when the data says so). A positive series
        spanning more than ``WIDE_RANGE`` is analysed in logs directly."""
        finite = usable[np.isfinite(usable)]
        candidates = []
        positive = finite.size > 0 and finite.min() > 0
        low, high = quantiles_of(finite, 0.05, 0.95) if positive else (1.0, 1.0)
        spread = high / low
        for domain in ("log", "linear") if spread >= WIDE_RANGE else ("linear", "log"):
            if domain == "log" and not positive:
                break
            z = np.log(usable) if domain == "log" else usable
            segmenter = regime_segmenter(self.min_regime_days, self.penalty).fit(z)
            short = difference_sigma(z) or segmenter.sigma_
            fit_cost = segmenter.cost_ * (segmenter.sigma_ / short) ** 2 * (1.0 if domain == "log" else 0.9)
            candidates.append((len(segmenter.breakpoints_), fit_cost, domain, z, segmenter))
            if len(segmenter.breakpoints_) == 0 or spread < 1.5 or spread >= WIDE_RANGE:
                break  # one line already fits; or the range is too narrow to tell, or so wide
                # (an order of magnitude) that only multiplicative growth makes sense
        best = min(candidates, key=lambda c: (c[0], c[1]))
        return best[2], best[3], best[4]

    def _forecast(
        self,
        ceiling: float,
        domain: str,
        daily: DailyLevels,
        z: np.ndarray,
        regime: int,
        trend: RobustTrend,
        slope_interval: tuple[float, float],
        x_now: float,
        censored_now: bool,
        current: float,
    ) -> CeilingForecast | None:
        """ETA of the level plus its typical daily peak reaching the ceiling."""
        if domain == "log" and ceiling <= 0:
            return None
        excursion, spread = _peak_excursion(daily, z, domain)
        target = (np.log(ceiling) if domain == "log" else ceiling) - excursion
        level = float(trend.predict(x_now))
        if censored_now:
            level = max(level, float(np.log(current)) if domain == "log" else current)
        forecast = forecast_to_ceiling(level, trend.level_se(x_now), trend.slope_, slope_interval, target, self.confidence, spread)
        if domain == "log":
            # growth read as multiplicative may still be linear: the latest ETA must allow for that
            linear = RobustTrend(self.confidence, self.evidence.heavy_tail_share).fit(
                np.arange(regime, len(z), dtype=float), np.exp(z[regime:])
            )
            alt = forecast_to_ceiling(
                float(linear.predict(x_now)), 0.0, linear.slope_, linear.slope_interval_, float(np.exp(target)), self.confidence
            )
            forecast = forecast.with_upper(max(forecast.eta_upper_days, alt.eta_days))
        elif ceiling > 0 and np.nanmin(z[regime:]) > 0:
            # growth read as additive may still be multiplicative, with a daily peak that grows with
            # the level: the earliest ETA must allow for that (a least-squares line in logs is enough
            # for a bound, and costs a fraction of a second Theil-Sen fit)
            logs = np.log(z[regime:])
            days = np.arange(regime, len(z), dtype=float)
            ok = np.isfinite(logs)
            if ok.sum() >= 3:
                slope = _ols_slope(days[ok], logs[ok])
                log_level = float(logs[ok].mean() + slope * (x_now - days[ok].mean()))
                log_target = float(np.log(ceiling)) - _peak_excursion(daily, np.log(np.where(z > 0, z, np.nan)), "log")[0]
                alt = forecast_to_ceiling(log_level, 0.0, slope, (slope, slope), log_target, self.confidence)
                forecast = forecast.with_lower(min(forecast.eta_lower_days, alt.eta_days))
        return forecast


def regime_segmenter(min_regime_days: int = 14, penalty: float = 1.0) -> PiecewiseLinearSegmenter:
    """The change point model as the pipeline runs it on daily levels: regimes at least
    ``min_regime_days`` long, except the last, which may be half that (a change that began a
    week ago is seen then, and judged at ``NEW_SIGNIFICANCE``)."""
    return PiecewiseLinearSegmenter(penalty=penalty, min_size=min_regime_days, min_last_size=max(3, min_regime_days // 2))


def _peak_excursion(daily: DailyLevels, z: np.ndarray, domain: str) -> tuple[float, float]:
    """Typical height of a day's peak above its level over the last weeks (cycles, sawtooth,
    spikes): the ceiling is hit at the peak, not at the median; and the day-to-day standard
    deviation of that height (0 without peaks)."""
    if daily.peaks is None:
        return 0.0, 0.0
    peaks = daily.peaks[-PEAK_DAYS:]
    with np.errstate(invalid="ignore", divide="ignore"):
        peaks = np.log(np.where(peaks > 0, peaks, np.nan)) if domain == "log" else peaks
    gap = peaks - z[-PEAK_DAYS:]
    gap = gap[np.isfinite(gap)]
    if not gap.size:
        return 0.0, 0.0
    return max(median_of(gap), 0.0), float(np.std(gap))


def _slope_se(trend: RobustTrend, x: np.ndarray, z: np.ndarray, long_run_sigma: float) -> float:
    """Standard error of the regime's slope, honest about two things the fit cannot see:
    the series' whole-history long-run noise (a two-week regime cannot estimate its own
    autocorrelation, and a mean-reverting load wanders for weeks) sets a floor, and curvature
    (how much the slope differs between the regime's halves) adds model uncertainty."""
    floor = long_run_sigma / np.sqrt(trend.sxx_) if trend.sxx_ > 0 else np.inf
    statistical = max(trend.slope_se_, floor)
    ok = np.isfinite(z)
    x, z = x[ok], z[ok]
    if len(x) < 14:
        return float(statistical)
    half = len(x) // 2
    model = abs(_ols_slope(x[half:], z[half:]) - _ols_slope(x[:half], z[:half])) / 2.0
    return float(np.hypot(statistical, model))


def _interval(trend: RobustTrend, se: float, coverage: float) -> tuple[float, float]:
    half = trend.t_quantile(coverage) * se
    return trend.slope_ - half, trend.slope_ + half


def _ols_slope(x: np.ndarray, y: np.ndarray) -> float:
    xc = x - x.mean()
    denom = float((xc * xc).sum())
    return float((xc * (y - y.mean())).sum() / denom) if denom > 0 else 0.0
