"""One plot per series, the same style in the risk and backtest reports: daily levels, fitted regimes,
the onset named, the ceiling in its own colour, the forecast cone and the ETA band at the evaluation
time, human units on both axes and the legend beside (never over) the data. Returns a PNG as base64."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter

from detector.core.findings import Finding
from detector.core.instants import DAY
from detector.core.series import SeriesKey
from detector.report.axis_units import axis_unit

COLOURS = {
    "samples": "#c7c7c7",
    "level": "#1f77b4",
    "regime": "#08306b",
    "onset": "#c51b7d",
    "ceiling": "#d62728",
    "cone": "#9467bd",
    "eta": "#e08214",
    "now": "#4d4d4d",
    "first_flag": "#1a9850",
    "baseline": "#8c564b",
    "incident": "#000000",
}


@dataclass(frozen=True)
class Event:
    """A dated vertical line: ``kind`` picks its colour (first_flag, baseline, incident)."""

    at: pd.Timestamp
    kind: str
    label: str


def plot_series(key: SeriesKey, analysis: Any, finding: Finding | None, evaluated_at: pd.Timestamp, **options: Any) -> str:
    """``figure_for`` as a base64 PNG (legend included: the image is cropped to what is drawn)."""
    buffer = io.BytesIO()
    figure_for(key, analysis, finding, evaluated_at, **options).savefig(buffer, format="png", bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def figure_for(
    key: SeriesKey,
    analysis: Any,
    finding: Finding | None,
    evaluated_at: pd.Timestamp,
    *,
    confidence: float = 0.8,
    samples: pd.Series | None = None,
    ceiling_series: pd.Series | None = None,
    events: Sequence[Event] = (),
) -> Figure:
    """The plot of ``analysis`` (a models SeriesAnalysis) as evaluated at ``evaluated_at``."""
    fig = Figure(figsize=(12, 4.2), dpi=90)
    ax = fig.add_subplot(1, 1, 1)
    sign = -1.0 if analysis.direction == "down" else 1.0
    days = analysis.daily.day0 + np.arange(len(analysis.daily.values))
    when = _dates(days + 0.5)
    level = sign * np.asarray(analysis.daily.values, dtype=float)
    shown = [level]
    if samples is not None and len(samples):
        ax.plot(samples.index, samples.to_numpy(), color=COLOURS["samples"], lw=0.6, label="samples")
        shown.append(samples.to_numpy(dtype=float))
    ax.plot(when, level, ".", ms=3, color=COLOURS["level"], label="daily level (seasonality removed)")
    _draw_regimes(ax, analysis, when)
    ceiling = _draw_ceiling(ax, key, analysis, ceiling_series)
    _draw_forecast(ax, key, analysis, finding, evaluated_at, confidence)  # clipped to the data's range, never widening it
    _draw_onset(ax, analysis, finding)
    ax.axvline(evaluated_at, color=COLOURS["now"], lw=1, label=f"evaluated {evaluated_at:%Y-%m-%d %H:%M} UTC")  # type: ignore[arg-type]  # matplotlib's stub says float; its date converter takes a Timestamp
    for event in events:
        style = "--" if event.kind == "baseline" else "-"
        ax.axvline(event.at, color=COLOURS[event.kind], lw=1.8, ls=style, label=event.label)  # type: ignore[arg-type]  # matplotlib's stub says float; its date converter takes a Timestamp
    _axes(ax, key, analysis, shown, ceiling)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, frameon=False, borderaxespad=0)
    return fig


def _dates(days: np.ndarray) -> pd.DatetimeIndex:
    return pd.to_datetime(np.asarray(days, dtype=float) * DAY, unit="s", utc=True)


def _draw_regimes(ax: Any, a: Any, when: pd.DatetimeIndex) -> None:
    for i, seg in enumerate(a.segments):
        idx = np.arange(seg.start, min(seg.end, len(when)))
        ax.plot(
            when[idx],
            a.to_unit(seg.intercept + seg.slope * idx),
            color=COLOURS["regime"],
            lw=1.8,
            label="fitted trend per regime" if i == 0 else None,
        )
        if i and seg.start < len(when):
            ax.axvline(when[seg.start], color=COLOURS["regime"], lw=0.8, ls=":", label="regime change" if i == 1 else None)


def _draw_ceiling(ax: Any, key: SeriesKey, a: Any, ceiling_series: pd.Series | None) -> float | None:
    unit_name = key.signal
    if ceiling_series is not None and len(ceiling_series.dropna()):
        ax.plot(ceiling_series.index, ceiling_series.to_numpy(), color=COLOURS["ceiling"], lw=1.6, ls="-.", label="ceiling (over time)")
        return float(np.nanmax(ceiling_series.to_numpy(dtype=float)))
    if a.ceiling is None or not np.isfinite(a.ceiling):
        return None
    from detector.core.units import format_value

    ax.axhline(a.ceiling, color=COLOURS["ceiling"], lw=1.6, ls="-.", label=f"ceiling {format_value(a.ceiling, unit_name)}")
    return float(a.ceiling)


def _draw_forecast(ax: Any, key: SeriesKey, a: Any, finding: Finding | None, at: pd.Timestamp, confidence: float) -> None:
    """The cone from the evaluation time to past the latest ETA, and the ETA band."""
    fc = a.forecast
    if fc is None:
        return
    upper = fc.eta_upper_days if np.isfinite(fc.eta_upper_days) else 60.0
    horizon = float(min(max(upper * 1.15, 30.0), 365.0))
    ahead = np.linspace(0.0, horizon, 80)
    median, lower, upper_line = fc.cone(ahead)
    future = _dates(a.now_day + ahead)
    lo, hi = np.sort(np.vstack([a.to_unit(lower), a.to_unit(upper_line)]), axis=0)
    pct = f"{confidence * 100:.0f}%"
    ax.fill_between(future, lo, hi, color=COLOURS["cone"], alpha=0.18, lw=0, label=f"forecast level ({pct} cone)")
    ax.plot(future, a.to_unit(median), color=COLOURS["cone"], lw=1.2)
    target = float(a.to_unit(np.array([fc.target]))[0])
    if a.ceiling and abs(target - a.ceiling) > 0.02 * abs(a.ceiling):
        ax.plot(
            [future[0], future[-1]],
            [target, target],
            color=COLOURS["ceiling"],
            lw=0.9,
            ls=":",
            label="level at which daily peaks reach the ceiling",
        )
    if finding is not None and finding.eta is not None and finding.eta > at:
        lo_t = finding.eta_lower or finding.eta
        hi_t = min(finding.eta_upper or finding.eta, future[-1])
        ax.axvspan(
            lo_t,
            hi_t,
            color=COLOURS["eta"],
            alpha=0.18,
            lw=0,
            label=f"ETA {pct} interval {lo_t:%Y-%m-%d} to {(finding.eta_upper or finding.eta):%Y-%m-%d}",
        )
        ax.axvline(finding.eta, color=COLOURS["eta"], lw=1.6, label=f"ETA {finding.eta:%Y-%m-%d}")


def _draw_onset(ax: Any, a: Any, finding: Finding | None) -> None:
    onset = finding.onset if finding is not None else None
    if onset is None and a.onset_day > a.daily.day0:  # the worsening began inside the data
        onset = _dates(np.array([a.onset_day]))[0]
    if onset is None:
        return
    ax.axvline(onset, color=COLOURS["onset"], lw=1.4, ls="--", label=f"onset of the worsening {onset:%Y-%m-%d}")
    ax.text(onset, 0.97, " onset", transform=ax.get_xaxis_transform(), va="top", ha="left", color=COLOURS["onset"], fontsize=9)


def _axes(ax: Any, key: SeriesKey, a: Any, shown: list[np.ndarray], ceiling: float | None) -> None:
    values = np.concatenate([v[np.isfinite(v)] for v in shown if len(v)] or [np.array([0.0])])
    top = max(float(values.max()) if values.size else 0.0, ceiling or 0.0)
    bottom = float(values.min()) if values.size else 0.0
    positive = values.size and bottom > 0
    if a.domain == "log" and positive and top / bottom > 30:
        ax.set_yscale("log")
        ax.set_ylim(bottom / 1.5, top * 1.6)
        ax.yaxis.set_minor_formatter(NullFormatter())
    else:
        low = 0.0 if bottom >= 0 else bottom * 1.1
        ax.set_ylim(low, top * 1.12 if top > 0 else 1.0)
    unit = axis_unit(key.signal, top)
    if ax.get_yscale() == "linear":
        ax.yaxis.set_major_locator(_ScaledLocator(unit.divisor))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: unit.tick(v)))
    ax.set_ylabel(unit.axis_label(key.signal), fontsize=10)
    locator = AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    ax.set_xlabel("date (UTC)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.set_title(str(key), fontsize=10, loc="left")


class _ScaledLocator(MaxNLocator):
    """Round ticks in the axis unit (2, 4, 6 GiB), not in the raw unit (4.66 GiB = 5e9 bytes)."""

    def __init__(self, divisor: float) -> None:
        super().__init__(nbins=6, steps=[1, 2, 2.5, 5, 10])
        self.divisor = divisor

    # matplotlib's stub says Sequence[float]; MaxNLocator itself returns an ndarray, as this does
    def tick_values(self, vmin: float, vmax: float) -> np.ndarray:  # type: ignore[override]
        return np.asarray(super().tick_values(vmin / self.divisor, vmax / self.divisor)) * self.divisor
