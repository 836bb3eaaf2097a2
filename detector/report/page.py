"""The risk report of one evaluation (``slowburn run --report``): series at risk ranked by urgency
with a plot each, then the quiet series, then the skipped and failed signals and the notes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from detector.core.evaluation import Evaluation
from detector.core.instants import iso_utc
from detector.core.units import format_value
from detector.report import cells
from detector.report.output import write_page
from detector.report.plot import plot_series
from detector.report.ranking import RiskRow, driver_text, quiet_rows, rank_risks
from detector.report.shell import PageFacts, esc, page, severity_badge

PlotFor = Callable[[RiskRow], str | None]
MAX_PLOTS = 50  # plots for the most urgent rows only: a fleet with hundreds at risk still gets a light page


@dataclass(frozen=True)
class SignalFacts:
    """Per signal: the runbook link and the ETA interval's confidence (from the config)."""

    runbooks: Mapping[str, str]
    confidence: Mapping[str, float]

    @classmethod
    def of(cls, config: Any) -> SignalFacts:
        return cls(
            {s.name: s.annotations["runbook_url"] for s in config.signals if s.annotations.get("runbook_url")},
            {s.name: s.model.confidence for s in config.signals},
        )

    def confidence_of(self, signal: str) -> float:
        return self.confidence.get(signal, 0.8)


def write_risk_report(path: Path, evaluation: Evaluation, facts: PageFacts, signals: SignalFacts) -> int:
    """Write the page atomically; returns the number of series at risk. ``OSError`` is the caller's to map."""
    rows = rank_risks(evaluation, signals.runbooks)
    write_page(path, page(facts, risk_body(evaluation, signals, rows)))
    return len(rows)


def risk_body(evaluation: Evaluation, signals: SignalFacts, rows: list[RiskRow] | None = None, plot_for: PlotFor | None = None) -> str:
    """Counts, the ranked table, a plot per row, the quiet table, skipped/failed and notes."""
    rows = rank_risks(evaluation, signals.runbooks) if rows is None else rows
    quiet = quiet_rows(evaluation)
    plot_for = plot_for or (lambda row: _default_plot(row, evaluation.at, signals))
    skipped = sum(1 for status in evaluation.coverage for series in status.series if series.state != "evaluated")
    counts = (
        f"<p class='counts'><strong>{len(rows)} series at risk</strong> · {len(quiet)} quiet · {skipped} skipped · "
        f"{len(evaluation.errors)} failed signal(s) · {len(evaluation.notes)} note(s)</p>"
    )
    return "".join(
        [
            counts,
            "<section id='risks'><h2>At risk, most urgent first</h2>",
            risk_table(rows, evaluation.at, signals) if rows else _nothing(evaluation),
            "</section>",
            "<section id='plots'><h2>Each series at risk</h2>",
            *(_figure(i, row, evaluation.at, plot_for) for i, row in enumerate(rows[:MAX_PLOTS], 1)),
            _more_note(len(rows)),
            "</section>",
            "<section id='quiet'><h2>Quiet series</h2>",
            quiet_table(evaluation),
            "</section>",
            "<section id='skipped'><h2>Skipped and failed signals, notes</h2>",
            skipped_table(evaluation),
            "</section>",
        ]
    )


def risk_table(rows: list[RiskRow], at: pd.Timestamp, signals: SignalFacts) -> str:
    widths = (3, 6, 17, 9, 8, 6, 8, 12, 8, 17, 6)  # percent of the page: the table never scrolls sideways
    cols = "".join(f"<col style='width:{w}%'>" for w in widths)
    head = (
        f"<table class='risks'><colgroup>{cols}</colgroup><thead><tr><th>#</th><th>severity</th><th>series</th><th>finding</th><th>% of ceiling</th>"
        "<th>current</th><th>rate</th><th>ETA (interval)</th><th>onset</th><th>driver</th><th>runbook</th></tr></thead><tbody>"
    )
    body = []
    for i, row in enumerate(rows, 1):
        f, name = row.finding, row.key.signal
        kinds = ", ".join(dict.fromkeys(row.kinds))
        body.append(
            f"<tr class='risk' data-rank='{i}' data-series='{esc(row.key)}' data-eta='{iso_utc(f.eta) or ''}'><td class='num'>{_number(i)}</td>"
            f"<td>{severity_badge(row.severity)}</td><td class='series'>{esc(row.key)}</td><td>{esc(kinds)}</td>"
            f"<td class='num'>{cells.percent(row.used_pct)}</td><td class='num'>{cells.value(row.current, name, f.censored)}</td>"
            f"<td class='num'>{cells.rate(row.rate_per_day, name)}</td><td class='when'>{cells.eta(f, at, signals.confidence_of(name))}</td>"
            f"<td class='day'>{cells.day(f.onset)}</td><td class='driver'>{esc(driver_text(f.driver)) or '—'}</td><td>{cells.link(row.runbook_url)}</td></tr>"
        )
    return head + "".join(body) + "</tbody></table>"


