"""docs/runbooks.md: a section per finding kind, every runbook_url in the shipped configs lands on
an anchor that exists, and every PromQL example parses."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from detector.core.findings import KINDS

ROOT = Path(__file__).resolve().parents[2]
RUNBOOKS = ROOT / "docs" / "runbooks.md"


def github_anchors(markdown: str) -> set[str]:
    """The anchors GitHub makes from headings (lower case, punctuation but ``-`` and ``_`` dropped,
    spaces to ``-``), plus explicit ``<a id="...">``."""
    anchors = {m.group(1) for m in re.finditer(r'<a (?:id|name)="([^"]+)"', markdown)}
    for heading in re.findall(r"^#{1,6} (.+)$", markdown, re.MULTILINE):
        anchors.add(re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-"))
    return anchors


def runbook_urls() -> list[tuple[str, str, str]]:
    """(config file, signal, runbook_url) for every signal of config/*.yaml with a runbook_url."""
    found = []
    for path in sorted((ROOT / "config").glob("*.yaml")):
        for signal in yaml.safe_load(path.read_text()).get("signals", []):
            url = (signal.get("annotations") or {}).get("runbook_url")
            if url:
                found.append((path.name, signal["name"], url))
    return found


def test_every_finding_kind_has_its_own_section():
    assert set(KINDS) <= github_anchors(RUNBOOKS.read_text())


def test_the_anchor_rules_are_githubs():
    anchors = github_anchors('## breach_forecast\n### webhook latency\n## What (to) change?\n<a id="x-y"></a>\n')
    assert anchors == {"breach_forecast", "webhook-latency", "what-to-change", "x-y"}


def test_the_shipped_configs_link_to_runbooks():
    assert runbook_urls(), "no runbook_url in config/*.yaml: the anchor test below would check nothing"


@pytest.mark.parametrize("config, signal, url", runbook_urls())
def test_every_runbook_url_in_the_configs_points_at_an_anchor_of_docs_runbooks_md(config, signal, url):
    page, _, anchor = url.partition("#")
    assert page.endswith("/docs/runbooks.md"), f"{config}: {signal}: runbook_url {url} is not docs/runbooks.md"
    assert anchor in github_anchors(RUNBOOKS.read_text()), f"{config}: {signal}: no anchor #{anchor} in docs/runbooks.md"


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed (CI installs it)")
def test_every_promql_example_parses(tmp_path):
    blocks = re.findall(r"^```promql\n(.*?)^```$", RUNBOOKS.read_text(), re.MULTILINE | re.DOTALL)
    expressions = [line for block in blocks for line in block.splitlines() if line.strip() and not line.startswith("#")]
    # continuation lines (indented) belong to the expression above them
    joined: list[str] = []
    for line in expressions:
        if line.startswith(" ") and joined:
            joined[-1] += " " + line.strip()
        else:
            joined.append(line)
    assert len(joined) >= len(KINDS)
    placeholders = {r"\bQ\b": "sb_signal_value", r"\bC\b": "sb_signal_ceiling"}
    rules = []
    for i, expression in enumerate(joined):
        for pattern, metric in placeholders.items():
            expression = re.sub(pattern, metric, expression)
        rules.append({"record": f"runbook:example{i}", "expr": expression})
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "runbooks", "rules": rules}]}))
    result = subprocess.run(["promtool", "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("kind", KINDS)
def test_an_alert_without_a_configured_runbook_links_to_its_kinds_section(kind):
    import pandas as pd

    from detector.configuration.schema import Config
    from detector.core.findings import Finding
    from detector.core.series import SeriesKey
    from detector.sinks.alert_payload import build_alert

    config = Config.model_validate({"signals": [{"name": "disk", "query": "disk", "ceiling": 1.0}]})
    finding = Finding(
        key=SeriesKey("disk", (("pvc", "a"),)),
        kind=kind,
        severity="warning",
        evaluated_at=pd.Timestamp("2026-01-01", tz="UTC"),
        summary="s",
    )
    page, _, anchor = build_alert(finding, config, None).annotations["runbook_url"].partition("#")
    assert page.endswith("/docs/runbooks.md") and anchor == kind
    assert anchor in github_anchors(RUNBOOKS.read_text())
