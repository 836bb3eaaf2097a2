"""The backtest report: on top, the risk view at the last evaluation (the same page ``run --report``
writes, with the raw samples); then the replay's scores; then, sorted by risk, one plot per series
that was flagged or had an incident, at the evaluation of its first flag, with that date in the
sentence, our first flag, the predict_linear rule's first alert and the incident marked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from detector import __version__
from detector.backtest.incidents import Incident, incident_for
from detector.backtest.replay import SeriesTimeline
from detector.backtest.summary import render_summary
from detector.configuration.schema import Config
from detector.core.instants import from_day
from detector.core.series import SeriesKey, SeriesSet
from detector.engine.evaluate import evaluate
from detector.errors import SinkError
from detector.report.output import write_page
from detector.report.page import SignalFacts, risk_body
from detector.report.plot import Event, plot_series
from detector.report.ranking import RiskRow, rank_risks
from detector.report.shell import PageFacts, esc, page, severity_badge


def write_report(
    path: Path,
    document: dict[str, Any],
    timelines: dict[SeriesKey, SeriesTimeline],
    data: SeriesSet,
    config: Config,
    incidents: list[Incident],
    end: pd.Timestamp,
    *,
    config_path: str = "n/a",
    now: Callable[[], pd.Timestamp] | None = None,
) -> None:
    """Write the report for a replay whose last evaluation is ``end``; ``SinkError`` if it cannot be written."""
    clock = now or (lambda: pd.Timestamp.now(tz="UTC"))
    signals = SignalFacts.of(config)
    last = evaluate(config, data, end)
    rows = rank_risks(last, signals.runbooks)
    facts = PageFacts(
        "slowburn backtest report",
        clock(),
        last.at,
        __version__,
        config_path,
        {
            "replay": f"{document['evaluations']} evaluations, {document['first_evaluation']} to {document['last_evaluation']}",
        },
    )
    body = "".join(
        [
            "<h2 style='border:0;margin-top:.5em'>Risk at the last evaluation</h2>",
            risk_body(last, signals, rows, plot_for=lambda row: _plot_now(row, last.at, data, config, signals)),
            "<section id='replay'><h2>Replay scores</h2><pre>",
            esc(render_summary(document)),
            "</pre></section>",
            "<section id='history'><h2>Every flagged or incident series over the replay, by risk</h2>",
            *_history(document, timelines, data, config, incidents, rows, signals),
            "</section>",
        ]
    )
    try:
        write_page(path, page(facts, body))
    except OSError as exc:
        raise SinkError(f"cannot write the report: {exc.strerror or exc}", location=str(path)) from None


def history_order(timelines: dict[SeriesKey, SeriesTimeline], incidents: list[Incident], rows: list[RiskRow]) -> list[SeriesKey]:
    """Series flagged at least once or with an incident: at risk now first (in risk order), then by
    the severity of their first flag, then the earliest first flag, then name."""
    place = {row.key: i for i, row in enumerate(rows)}
    shown = [k for k, line in timelines.items() if line.first_flag is not None or incident_for(k, incidents) is not None]

    def order(key: SeriesKey) -> tuple[int, int, pd.Timestamp, str]:
        flag = timelines[key].first_flag
        when = flag.evaluated_at if flag is not None else pd.Timestamp.max.tz_localize("UTC")
        return place.get(key, len(place)), -(flag.rank if flag else -1), when, str(key)

    return sorted(shown, key=order)


def _history(
    document: dict[str, Any],
    timelines: dict[SeriesKey, SeriesTimeline],
    data: SeriesSet,
    config: Config,
    incidents: list[Incident],
    rows: list[RiskRow],
    signals: SignalFacts,
) -> list[str]:
    baseline_first = {(b["signal"], tuple(sorted(b["labels"].items()))): b["first_flagged"] for b in document["baseline"]}
    out = []
    for key in history_order(timelines, incidents, rows):
        line = timelines[key]
        flag = line.first_flag
        analysis = line.first_flag_analysis if flag is not None else line.last_analysis
        if analysis is None:
            continue
        events = []
        if flag is not None:
            events.append(Event(flag.evaluated_at, "first_flag", f"slowburn first flag {flag.evaluated_at:%Y-%m-%d} ({flag.severity})"))
        first_alert = baseline_first.get((key.signal, key.labels))
        if first_alert:
            events.append(Event(pd.Timestamp(first_alert), "baseline", f"predict_linear first alert {first_alert[:10]}"))
        incident = incident_for(key, incidents)
        if incident is not None:
            events.append(Event(incident.at, "incident", f"incident {incident.at:%Y-%m-%d} ({incident.role})"))
        at = flag.evaluated_at if flag is not None else from_day(analysis.now_day)
        samples, ceiling = _series(key, data, config)
        image = plot_series(
            key, analysis, flag, at, confidence=signals.confidence_of(key.signal), samples=samples, ceiling_series=ceiling, events=events
        )
        if flag is not None:
            sentence = f"At the first flag, the evaluation of {at:%Y-%m-%d %H:%M} UTC: {flag.summary}"
        else:
            sentence = f"Never flagged; shown as of the last evaluation, {at:%Y-%m-%d %H:%M} UTC."
        badge = severity_badge(flag.severity) if flag is not None else ""
        out.append(
            f"<figure><h3>{badge} {esc(key)}</h3><figcaption>{esc(sentence)}</figcaption>"
            f"<img alt='replay of {esc(key)}' src='data:image/png;base64,{image}'></figure>"
        )
    return out


def _plot_now(row: RiskRow, at: pd.Timestamp, data: SeriesSet, config: Config, signals: SignalFacts) -> str | None:
    if row.analysis is None:
        return None
    samples, ceiling = _series(row.key, data, config)
    return plot_series(
        row.key, row.analysis, row.finding, at, confidence=signals.confidence_of(row.key.signal), samples=samples, ceiling_series=ceiling
    )


def _series(key: SeriesKey, data: SeriesSet, config: Config) -> tuple[pd.Series | None, pd.Series | None]:
    samples = data.of(key.signal).get(key.labels)
    names = {s.name for s in config.signals}
    signal = config.signal(key.signal) if key.signal in names else None
    ceiling_name = getattr(signal, "ceiling_signal", None)
    ceiling = data.of(ceiling_name).get(key.labels) if isinstance(ceiling_name, str) else None
    return samples, ceiling
