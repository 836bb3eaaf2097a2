"""A self-contained HTML report of a backtest: summary tables and, per flagged series, one plot with
the data, regimes and changepoints, the ceiling, the forecast cone at our first flag, our first
flag, the baseline's first alert and the incident."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from detector.backtest import SeriesTimeline  # noqa: E402
from detector.backtest_summary import render_summary  # noqa: E402
from detector.config import Config  # noqa: E402
from detector.errors import SinkError  # noqa: E402
from detector.incidents import Incident, incident_for  # noqa: E402
from detector.series import SeriesKey, SeriesSet  # noqa: E402
from models.analysis import SeriesAnalysis  # noqa: E402

_STYLE = """body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}
pre{background:#f6f6f6;padding:1em;overflow-x:auto}h2{margin-top:2em;font-size:1.1em}img{max-width:100%}
.summary{color:#444}"""


def write_report(
    path: Path, document: dict[str, Any], timelines: dict[SeriesKey, SeriesTimeline], data: SeriesSet,
    config: Config, incidents: list[Incident], end: pd.Timestamp,
) -> None:
    baseline_first = {(b["signal"], tuple(sorted(b["labels"].items()))): b["first_flagged"] for b in document["baseline"]}
    sections = []
    for key in sorted(timelines):
        line = timelines[key]
        incident = incident_for(key, incidents)
        if line.first_flag is None and incident is None:
            continue
        analysis = line.first_flag_analysis or line.last_analysis
        image = _plot(key, data, config, analysis, line, incident, baseline_first.get((key.signal, key.labels)))
        summary = html.escape(line.first_flag.summary if line.first_flag else "never flagged")
        sections.append(f"<h2>{html.escape(str(key))}</h2><p class='summary'>{summary}</p><img alt='{html.escape(str(key))}' src='data:image/png;base64,{image}'>")
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>slowburn backtest</title>"
        f"<style>{_STYLE}</style></head><body><h1>slowburn backtest</h1>"
        f"<pre>{html.escape(render_summary(document))}</pre>{''.join(sections)}</body></html>"
    )
    try:
        path.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise SinkError(f"cannot write the report: {exc.strerror}", location=str(path)) from None


def _plot(
    key: SeriesKey, data: SeriesSet, config: Config, analysis: SeriesAnalysis | None, line: SeriesTimeline,
    incident: Incident | None, baseline_first: str | None,
) -> str:
    fig, ax = plt.subplots(figsize=(11, 3.6), dpi=80)
    series = data.of(key.signal).get(key.labels)
    if series is not None:
        ax.plot(series.index, series.to_numpy(), color="#bbbbbb", lw=0.6, label="data (hourly)")
    signal = config.signal(key.signal)
    if analysis is not None:
        _draw_analysis(ax, analysis)
    _draw_ceiling(ax, signal, data, key)
    if line.first_flag is not None:
        ax.axvline(line.first_flag.evaluated_at, color="#2a9d2a", lw=1.5, label=f"slowburn first flag {line.first_flag.evaluated_at:%Y-%m-%d}")
    if baseline_first:
        ax.axvline(pd.Timestamp(baseline_first), color="#e08a00", lw=1.5, ls="--", label=f"predict_linear first alert {baseline_first[:10]}")
    if incident is not None:
        ax.axvline(incident.at, color="#d62728", lw=1.5, label=f"incident {incident.at:%Y-%m-%d}")
    if analysis is not None and analysis.domain == "log" and series is not None and (series.dropna() > 0).all():
        ax.set_yscale("log")
    ax.legend(loc="upper left", fontsize=7, ncol=2)
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _draw_analysis(ax: Any, a: SeriesAnalysis) -> None:
    days = a.daily.day0 + np.arange(len(a.daily.values))
    when = pd.to_datetime((days + 0.5) * 86400, unit="s", utc=True)
    ax.plot(when, _deseasonal_units(a), ".", ms=2.5, color="#1f77b4", label="daily level (deseasonalised)")
    for i, seg in enumerate(a.segments):
        idx = np.arange(seg.start, seg.end)
        ax.plot(when[idx], a.to_unit(seg.intercept + seg.slope * idx), color="#08306b", lw=1.8, label="regimes" if i == 0 else None)
        if i:
            ax.axvline(when[seg.start], color="#08306b", lw=0.8, ls=":")
    if a.forecast is not None:
        ahead = np.linspace(0, 120, 60)
        median, lower, upper = a.forecast.cone(ahead)
        future = pd.to_datetime((a.now_day + ahead) * 86400, unit="s", utc=True)
        lo, hi = np.sort(np.vstack([a.to_unit(lower), a.to_unit(upper)]), axis=0)
        ax.fill_between(future, lo, hi, color="#9467bd", alpha=0.2, label="forecast cone at first flag")
        ax.plot(future, a.to_unit(median), color="#9467bd", lw=1.2)


def _deseasonal_units(a: SeriesAnalysis) -> np.ndarray:
    values = a.daily.values
    return -values if a.direction == "down" else values


def _draw_ceiling(ax: Any, signal: Any, data: SeriesSet, key: SeriesKey) -> None:
    if signal.ceiling is None:
        return
    if signal.ceiling_signal is None:
        ax.axhline(float(signal.ceiling), color="#d62728", lw=1, ls="-.", label=f"ceiling {signal.ceiling:g}")
        return
    ceiling = data.of(signal.ceiling_signal).get(key.labels)
    if ceiling is not None:
        ax.plot(ceiling.index, ceiling.to_numpy(), color="#d62728", lw=1, ls="-.", label=f"ceiling ({signal.ceiling_signal})")
