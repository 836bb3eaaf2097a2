"""The calibration CLI refuses what it cannot sweep; the realops loader and false-alarm count do what they document."""

import contextlib
import io
import json

import numpy as np
import pandas as pd
import pytest

from benchmarks.calibrate import field_info, parse_value
from benchmarks.calibrate import main as calibrate
from benchmarks.realops import main as realops_main
from benchmarks.realops import series_times
from benchmarks.realops_data import build, load_nab, nab_dir
from benchmarks.realops_scoring import alert_episodes, score_series, totals
from detector.core.findings import Finding
from detector.core.series import SeriesKey
from detector.errors import DataError

KEY = SeriesKey("nab_tweets", (("series", "Twitter_volume_TEST"),))
T0 = pd.Timestamp("2015-03-01T00:00:00Z")


def _run(argv):
    out, err = io.StringIO(), io.StringIO()
    status = calibrate(argv, out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def test_an_unknown_policy_field_exits_with_2_and_a_message_naming_it():
    status, out, err = _run(["--field", "significance.no_such_threshold", "--values", "0.1", "0.2"])
    assert status == 2
    assert "significance.no_such_threshold" in err
    assert len(err.strip().splitlines()) == 1
    assert out == ""


def test_a_value_that_does_not_fit_the_field_exits_with_2():
    status, _, err = _run(["--field", "staleness.info_finding", "--values", "perhaps"])
    assert status == 2 and "staleness.info_finding" in err and "perhaps" in err


def test_values_are_parsed_like_the_field_default():
    assert parse_value(field_info("staleness.info_finding"), "true") is True
    assert parse_value(field_info("saturation.hold"), "2h") == 7200.0
    assert parse_value(field_info("deceleration.window_days"), "10") == 10
    assert parse_value(field_info("significance.settled"), "0.9") == pytest.approx(0.9)


def _fixture(root, windows):
    folder = root / "nab" / "realTweets"
    folder.mkdir(parents=True)
    stamps = pd.date_range("2015-03-01 00:02:53", periods=4 * 288, freq="5min")
    keep = np.ones(len(stamps), dtype=bool)
    keep[300:320] = False  # a gap of 100 minutes on day 2
    values = np.arange(len(stamps), dtype=float)
    lines = ["timestamp,value"] + [f"{t:%Y-%m-%d %H:%M:%S},{v:g}" for t, v, k in zip(stamps, values, keep, strict=True) if k]
    (folder / "Twitter_volume_TEST.csv").write_text("\n".join(lines) + "\n")
    (root / "nab" / "labels_combined_windows.json").write_text(json.dumps({"realTweets/Twitter_volume_TEST.csv": windows}))
    return stamps, keep


def test_the_realops_loader_puts_a_csv_on_its_five_minute_utc_grid_with_gaps_and_reads_its_windows(tmp_path):
    stamps, keep = _fixture(tmp_path, [["2015-03-02 06:00:00.000000", "2015-03-02 12:00:00.000000"]])
    (series,) = load_nab(tmp_path)
    values = series.values
    assert series.key == KEY
    assert str(values.index.tz) == "UTC"
    assert values.index[0] == pd.Timestamp("2015-03-01T00:00:00Z")
    assert (np.diff(values.index.asi8) == 300 * 10**9).all()
    assert len(values) == len(stamps)
    assert values.isna().sum() == (~keep).sum()
    assert values.iloc[299] == 299.0 and np.isnan(values.iloc[300])
    assert series.windows == ((pd.Timestamp("2015-03-02T06:00:00Z"), pd.Timestamp("2015-03-02T12:00:00Z")),)
    config, data = build([series])
    signal = config.signal("nab_tweets")
    assert signal.step == 300 and signal.model.min_history == 3 * 86400 and signal.ceiling is None
    assert signal.lookback >= (values.index[-1] - values.index[0]).total_seconds()
    assert data.of("nab_tweets")[KEY.labels] is values
    times = series_times(series, config, 6 * 3600)
    assert times[0] == pd.Timestamp("2015-03-04T00:00:00Z") and all(t.hour % 6 == 0 for t in times)


def test_a_missing_realops_directory_is_a_data_error_naming_it(tmp_path):
    with pytest.raises(DataError, match="realops data not found") as caught:
        nab_dir(tmp_path / "absent")
    assert str(tmp_path / "absent") in str(caught.value)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert realops_main(["--data", str(tmp_path / "absent")]) == 4
    assert "absent" in err.getvalue()


def _finding(at, severity="warning"):
    return Finding(key=KEY, kind="sustained_drift", severity=severity, evaluated_at=at, summary="up")


def _timeline(times, flagged_at, severity="warning"):
    return {t: ((_finding(t, severity),) if t in flagged_at else ()) for t in times}


WINDOW = (T0 + pd.Timedelta(days=2), T0 + pd.Timedelta(days=2, hours=12))  # extended to day 3 00:00
TIMES = list(pd.date_range(T0, periods=24, freq="6h"))  # 6 days, every 6 hours


def test_an_episode_starting_outside_every_window_is_a_false_alarm():
    flagged = {T0 + pd.Timedelta(days=4), T0 + pd.Timedelta(days=4, hours=6)}
    row = score_series(TIMES, _timeline(TIMES, flagged), [WINDOW], 6 * 3600)
    assert row["episodes"] == 1 and row["false_alarms"] == 1
    assert row["false_alarm_starts"] == ["2015-03-05T00:00:00Z"]
    assert row["windows_flagged"] == 0


def test_an_episode_starting_inside_a_window_or_its_extension_is_not_a_false_alarm():
    for start in (WINDOW[0], WINDOW[1] + pd.Timedelta(hours=6), WINDOW[1] + (WINDOW[1] - WINDOW[0])):
        flagged = {start, start + pd.Timedelta(hours=6), start + pd.Timedelta(hours=12)}
        row = score_series(TIMES, _timeline(TIMES, flagged), [WINDOW], 6 * 3600)
        assert (row["episodes"], row["false_alarms"], row["windows_flagged"]) == (1, 0, 1), start


def test_an_episode_starting_just_after_the_extended_window_is_a_false_alarm():
    start = WINDOW[1] + (WINDOW[1] - WINDOW[0]) + pd.Timedelta(hours=6)
    row = score_series(TIMES, _timeline(TIMES, {start}), [WINDOW], 6 * 3600)
    assert row["false_alarms"] == 1 and row["windows_flagged"] == 0


def test_info_findings_are_not_flags_and_unanalysed_times_are_not_exposure():
    times = TIMES
    timeline = _timeline(times, set(times), severity="info")
    del timeline[times[0]]
    row = score_series(times, timeline, [WINDOW], 6 * 3600)
    assert (row["flags"], row["episodes"], row["false_alarms"], row["analysed"]) == (0, 0, 0, len(times) - 1)
    assert row["exposure_years"] == pytest.approx((len(times) - 1) * 0.25 / 365.25)


def test_episodes_are_maximal_runs_and_the_rate_is_per_100_series_years():
    t = TIMES[:6]
    episodes = alert_episodes(t, [True, True, False, True, False, True])
    assert [(e.start, e.end, e.evaluations) for e in episodes] == [(t[0], t[1], 2), (t[3], t[3], 1), (t[5], t[5], 1)]
    rows = [score_series(TIMES, _timeline(TIMES, {TIMES[-1]}), [WINDOW], 6 * 3600)] * 2
    summary = totals(rows)
    assert summary["false_alarms"] == 2
    assert summary["false_alarms_per_100_series_years"] == pytest.approx(100 * 2 / (2 * 24 * 0.25 / 365.25))
