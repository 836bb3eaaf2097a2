"""The frame of every slowburn HTML page: inline CSS, the header facts, no external resource."""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from detector.core.instants import iso_utc

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5em 2em;color:#1b1b1b;background:#fff}
h1{font-size:1.5em;margin:0 0 .3em}h2{font-size:1.2em;margin:1.8em 0 .5em;border-bottom:1px solid #ddd;padding-bottom:.2em}
h3{font-size:1em;margin:1.4em 0 .3em;font-family:ui-monospace,monospace;word-break:break-all}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.15em 1em;margin:.4em 0 1em;font-size:.92em}
dl.facts dt{color:#555}dl.facts dd{margin:0;font-family:ui-monospace,monospace}
p.counts{font-size:1.05em;margin:.3em 0}
table{border-collapse:collapse;width:100%;table-layout:auto;font-size:.88em;margin:.4em 0}
th,td{border-bottom:1px solid #e3e3e3;padding:.35em .5em;text-align:left;vertical-align:top}
th{background:#f3f3f3;position:sticky;top:0}td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
td.series{font-family:ui-monospace,monospace;overflow-wrap:anywhere}
td.driver{font-family:ui-monospace,monospace;overflow-wrap:anywhere;font-size:.92em}
table.risks{table-layout:fixed}
td.when{overflow-wrap:anywhere}td.day{white-space:nowrap}
.sev{display:inline-block;padding:.05em .45em;border-radius:3px;font-weight:600;font-size:.85em;color:#fff}
.sev-critical{background:#b2182b}.sev-warning{background:#e08214}.sev-info{background:#4d4d4d}
.bar{display:inline-block;height:.6em;background:#969696;vertical-align:middle;margin-left:.3em;border-radius:2px}
.bar-high{background:#d62728}.bar-mid{background:#e08214}
figure{margin:.3em 0 1.2em}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.92em;color:#333;margin:.2em 0}
.muted{color:#666}p.alarm{background:#fde0dd;border-left:4px solid #b2182b;padding:.5em .8em}a{color:#0b57a4}
"""


@dataclass(frozen=True)
class PageFacts:
    """What the header states: when the page was made, of which evaluation, by which version and config."""

    title: str
    generated_at: pd.Timestamp
    evaluated_at: pd.Timestamp | None
    version: str
    config_path: str
    extra: Mapping[str, str] = field(default_factory=dict)


def page(facts: PageFacts, body: str) -> str:
    """A complete HTML document: header facts, then ``body`` (already escaped HTML)."""
    rows = [
        ("generated", _utc(facts.generated_at)),
        ("evaluation time", _utc(facts.evaluated_at)),
        ("slowburn version", facts.version),
        ("config file", facts.config_path),
        *facts.extra.items(),
    ]
    items = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in rows)
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{esc(facts.title)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{esc(facts.title)}</h1><dl class='facts'>{items}</dl></header>"
        f"<main>{body}</main></body></html>\n"
    )


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def severity_badge(severity: str) -> str:
    return f"<span class='sev sev-{esc(severity)}'>{esc(severity)}</span>"


def _utc(ts: pd.Timestamp | None) -> str:
    text = iso_utc(ts)
    return text.replace("T", " ").replace("Z", " UTC") if text else "n/a"
