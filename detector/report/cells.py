"""Table cells of the risk report: values in the series' units, ETA with its interval, links."""

from __future__ import annotations

import pandas as pd

from detector.core.findings import Finding, Kind
from detector.core.units import format_day, format_value
from detector.report.shell import esc

HIGH_SHARE = 90.0  # % of the ceiling from which the bar is red
MID_SHARE = 50.0  # ... orange; grey below


def percent(used: float | None) -> str:
    """'87%' with a bar as long as the share (capped at 100 %), or '—' without a ceiling."""
    if used is None:
        return "—"
    text = f"{used:.0f}%" if used >= 10 else f"{used:.1f}%"
    width = max(1, min(100.0, used) * 0.6)
    return f"{text}<span class='bar {bar_class(used)}' style='width:{width:.0f}px'></span>"


def bar_class(used: float) -> str:
    return "bar-high" if used >= HIGH_SHARE else "bar-mid" if used >= MID_SHARE else "bar-low"


def value(amount: float | None, signal: str, censored: bool = False) -> str:
    if amount is None:
        return "—"
    return ("≥ " if censored else "") + esc(format_value(amount, signal))


def rate(per_day: float | None, signal: str) -> str:
    """'+1.2 GiB/day', '-30 ms/day', '0/day'."""
    if per_day is None:
        return "—"
    if per_day == 0:
        return "0/day"
    sign = "+" if per_day > 0 else "−"
    return f"{sign}{esc(format_value(abs(per_day), signal))}/day"


def eta(finding: Finding, at: pd.Timestamp, confidence: float) -> str:
    """'2026-03-06 (in 6 d)' and its interval below; 'now (at the ceiling)'; '—' without an ETA."""
    if finding.eta is None:
        return "—"
    if finding.kind == Kind.AT_CEILING or finding.eta_upper is not None and finding.eta_upper <= at:
        return "<strong>now</strong> (at the ceiling)"
    days = (finding.eta - at) / pd.Timedelta(days=1)
    when = f"in {days:.0f} d" if days >= 1 else "now" if days <= 0 else "within a day"
    head = f"<strong>{format_day(finding.eta)}</strong> ({when})"
    if finding.eta_lower is None or finding.eta_upper is None:
        return head
    return (
        f"{head}<br><span class='muted'>{confidence * 100:.0f}%: {format_day(finding.eta_lower)} to {format_day(finding.eta_upper)}</span>"
    )


def link(url: str | None) -> str:
    """An http(s) link named 'runbook'; other text is shown, never linked."""
    if not url:
        return "—"
    if url.startswith(("https://", "http://")):
        return f"<a href='{esc(url)}'>runbook</a>"
    return esc(url)


def day(ts: pd.Timestamp | None) -> str:
    return "—" if ts is None else esc(format_day(ts))
