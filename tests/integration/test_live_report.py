"""`slowburn run --report` live against a real Prometheus holding the shifted replicas: the report sink
writes the ranked page and confirms it in one line; the page holds the same series at risk as the
run's own JSON findings, soonest ETA first."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pandas as pd
import yaml

from detector.cli import main
from detector.core.environment import Environment

ROOT = Path(__file__).resolve().parents[2]
REPLICA_CONFIG = ROOT / "config" / "replicas.yaml"


def test_a_live_run_writes_the_risk_report_of_what_it_found(replica_prometheus, replica_history, tmp_path):
    document = yaml.safe_load(REPLICA_CONFIG.read_text())
    for signal in document["signals"]:
        signal["query"] = signal["name"]  # the replicas are backfilled under their own names
    document["prometheus"] = {"url": replica_prometheus.url}
    config = tmp_path / "live.yaml"
    config.write_text(yaml.safe_dump(document))
    at = (replica_history.last + pd.Timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    report, findings = tmp_path / "out" / "risk.html", tmp_path / "live.json"
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [
            "run",
            "--config",
            str(config),
            "--at",
            at,
            "--json",
            str(findings),
            "--report",
            str(report),
            "--state",
            str(tmp_path / "state.json"),
        ],
        Environment(stdout=out, stderr=err, environ={}),
    )
    assert code == 0, err.getvalue()
    text = report.read_text(encoding="utf-8")
    rows = re.findall(r"data-rank='\d+' data-series='([^']+)' data-eta='([^']*)'", text)
    at_risk = {
        (f["signal"], json.dumps(f["labels"], sort_keys=True))
        for f in json.loads(findings.read_text())["findings"]
        if f["severity"] in ("warning", "critical")
    }
    assert len(rows) == len(at_risk) >= 3
    assert f"slowburn: wrote {report} ({len(rows)} series at risk)" in err.getvalue().splitlines()
    etas = [pd.Timestamp(eta) for _, eta in rows if eta]
    assert etas == sorted(etas) and all(eta for _, eta in rows[: len(etas)])  # every ETA before the rows without one
    assert str(config) in text and at.replace("T", " ").replace("Z", " UTC") in text
