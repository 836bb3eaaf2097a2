"""`slowburn explain` through the real CLI on the bundled replicas."""

import io
import json
from pathlib import Path

import pytest

from detector.cli import main
from detector.commands.explain import parse_selector
from detector.core.environment import Environment
from detector.core.series import SeriesKey
from detector.errors import UsageError

ROOT = Path(__file__).resolve().parents[2]
BASE = ["explain", "--config", str(ROOT / "config" / "replicas.yaml"), "--data", str(ROOT / "data" / "replicas")]
EVICTIONS = 'vpa_evictions{vpa_name="prometheus",vpa_namespace="monitoring"}'


def explain(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main([*BASE, *args], Environment(stdout=out, stderr=err))
    return status, out.getvalue(), err.getvalue()


def test_a_selector_reads_like_the_series_in_the_findings():
    key = parse_selector('webhook_p99_seconds{type="admit", name="vpa.k8s.io"}')
    assert key == SeriesKey("webhook_p99_seconds", (("name", "vpa.k8s.io"), ("type", "admit")))
    assert str(key) == 'webhook_p99_seconds{name="vpa.k8s.io",type="admit"}'
    assert parse_selector("vpa_objects") == SeriesKey("vpa_objects", ())


@pytest.mark.parametrize("bad", ["x{name=vpa}", '{name="x"}', 'x{name="a"', "9x"])
def test_a_malformed_selector_is_a_usage_error(bad):
    with pytest.raises(UsageError):
        parse_selector(bad)


def test_the_eviction_loop_is_explained_gate_by_gate(tmp_path):
    out_file = tmp_path / "explain.json"
    status, out, err = explain("--series", EVICTIONS, "--at", "2026-02-21T00:00:00Z", "--json", str(out_file))
    assert status == 0, err
    assert "verdict: regime_shift (warning)" in out
    document = json.loads(out_file.read_text())
    (shift,) = [g for g in document["gates"] if g["name"].startswith("held level over")]
    assert shift["passed"] and shift["value"] >= shift["threshold"] == 10
    assert document["findings"][0]["gates"]


def test_the_same_series_before_the_loop_is_not_flagged_and_says_why():
    status, out, _ = explain("--series", EVICTIONS, "--at", "2026-02-01T00:00:00Z")
    assert status == 0
    assert "verdict: not flagged:" in out and "FAIL" in out


def test_an_unknown_series_is_not_judged_and_lists_the_series_that_exist():
    status, out, _ = explain("--series", 'webhook_p99_seconds{name="nope"}')
    assert status == 4
    assert 'webhook_p99_seconds{name="vpa.k8s.io",type="admit"}' in out


def test_an_unknown_signal_is_a_usage_error_naming_the_signals():
    status, _, err = explain("--series", "nope{}")
    assert status == 2 and "no signal named 'nope'" in err and "webhook_p99_seconds" in err
