"""One finding as an Alertmanager alert: labels, annotations and a link back to the query.

Label precedence follows Prometheus alerting rules: the configured labels (global, then the
signal's) and the reserved ``alertname``, ``signal``, ``severity`` override a series label of the
same name, and the series' own value moves to ``exported_<name>`` so that two series never
collapse into one alert and nothing the series carried is lost. Names that Alertmanager would
refuse (anything but ``[A-Za-z_][A-Za-z0-9_]*``) are rewritten with ``_`` and each rewrite is
reported in ``AlertDraft.notes``. Empty values are left out: in Prometheus an empty label value is
the same as no label. Configured annotations override the computed ones of the same name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from detector.configuration.durations import format_duration
from detector.configuration.schema import Config, Signal
from detector.core.findings import Finding, Kind
from detector.core.instants import DAY, HOUR, iso_utc
from detector.core.units import format_day, format_ratio, format_value

ALERTNAMES: dict[Kind, str] = {
    Kind.BREACH_FORECAST: "SlowburnBreachForecast",
    Kind.AT_CEILING: "SlowburnAtCeiling",
    Kind.SUSTAINED_DRIFT: "SlowburnSustainedDrift",
    Kind.STEP_CHANGE: "SlowburnStepChange",
    Kind.REGIME_SHIFT: "SlowburnRegimeShift",
    Kind.STOPPED_REPORTING: "SlowburnStoppedReporting",
    Kind.LATENT_DEFAULT: "SlowburnLatentDefault",
    Kind.FAIL_OPEN_RISK: "SlowburnFailOpenRisk",
    Kind.DECLARED_DRIFT: "SlowburnDeclaredDrift",
}
KIND_TEXT: dict[Kind, str] = {
    Kind.BREACH_FORECAST: "the trend reaches the ceiling within the horizon",
    Kind.AT_CEILING: "at or past the ceiling now",
    Kind.SUSTAINED_DRIFT: "sustained growth in the bad direction, no ceiling in reach",
    Kind.STEP_CHANGE: "a level shift in the bad direction started the current regime",
    Kind.REGIME_SHIFT: "a sudden level far above everything the series held before, held for hours",
    Kind.STOPPED_REPORTING: "the series stopped reporting; its risk is no longer judged",
    Kind.LATENT_DEFAULT: "a component runs on a default limit known to be too low",
    Kind.FAIL_OPEN_RISK: "a webhook that fails open is about to time out",
    Kind.DECLARED_DRIFT: "a declared size differs from what runs",
}
_VALID_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
RUNBOOKS = "https://github.com/slowburn/slowburn/blob/main/docs/runbooks.md"
"""Default ``runbook_url``: the finding kind's section (``#breach_forecast``); a configured one wins."""


@dataclass(frozen=True)
class AlertDraft:
    """An alert without its times. ``identity`` is the stable key of (signal, series labels, kind)."""

    identity: str
    signal: str
    labels: dict[str, str]
    annotations: dict[str, str]
    generator_url: str
    notes: tuple[str, ...] = ()


def identity_of(finding: Finding) -> str:
    """A string key for (signal, labels, kind): stable across runs, processes and Python versions."""
    return json.dumps([finding.key.signal, [list(pair) for pair in finding.key.labels], finding.kind], separators=(",", ":"))


def build_alert(finding: Finding, config: Config, generator_base: str | None) -> AlertDraft:
    """The alert for ``finding``; ``generator_base`` is the Prometheus UI root (None: no link)."""
    signal = _signal_or_none(config, finding.key.signal)
    notes: list[str] = []
    labels, from_series = _series_labels(finding, notes)
    overlays: list[tuple[str, Mapping[str, str]]] = [("labels", config.labels)]
    if signal is not None:
        overlays.append((f"signals[{signal.name}].labels", signal.labels))
    overlays.append(("slowburn", {"alertname": ALERTNAMES[finding.kind], "signal": finding.key.signal, "severity": finding.severity}))
    for origin, mapping in overlays:
        for name, value in mapping.items():
            clean = _clean_name(name, f"{origin}: label", notes)
            if not clean or value == "":
                continue
            if clean in from_series:
                moved = _free_name(f"exported_{clean}", labels)
                labels[moved] = labels.pop(clean)
                from_series.discard(clean)
                notes.append(f"{finding.key}: series label {clean!r} sent as {moved!r} ({origin} sets {clean!r})")
            labels[clean] = _clean_value(value)
    annotations = _computed_annotations(finding, signal)
    for origin, mapping in (
        ("annotations", config.annotations),
        (f"signals[{finding.key.signal}].annotations", signal.annotations if signal else {}),
    ):
        for name, value in mapping.items():
            clean = _clean_name(name, f"{origin}: annotation", notes)
            if clean and value != "":
                annotations[clean] = _clean_value(value)
    return AlertDraft(
        identity=identity_of(finding),
        signal=finding.key.signal,
        labels=labels,
        annotations=annotations,
        generator_url=generator_url(generator_base, signal),
        notes=tuple(notes),
    )


