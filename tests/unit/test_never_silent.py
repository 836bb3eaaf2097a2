"""A run is never silent about what it could not judge: every signal and series has a state."""

import io
import json
from pathlib import Path

import numpy as np

from detector.cli import main
from detector.core.environment import Environment
from detector.errors import ExitStatus

HOUR = 3600
START = 1_735_689_600  # 2025-01-01T00:00:00Z
DAY = 86400


def slowburn(*argv):
    out, err = io.StringIO(), io.StringIO()
    try:
        status = main([str(a) for a in argv], Environment(stdout=out, stderr=err))
    except SystemExit as exc:
        status = exc.code
    return status, out.getvalue(), err.getvalue()


def write_csv(path: Path, start: int, hours: int, seed: int, labels: str = "", slope: float = 0.0) -> None:
    rng = np.random.default_rng(seed)
    header = "timestamp,value" + ("," + labels.split("=")[0] if labels else "")
    extra = "," + labels.split("=")[1] if labels else ""
    rows = [f"{start + HOUR * i},{100 + slope * i + rng.normal(0, 1):.3f}{extra}" for i in range(hours)]
    path.write_text(header + "\n" + "\n".join(rows) + "\n")


def make_case(tmp_path: Path, *, young_hours: int, optional_absent: bool = True) -> tuple[Path, Path]:
    """``old`` has 40 days ending at day 40; ``young`` has ``young_hours`` ending at the same hour."""
    data = tmp_path / "data"
    data.mkdir()
    end = START + 40 * DAY
    write_csv(data / "old.csv", START, 40 * 24, seed=1)
    write_csv(data / "young.csv", end - young_hours * HOUR, young_hours, seed=2)
    config = tmp_path / "c.yaml"
    config.write_text(
        "signals:\n"
        "  - {name: old, ceiling: 1000}\n"
        "  - {name: young, ceiling: 1000}\n"
        f"  - {{name: redis_memory, optional: {'true' if optional_absent else 'false'}}}\n"
    )
    return config, data


def test_a_too_young_series_is_skipped_with_its_history_and_the_day_it_becomes_judgeable(tmp_path):
    config, data = make_case(tmp_path, young_hours=5 * 24)
    status, out, err = slowburn("run", "--config", config, "--data", data, "--json", "-")
    assert status == ExitStatus.OK, err
    document = json.loads(out)  # '--json -': stdout is JSON only
    states = {s["signal"]: s["state"] for s in document["signals"]}
    assert states == {"old": "evaluated", "young": "skipped", "redis_memory": "absent"}
    young = next(s for s in document["series"] if s["signal"] == "young")
    assert young["state"] == "too_young"
    assert young["reason"].startswith("5 d of history, needs 21 d")
    assert young["judgeable_from"] == "2025-02-26T00:00:00Z"  # first sample (02-05) + 21 days
    assert document["summary"]["signals"] == {"evaluated": 1, "skipped": 1, "absent": 1, "failed": 0}
    assert "signals 1 evaluated, 1 skipped, 1 absent" in err  # the table went to stderr


def test_a_series_exactly_min_history_old_is_judged_and_one_step_younger_is_not(tmp_path):
    # The run evaluates one step after the last sample, so n hourly samples span n hours.
    config, data = make_case(tmp_path, young_hours=21 * 24)
    document = json.loads(slowburn("run", "--config", config, "--data", data, "--json", "-")[1])
    assert {s["signal"]: s["state"] for s in document["series"]}["young"] == "evaluated"
    other = tmp_path / "other"
    other.mkdir()
    config, data = make_case(other, young_hours=21 * 24 - 1)
    document = json.loads(slowburn("run", "--config", config, "--data", data, "--json", "-")[1])
    assert {s["signal"]: s["state"] for s in document["series"]}["young"] == "too_young"


def test_an_optional_signal_with_no_series_is_a_note_and_the_run_still_exits_zero(tmp_path):
    config, data = make_case(tmp_path, young_hours=30 * 24)
    status, out, _ = slowburn("run", "--config", config, "--data", data)
    assert status == ExitStatus.OK
    assert "ABSENT" in out and "redis_memory" in out and "(optional)" in out
    assert "optional signal redis_memory is absent" in out


def test_a_required_signal_with_no_series_is_absent_and_an_error(tmp_path):
    config, data = make_case(tmp_path, young_hours=30 * 24, optional_absent=False)
    status, out, _ = slowburn("run", "--config", config, "--data", data, "--json", "-")
    assert status == ExitStatus.PARTIAL
    document = json.loads(out)
    assert {s["signal"]: s["state"] for s in document["signals"]}["redis_memory"] == "absent"
    assert "redis_memory" in document["errors"]


