"""The bundled incident replicas, replayed walk-forward through the real CLI: the issue's targets."""

import json
from pathlib import Path

import pandas as pd
import pytest

from detector.cli import main
from detector.core.environment import Environment

ROOT = Path(__file__).resolve().parents[2]
REPLICAS = ROOT / "data" / "replicas"
TRUTH = json.loads((REPLICAS / "truth.json").read_text())


@pytest.fixture(scope="module")
def replay(tmp_path_factory):
    out = tmp_path_factory.mktemp("backtest") / "backtest.json"
    import io

    stdout, stderr = io.StringIO(), io.StringIO()
    status = main(
        [
            "backtest",
            "--config",
            str(ROOT / "config" / "replicas.yaml"),
            "--data",
            str(REPLICAS),
            "--incidents",
            str(REPLICAS / "incidents.yaml"),
            "--json",
            str(out),
            "--workers",
            "2",
        ],
        Environment(stdout=stdout, stderr=stderr),
    )
    assert status == 0, stderr.getvalue()
    print(stdout.getvalue())
    return json.loads(out.read_text())


def entry(document, section, signal, **labels):
    (found,) = [e for e in document[section] if e["signal"] == signal and all(e["labels"].get(k) == v for k, v in labels.items())]
    return found


def days_between(later, earlier):
    return (pd.Timestamp(later) - pd.Timestamp(earlier)).total_seconds() / 86400


def test_the_webhook_risk_is_flagged_at_least_120_days_before_the_incident(replay):
    p99 = entry(replay, "series", "webhook_p99_seconds", name="vpa.k8s.io")
    assert p99["lead_time_days"] >= 120
    assert p99["sustained_lead_days"] >= 120


def test_the_throttling_onset_is_dated_within_14_days_of_the_truth(replay):
    throttle = entry(replay, "series", "client_throttle_wait_seconds")
    truth = TRUTH["onsets"]['client_throttle_wait_seconds{job="vpa-admission-controller"}']
    assert abs(days_between(throttle["onset"], truth)) <= 14


def test_every_disk_is_flagged_at_least_14_days_before_it_is_full(replay):
    disks = [e for e in replay["series"] if e["signal"] == "pvc_used_bytes"]
    assert len(disks) == 3
    for disk in disks:
        assert disk["lead_time_days"] >= 14, disk


def test_the_negative_controls_never_raise_a_warning(replay):
    quiet = [e for e in replay["series"] if e["signal"].startswith("control_") or e["labels"].get("name") == "gatekeeper.sh"]
    assert len(quiet) >= 7
    assert [e for e in quiet if e["first_flagged"]] == []


def test_every_cause_is_caught_with_fewer_false_alarms_than_predict_linear(replay):
    ours, theirs = replay["summary"]["slowburn"], replay["summary"]["predict_linear"]
    assert ours["detected_before_incident"] == ours["incident_series"] >= 6
    assert ours["false_alarm_episodes"] < theirs["false_alarm_episodes"]
    assert ours["false_alarms_per_series_year"] < theirs["false_alarms_per_series_year"]


def test_the_replay_never_evaluates_past_the_data(replay):
    assert pd.Timestamp(replay["last_evaluation"]) <= pd.Timestamp(TRUTH["generator"]["end"]) + pd.Timedelta(hours=1)
