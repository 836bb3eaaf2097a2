"""Bad inputs through the real entry point: an exit code and one line, never a traceback or a hang;
data that is repaired or refused is always named in a note or an error."""

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from detector.backtest.replay import MAX_EVALUATIONS
from detector.cli import main
from detector.commands.backtest import check_every, check_replay_size
from detector.configuration.schema import Config, Signal
from detector.core.environment import Environment
from detector.errors import DataError, ExitStatus, UsageError
from detector.sources.export import ExportSource

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "replicas.yaml"
REPLICAS = ROOT / "data" / "replicas"
CLOCK = pd.Timestamp("2026-03-15T00:00:00Z")  # after the replicas end (2026-02-28)
T0 = 1_748_736_000  # 2025-06-01T00:00:00Z
DAY = 86400
SIXTY_FOUR_YEARS = 64 * 365 * DAY


def slowburn(*argv, now=CLOCK):
    out, err = io.StringIO(), io.StringIO()
    status = main([str(a) for a in argv], Environment(stdout=out, stderr=err, now=lambda: now))
    return status, out.getvalue(), err.getvalue()


def one_line_error(err):
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("slowburn: error: ") and "Traceback" not in err, err
    return lines[0]


@pytest.fixture()
def data_copy(tmp_path):
    target = tmp_path / "data"
    shutil.copytree(REPLICAS, target, ignore=shutil.ignore_patterns("manifests"))
    return target


def shift(path, seconds, entries=None):
    document = json.loads(path.read_text())
    for index, entry in enumerate(document["data"]["result"]):
        if entries is None or index in entries:
            entry["values"] = [[t + seconds, v] for t, v in entry["values"]]
    path.write_text(json.dumps(document))


def evaluated_at(*argv):
    status, out, err = slowburn(*argv, "--json", "-")
    return status, json.loads(out[out.index("{\n") :]), err


def test_a_future_stamped_file_fails_its_signal_and_leaves_the_default_evaluation_time_alone(data_copy):
    _, clean, _ = evaluated_at("run", "--config", CONFIG, "--data", REPLICAS, "--workers", "1")
    shift(data_copy / "vpa_objects.json", SIXTY_FOUR_YEARS)
    status, shifted, err = evaluated_at("run", "--config", CONFIG, "--data", data_copy, "--workers", "1")
    assert status == ExitStatus.PARTIAL, err
    assert shifted["evaluated_at"] == clean["evaluated_at"] == "2026-02-28T00:00:00Z"
    error = shifted["errors"]["vpa_objects"]
    assert "vpa_objects.json" in error and "after the current time 2026-03-15T00:00:00Z (first at 2089-" in error
    assert {f["signal"] for f in clean["findings"] if f["severity"] != "info"} - {"vpa_objects"} <= {
        f["signal"] for f in shifted["findings"]
    }


def test_a_backtest_over_a_future_stamped_file_ends_where_the_good_data_ends(data_copy, tmp_path):
    shift(data_copy / "vpa_objects.json", SIXTY_FOUR_YEARS)
    out = tmp_path / "b.json"
    status, _, err = slowburn("backtest", "--config", CONFIG, "--data", data_copy, "--every", "30d", "--workers", "1", "--json", out)
    assert status == ExitStatus.PARTIAL, err
    document = json.loads(out.read_text())
    assert document["last_evaluation"] < "2026-03-01" and "after the current time" in document["errors"]["vpa_objects"]


def series_file(tmp_path, *entries):
    result = [{"metric": labels, "values": [[t, "1"] for t in stamps]} for labels, stamps in entries]
    (tmp_path / "x.json").write_text(json.dumps({"status": "success", "data": {"resultType": "matrix", "result": result}}))
    return ExportSource(tmp_path, now=pd.Timestamp(T0 + 10 * 3600, unit="s", tz="UTC"))


def test_a_sample_at_the_current_time_is_kept_and_one_a_second_later_skips_its_series_with_a_note(tmp_path):
    hours = [T0 + h * 3600 for h in range(10)]
    source = series_file(tmp_path, ({"pod": "a"}, hours + [T0 + 10 * 3600]), ({"pod": "b"}, hours + [T0 + 10 * 3600 + 1]))
    data = source.fetch([Signal(name="x")])
    assert list(data.of("x")) == [(("pod", "a"),)]
    [note] = [n for n in data.notes if "current time" in n.message]
    assert note.location.endswith("x.json") and 'series {pod="b"} (data.result[1]) skipped: 1 of 11 sample(s)' in note.message
    assert "first at 2025-06-01T10:00:01Z" in note.message


def test_a_file_whose_every_series_is_in_the_future_is_a_data_error_of_its_signal(tmp_path):
    data = series_file(tmp_path, ({"pod": "a"}, [T0 + DAY, T0 + 2 * DAY])).fetch([Signal(name="x")])
    assert isinstance(data.errors["x"], DataError) and "every series has samples after the current time" in str(data.errors["x"])


def test_a_deeply_nested_json_body_fails_its_file_only(data_copy):
    (data_copy / "vpa_objects.json").write_text("[" * 100_000 + "]" * 100_000)
    status, out, err = slowburn("run", "--config", CONFIG, "--data", data_copy, "--workers", "1")
    assert status == ExitStatus.PARTIAL and err == ""
    assert "vpa_objects.json: JSON nested too deeply to read" in out and "pvc_used_bytes" in out