def test_at_before_the_data_is_a_usage_error_naming_the_span(tmp_path):
    config, data = make_case(tmp_path, young_hours=30 * 24)
    status, _, err = slowburn("run", "--config", config, "--data", data, "--at", "2024-12-31T00:00:00Z")
    assert status == ExitStatus.USAGE
    assert "before the data: the data spans 2025-01-01T00:00:00Z to 2025-02-09T23:00:00Z" in err
    assert "Traceback" not in err


def test_at_after_the_staleness_limit_is_a_usage_error_and_just_inside_it_is_judged(tmp_path):
    config, data = make_case(tmp_path, young_hours=30 * 24)
    # last sample 2025-02-09T23:00Z; every series is judged up to a day after it
    inside = slowburn("run", "--config", config, "--data", data, "--at", "2025-02-10T23:00:00Z")
    assert inside[0] == ExitStatus.OK, inside[2]
    status, _, err = slowburn("run", "--config", config, "--data", data, "--at", "2025-02-11T00:00:00Z")
    assert status == ExitStatus.USAGE
    assert "after the data" in err and "24 h after its last sample" in err


def test_a_series_with_no_sample_in_the_lookback_is_reported_as_outside_it(tmp_path):
    config, data = make_case(tmp_path, young_hours=30 * 24)
    config.write_text(
        config.read_text().replace("{name: old, ceiling: 1000}", "{name: old, ceiling: 1000, lookback: 30d, model: {min_history: 7d}}")
    )
    write_csv(data / "old.csv", START, 5 * 24, seed=1)  # five days, then nothing for 35
    status, out, _ = slowburn("run", "--config", config, "--data", data, "--at", "2025-02-10T00:00:00Z", "--json", "-")
    document = json.loads(out)
    old = next(s for s in document["series"] if s["signal"] == "old")
    assert old["state"] == "outside_lookback"
    assert "last at 2025-01-05T23:00:00Z" in old["reason"]


def test_a_newline_in_a_label_value_never_splits_a_table_row(tmp_path):
    config, data = make_case(tmp_path, young_hours=30 * 24)
    write_csv(data / "old.csv", START - 40 * DAY, 80 * 24, seed=1, labels='pod="a\nb"', slope=0.5)  # a quoted CSV field with a newline
    status, out, err = slowburn("run", "--config", config, "--data", data)
    assert status == ExitStatus.OK, err
    assert 'old{pod="a\\nb"}' in out  # escaped as PromQL does
    for line in out.splitlines():
        assert line.split()[0] in {"slowburn", "SEV", "CRIT", "WARN", "info", "no", "note", "ABSENT", "SKIPPED", "FAILED", "ERROR"}, line


def test_the_table_shows_five_notes_per_signal_and_counts_the_rest_which_json_keeps(tmp_path):
    config, data = make_case(tmp_path, young_hours=30 * 24)
    rows = ["timestamp,value,pod"]
    for pod in range(7):  # seven series, each with a two-hour gap: one repair note each
        rows += [f"{START + HOUR * i},{100 + i % 5},p{pod}" for i in range(40 * 24) if i not in (100, 101)]
    (data / "old.csv").write_text("\n".join(rows) + "\n")
    status, out, _ = slowburn("run", "--config", config, "--data", data)
    gap_notes = [line for line in out.splitlines() if line.startswith("note") and "missing step" in line]
    assert len(gap_notes) == 5
    assert "note  old: 2 more note(s) not shown here (--json lists every note)" in out
    document = json.loads(slowburn("run", "--config", config, "--data", data, "--json", "-")[1])
    assert sum("missing step" in note for note in document["notes"]) == 7


def test_five_notes_of_one_signal_are_all_shown_with_no_more_line(tmp_path):
    config, data = make_case(tmp_path, young_hours=30 * 24)
    rows = ["timestamp,value,pod"]
    for pod in range(5):
        rows += [f"{START + HOUR * i},{100 + i % 5},p{pod}" for i in range(40 * 24) if i not in (100, 101)]
    (data / "old.csv").write_text("\n".join(rows) + "\n")
    out = slowburn("run", "--config", config, "--data", data)[1]
    assert sum(line.startswith("note") and "missing step" in line for line in out.splitlines()) == 5
    assert "more note(s) not shown" not in out