def generator_url(base: str | None, signal: Signal | None) -> str:
    """Prometheus graph page of the signal's query over its lookback; '' without a base or a query."""
    if not base or signal is None or not signal.query:
        return ""
    days = signal.lookback / DAY
    span = format_duration(signal.lookback) if days < 1 or days == int(days) else f"{max(1, round(signal.lookback / HOUR))}h"
    query = urlencode({"g0.expr": signal.query, "g0.tab": "0", "g0.range_input": span})
    return f"{base.rstrip('/')}/graph?{query}"


def describe(finding: Finding, signal: Signal | None) -> str:
    """The long text of the ``description`` annotation: what, since when, how fast, until when, why."""
    name = finding.key.signal
    lines = []
    if signal is not None and signal.description:
        lines.append(f"{signal.description}.")
    lines.append(f"Series {finding.key}: {finding.kind.replace('_', ' ')} ({KIND_TEXT[finding.kind]}).")
    if finding.onset is not None:
        lines.append(f"Onset: {format_day(finding.onset)} (start of the current worsening).")
    level = f"Now {format_value(finding.current, name)}"
    if finding.censored:
        level += " or more (censored at the top histogram bucket)"
    if finding.baseline is not None:
        level += f", {format_value(finding.baseline, name)} before the onset"
    if finding.magnitude is not None:
        level += f" ({format_ratio(finding.magnitude)})"
    lines.append(level + ".")
    if finding.slope_per_day is not None:
        slope = f"Trend {_signed(finding.slope_per_day, name)}/day"
        if finding.slope_interval is not None:
            low, high = finding.slope_interval
            slope += f" (interval {_signed(low, name)} to {_signed(high, name)})"
        lines.append(slope + ".")
    if finding.ceiling is not None:
        ceiling = f"Ceiling {format_value(finding.ceiling, name)}"
        if finding.eta is not None:
            confidence = int(round((signal.model.confidence if signal else 0.8) * 100))
            upper = format_day(finding.eta_upper) if finding.eta_upper is not None else "never"
            ceiling += f"; reached around {format_day(finding.eta)} ({confidence}% interval {format_day(finding.eta_lower)} to {upper})"
        lines.append(ceiling + ".")
    driver = finding.driver
    if driver is not None:
        text = f"Driver: {driver.signal}{_label_text(driver.labels)}"
        if driver.changepoint is not None:
            step = f"{format_ratio(driver.step_ratio)} step" if driver.step_ratio is not None else "changepoint"
            text += f", {step} on {format_day(driver.changepoint)}"
        text += f", r={driver.correlation:.2f} at a lag of {driver.lag_days} d"
        lines.append(text + ".")
    return "\n".join(lines)


def _computed_annotations(finding: Finding, signal: Signal | None) -> dict[str, str]:
    return {
        "summary": _clean_value(finding.summary),
        "description": _clean_value(describe(finding, signal)),
        "series": _clean_value(str(finding.key)),
        "onset": iso_utc(finding.onset) or "",
        "eta": iso_utc(finding.eta) or "",
        "eta_lower": iso_utc(finding.eta_lower) or "",
        "eta_upper": iso_utc(finding.eta_upper) or "",
        "runbook_url": f"{RUNBOOKS}#{finding.kind}",
    }


def _series_labels(finding: Finding, notes: list[str]) -> tuple[dict[str, str], set[str]]:
    labels: dict[str, str] = {}
    for name, value in finding.key.labels:
        clean = _clean_name(name, f"{finding.key}: label", notes)
        if not clean or value == "":
            continue
        if clean != name and clean in labels:
            clean = _free_name(clean, labels)
        labels[clean] = _clean_value(value)
    return labels, set(labels)


def _clean_name(name: str, origin: str, notes: list[str]) -> str:
    if _VALID_NAME.fullmatch(name):
        return name
    clean = re.sub(r"[^A-Za-z0-9_]", "_", name)
    if not clean or clean[0].isdigit():
        clean = "_" + clean
    notes.append(f"{origin} {name!r} sent as {clean!r} (Alertmanager accepts [A-Za-z_][A-Za-z0-9_]*)")
    return clean


def _clean_value(value: object) -> str:
    """A valid UTF-8 string (lone surrogates, which Go would refuse, become U+FFFD)."""
    return str(value).encode("utf-8", "replace").decode("utf-8")


def _free_name(name: str, taken: Mapping[str, str]) -> str:
    while name in taken:
        name = f"exported_{name}"
    return name


def _signal_or_none(config: Config, name: str) -> Signal | None:
    try:
        return config.signal(name)
    except KeyError:
        return None


def _signed(value: float, name: str) -> str:
    text = format_value(abs(value), name)
    return f"-{text}" if value < 0 else f"+{text}"


def _label_text(labels: tuple[tuple[str, str], ...]) -> str:
    return "{" + ",".join(f'{k}="{v}"' for k, v in labels) + "}" if labels else ""