@pytest.mark.parametrize(
    "argv, option",
    [
        (["run", "--data", REPLICAS, "--at", ""], "--at"),
        (["run", "--data", REPLICAS, "--at", "yesterday-ish"], "--at"),
        (["explain", "--data", REPLICAS, "--series", "vpa_objects", "--at", " "], "--at"),
        (["backtest", "--data", REPLICAS, "--start", ""], "--start"),
        (["backtest", "--data", REPLICAS, "--end", ""], "--end"),
        (["backtest", "--data", REPLICAS, "--every", ""], "--every"),
        (["backtest", "--data", REPLICAS, "--every", "20y"], "--every"),
        (["run", "--data", REPLICAS, "--workers", "-5"], "--workers"),
        (["run", "--data", REPLICAS, "--workers", "two"], "--workers"),
        (["backtest", "--data", REPLICAS, "--workers", "-5"], "--workers"),
        (["serve", "--workers", "-5"], "--workers"),
        (["serve", "--startup-grace", ""], "--startup-grace"),
    ],
)
def test_a_malformed_option_value_is_a_usage_error_naming_the_option(argv, option):
    status, _, err = slowburn(argv[0], "--config", CONFIG, *argv[1:])
    assert status == ExitStatus.USAGE
    assert f"argument {option}:" in one_line_error(err)


def test_zero_workers_still_means_one_per_core():
    from detector.commands import cli_values

    assert cli_values.workers("0") == 0 and cli_values.workers("3") == 3


def daily_config(step="1d"):
    return Config.model_validate({"signals": [{"name": "x", "step": step, "model": {"min_history": "1d"}}]})


def test_every_equal_to_the_finest_step_is_accepted_and_below_it_refused_with_the_step():
    check_every(86400, daily_config(), "1d")
    with pytest.raises(UsageError, match=r"--every: expected at least the data's step \(1d, the smallest signal step\), got '23h'"):
        check_every(23 * 3600, daily_config(), "23h")


def test_a_replay_of_exactly_the_evaluation_bound_is_accepted_and_one_more_refused_with_both_numbers():
    check_replay_size(MAX_EVALUATIONS, "1h")
    with pytest.raises(UsageError, match=f"1h gives {MAX_EVALUATIONS + 1} evaluations, more than the {MAX_EVALUATIONS}"):
        check_replay_size(MAX_EVALUATIONS + 1, "1h")


def test_backtest_every_1s_is_refused_at_once(tmp_path):
    status, _, err = slowburn("backtest", "--config", CONFIG, "--data", REPLICAS, "--every", "1s")
    assert status == ExitStatus.USAGE and "got '1s'" in one_line_error(err)


def test_a_replay_of_10001_hourly_evaluations_is_refused_before_it_starts(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    hours = 10_001 + 23  # first evaluation: a day after the first sample
    (data / "x.csv").write_text("timestamp,value\n" + "".join(f"{T0 + h * 3600},{h}\n" for h in range(hours)))
    config = tmp_path / "c.yaml"
    config.write_text("signals:\n  - name: x\n    lookback: 3650d\n    model: {min_history: 1d}\n")
    status, _, err = slowburn("backtest", "--config", config, "--data", data, "--every", "1h", now=pd.Timestamp("2027-01-01T00:00:00Z"))
    assert status == ExitStatus.USAGE and "1h gives 10001 evaluations, more than the 10000" in one_line_error(err)


def test_each_repair_of_an_export_is_one_note_naming_the_series_and_the_count(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    rng = np.random.default_rng(20261130)
    rows = [(T0 + h * 3600, "NaN" if 40 <= h < 43 else f"{rng.normal(10, 1):.3f}") for h in range(24 * 30) if not 100 <= h < 105]
    rows[10], rows[11] = rows[11], rows[10]
    rows.append((T0 + 200 * 3600 + 60, "11"))
    (data / "x.csv").write_text("timestamp,value,pod\n" + "".join(f"{t},{v},p\n" for t, v in rows))
    config = tmp_path / "c.yaml"
    config.write_text("signals:\n  - name: x\n")
    status, out, err = slowburn("run", "--config", config, "--data", data)
    assert status == ExitStatus.OK, err
    notes = [line for line in out.splitlines() if line.startswith("note") and 'x{pod="p"}' in line]
    assert any("2 sample(s) out of time order; sorted by time" in n for n in notes)  # the swap and the late row
    assert any("3 NaN value(s) read as gaps" in n for n in notes)
    assert any("5 missing step(s) in 1 gap(s) left as NaN" in n for n in notes)
    assert any("2 samples averaged into 1 step(s)" in n for n in notes)
    assert len(notes) == 4


FORMER_TRACEBACKS = {
    "config_date": ("c.yaml", "signals:\n  - name: vpa_objects\nlabels: {since: 2026-02-30}\n", ExitStatus.CONFIG, "invalid date"),
    "lookback": ("c.yaml", "signals:\n  - name: vpa_objects\n    lookback: 1.0e+20\n", ExitStatus.CONFIG, "at most 10y"),
    "nested_yaml": ("c.yaml", "signals: " + "[" * 5000 + "]" * 5000 + "\n", ExitStatus.CONFIG, "nested deeper"),
}


@pytest.mark.parametrize("case", sorted(FORMER_TRACEBACKS))
def test_python_dash_m_detector_prints_one_line_where_it_printed_a_traceback(tmp_path, case):
    name, text, status, fragment = FORMER_TRACEBACKS[case]
    (tmp_path / name).write_text(text)
    result = subprocess.run(
        [sys.executable, "-m", "detector", "run", "--config", str(tmp_path / name), "--data", str(REPLICAS)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == status and fragment in one_line_error(result.stderr)
