"""Pick the driver series that best explains a finding's series (models.drivers does the statistics)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from detector.configuration.schema import Signal
from detector.core.findings import DriverLink
from detector.core.instants import from_day, from_unix
from detector.core.series import SeriesKey
from detector.policy.thresholds import Drivers
from models.analysis import SeriesAnalysis
from models.drivers import link_driver


def best_driver(
    signal: Signal, key: SeriesKey, analysis: SeriesAnalysis, analyses: Mapping[SeriesKey, SeriesAnalysis], policy: Drivers = Drivers()
) -> DriverLink | None:
    """Among the signal's declared drivers, the series that moves with this one, preferring the most
    recent coinciding changepoint, then the strongest significant lagged correlation."""
    own = dict(key.labels)
    links: list[tuple[tuple, DriverLink]] = []
    target_breaks = [b - analysis.daily.day0 for b in analysis.breakpoint_days] + [analysis.onset_day - analysis.daily.day0]
    for driver_name in signal.drivers:
        for driver_key in analyses:  # the keys first: only a matching driver's analysis is read (it may be packed)
            if driver_key.signal != driver_name or not _labels_compatible(own, dict(driver_key.labels)):
                continue
            driver = analyses[driver_key]
            driver_breaks = [b - driver.daily.day0 for b in driver.breakpoint_days]
            evidence = link_driver(
                analysis.daily.values,
                analysis.daily.day0,
                sorted(set(target_breaks)),
                driver.daily.values,
                driver.daily.day0,
                driver_breaks,
                tolerance_days=policy.coincidence_days,
                max_lag_days=policy.max_lag_days,
                window_days=policy.window_days,
                min_step=policy.min_step,
                recent_step_ratio=policy.recent_step_ratio,
                correlation_sigmas=policy.correlation_sigmas,
            )
            if not evidence.linked:
                continue
            day = evidence.coincident_day
            link = DriverLink(
                signal=driver_name,
                labels=driver_key.labels,
                changepoint=from_day(day) if day is not None else None,
                step_ratio=evidence.step_ratio,
                lag_days=evidence.lag_days,
                correlation=evidence.correlation,
            )
            rank = (1 if day is not None else 0, day or 0, abs(evidence.correlation))
            links.append((rank, link))
    if not links:
        return None
    return max(links, key=lambda item: item[0])[1]


def _labels_compatible(a: dict[str, str], b: dict[str, str]) -> bool:
    """Series can be related when every label name they share has the same value."""
    return all(a[name] == b[name] for name in a.keys() & b.keys())


def shift_driver(
    signal: Signal, key: SeriesKey, analysis: SeriesAnalysis, analyses: Mapping[SeriesKey, SeriesAnalysis], policy: Drivers = Drivers()
) -> DriverLink | None:
    """For a series whose level jumped in its last hours: the declared driver whose own held level
    jumped (by ``recent_step_ratio``) at or before it, the largest jump first."""
    start = analysis.held.shift_start
    if not np.isfinite(start):
        return None
    own = dict(key.labels)
    best: tuple[float, DriverLink] | None = None
    for driver_name in signal.drivers:
        for driver_key in analyses:  # the keys first: only a matching driver's analysis is read (it may be packed)
            if driver_key.signal != driver_name or not _labels_compatible(own, dict(driver_key.labels)):
                continue
            driver = analyses[driver_key]
            held = driver.held
            ratio = held.shift_ratio
            if not (np.isfinite(held.shift_start) and held.shift_start <= start and ratio >= policy.recent_step_ratio):
                continue
            link = DriverLink(
                signal=driver_name,
                labels=driver_key.labels,
                changepoint=from_unix(held.shift_start).floor("h"),
                step_ratio=float(ratio) if np.isfinite(ratio) else None,
                lag_days=0,
                correlation=0.0,
            )
            if best is None or ratio > best[0]:
                best = (float(ratio), link)
    return best[1] if best else None