def quiet_table(evaluation: Evaluation) -> str:
    rows = quiet_rows(evaluation)
    if not rows:
        return "<p class='muted'>No quiet series.</p>"
    out = [
        "<table class='quiet'><thead><tr><th>series</th><th>current</th><th>ceiling</th><th>% of ceiling</th>"
        "<th>rate</th><th>informational findings</th></tr></thead><tbody>"
    ]
    for row in rows:
        name = row.key.signal
        infos = "<br>".join(f"{esc(f.kind)}: {esc(f.summary)}" for f in row.infos) or "—"
        ceiling = esc(format_value(row.ceiling, name)) if row.ceiling is not None else "—"
        out.append(
            f"<tr><td class='series'>{esc(row.key)}</td><td class='num'>{cells.value(row.current, name)}</td><td class='num'>{ceiling}</td>"
            f"<td class='num'>{cells.percent(row.used_pct)}</td><td class='num'>{cells.rate(row.rate_per_day, name)}</td><td>{infos}</td></tr>"
        )
    return "".join(out) + "</tbody></table>"


def skipped_table(evaluation: Evaluation) -> str:
    """Every signal not evaluated (skipped, absent, failed) with its reason, every skipped series, then the notes."""
    items: list[tuple[str, str, str]] = [
        (status.state, status.signal, status.reason) for status in evaluation.coverage if status.state != "evaluated"
    ]
    items += [
        (series.state.replace("_", " "), str(series.key), series.reason)
        for status in evaluation.coverage
        for series in status.series
        if series.state != "evaluated"
    ]
    covered = {status.signal for status in evaluation.coverage}
    items += [("failed", name, str(error)) for name, error in sorted(evaluation.errors.items()) if name not in covered]
    items += [("note", note.signal, str(note)) for note in evaluation.notes]
    if not items:
        return "<p class='muted'>Every configured signal was evaluated; no notes.</p>"
    rows = "".join(
        f"<tr><td>{esc(state)}</td><td class='series'>{esc(signal) or '—'}</td><td>{esc(reason)}</td></tr>"
        for state, signal, reason in items
    )
    return f"<table class='skipped'><thead><tr><th>state</th><th>signal or series</th><th>reason</th></tr></thead><tbody>{rows}</tbody></table>"


def _number(i: int) -> str:
    """The rank, linking to its plot when it has one."""
    return f"<a href='#plot-{i}'>{i}</a>" if i <= MAX_PLOTS else str(i)


def _nothing(evaluation: Evaluation) -> str:
    """No row: say whether that is good news or nothing could be judged."""
    failed = len(evaluation.errors)
    if not failed and evaluation.coverage and not evaluation.analyses:
        return "<p class='alarm'><strong>Nothing was evaluated</strong>: no series could be judged yet (see below). This is not an all-clear.</p>"
    if failed and not evaluation.analyses:
        return (
            f"<p class='alarm'><strong>Nothing was evaluated</strong>: {failed} signal(s) failed (see below). This is not an all-clear.</p>"
        )
    if failed:
        return (
            f"<p class='alarm'>No finding of warning or worse among the series evaluated, but {failed} signal(s) failed "
            "and were not judged (see below).</p>"
        )
    return "<p>Nothing at risk: no finding of warning or worse.</p>"


def _more_note(count: int) -> str:
    if count <= MAX_PLOTS:
        return ""
    return f"<p class='muted'>Plots for the {MAX_PLOTS} most urgent series; the other {count - MAX_PLOTS} are in the table above.</p>"


def _figure(i: int, row: RiskRow, at: pd.Timestamp, plot_for: PlotFor) -> str:
    caption = f"At the evaluation of {at:%Y-%m-%d %H:%M} UTC: {row.finding.summary}"
    image = plot_for(row)
    img = (
        f"<img alt='plot of {esc(row.key)}' src='data:image/png;base64,{image}'>"
        if image
        else "<p class='muted'>A configuration finding: no series to plot.</p>"
    )
    return (
        f"<figure id='plot-{i}'><h3>{i}. {severity_badge(row.severity)} {esc(row.key)}</h3>"
        f"<figcaption>{esc(caption)}</figcaption>{img}</figure>"
    )


def _default_plot(row: RiskRow, at: pd.Timestamp, signals: SignalFacts) -> str | None:
    if row.analysis is None:
        return None
    return plot_series(row.key, row.analysis, row.finding, at, confidence=signals.confidence_of(row.key.signal))
