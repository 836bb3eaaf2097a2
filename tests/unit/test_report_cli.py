"""`slowburn run --report` and `backtest --report` through the real entry point: the page is written,
one line on stderr confirms it, and a target that cannot be written is a one-line sink error."""

import io
import re
from pathlib import Path

import pandas as pd

from detector.cli import main
from detector.configuration.schema import load_config
from detector.core.environment import Environment
from detector.core.evaluation import Evaluation
from detector.errors import ExitStatus
from detector.sinks.report_file import ReportFileSink

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "replicas.yaml"
REPLICAS = ROOT / "data" / "replicas"
NOW = pd.Timestamp("2026-03-01T08:30:00Z")


def slowburn(*argv):
    out, err = io.StringIO(), io.StringIO()
    try:
        status = main(list(argv), Environment(stdout=out, stderr=err, now=lambda: NOW, environ={}))
    except SystemExit as exc:
        status = exc.code
    return status, out.getvalue(), err.getvalue()


def test_run_with_report_writes_the_page_and_confirms_it_in_one_line(tmp_path):
    target = tmp_path / "risk.html"
    status, out, err = slowburn("run", "--config", str(CONFIG), "--data", str(REPLICAS), "--report", str(target))
    assert status == ExitStatus.OK, err
    text = target.read_text(encoding="utf-8")
    rows = re.findall(r"data-rank='(\d+)'", text)
    assert err.strip() == f"slowburn: wrote {target} ({len(rows)} series at risk)"
    assert len(rows) >= 4 and "2026-03-01 08:30:00 UTC" in text and str(CONFIG) in text
    assert target.stat().st_mode & 0o044 == 0o044  # readable by a web server, not 0600


def test_run_with_a_report_in_an_unwritable_place_is_a_one_line_sink_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    status, out, err = slowburn("run", "--config", str(CONFIG), "--data", str(REPLICAS), "--report", str(blocker / "risk.html"))
    assert status == ExitStatus.SINK
    assert len(err.strip().splitlines()) == 1 and "cannot write the report" in err and "Traceback" not in err


def test_the_report_sink_writes_each_evaluation_and_reports_a_failed_write_without_raising(tmp_path):
    config = load_config(CONFIG)
    evaluation = Evaluation(at=NOW, findings=())
    err = io.StringIO()
    ok = ReportFileSink(str(tmp_path / "r.html"), config, "c.yaml", lambda: NOW, err).send(evaluation)
    assert ok.ok and ok.delivered == 0 and "Nothing at risk" in (tmp_path / "r.html").read_text()
    assert err.getvalue() == f"slowburn: wrote {tmp_path / 'r.html'} (0 series at risk)\n"
    failed = ReportFileSink(str(tmp_path), config, "c.yaml", lambda: NOW, io.StringIO()).send(evaluation)  # a directory
    assert not failed.ok and failed.problems and failed.problems[0].startswith(f"cannot write {tmp_path}")


def test_the_backtest_report_opens_with_the_risk_view_at_the_last_evaluation_and_dates_each_replay_plot(tmp_path):
    target = tmp_path / "backtest.html"
    status, out, err = slowburn(
        "backtest",
        "--config",
        str(CONFIG),
        "--data",
        str(REPLICAS),
        "--incidents",
        str(REPLICAS / "incidents.yaml"),
        "--start",
        "2026-01-20",
        "--every",
        "7d",
        "--workers",
        "1",
        "--report",
        str(target),
    )
    assert status == ExitStatus.OK, err
    text = target.read_text(encoding="utf-8")
    top, history = text.split("id='history'")
    assert "Risk at the last evaluation" in top and re.search(r"data-rank='1' data-series='prometheus_head_series", top)
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", history)
    assert captions and all(
        re.match(
            r"(At the first flag, the evaluation of|Never flagged; shown as of the last evaluation,) 20\d\d-\d\d-\d\d \d\d:\d\d UTC", c
        )
        for c in captions
    )
    assert str(CONFIG) in top and "2026-03-01 08:30:00 UTC" in top


def test_a_report_never_reads_as_an_all_clear_when_signals_failed(tmp_path):
    from detector.errors import SourceError
    from detector.report.page import SignalFacts, risk_body

    failed = Evaluation(at=NOW, findings=(), errors={"a": SourceError("connection refused")})
    assert "Nothing was evaluated" in risk_body(failed, SignalFacts({}, {})) and "Nothing at risk" not in risk_body(
        failed, SignalFacts({}, {})
    )
    assert "Nothing at risk" in risk_body(Evaluation(at=NOW, findings=()), SignalFacts({}, {}))


def test_a_report_target_that_is_not_a_regular_file_is_refused_and_left_alone(tmp_path):
    import os
    import stat

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    status, out, err = slowburn("run", "--config", str(CONFIG), "--data", str(REPLICAS), "--report", str(fifo))
    assert status == ExitStatus.SINK and "not a regular file" in err and len(err.strip().splitlines()) == 1
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    status, _, err = slowburn("run", "--config", str(CONFIG), "--data", str(REPLICAS), "--report", "-")
    assert status == ExitStatus.SINK and "'-' is not supported" in err


def test_a_report_target_that_is_a_symlink_updates_the_file_it_points_to(tmp_path):
    real = tmp_path / "served" / "risk.html"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "risk.html"
    link.symlink_to(real)
    status, _, err = slowburn("run", "--config", str(CONFIG), "--data", str(REPLICAS), "--report", str(link))
    assert status == ExitStatus.OK, err
    assert link.is_symlink() and "slowburn risk report" in real.read_text()


def test_a_report_of_a_run_that_could_judge_nothing_yet_is_no_all_clear_and_lists_each_skipped_series(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    start = int(pd.Timestamp("2026-02-25T00:00:00Z").timestamp())
    rows = "\n".join(f"{start + 3600 * i},{10 + i * 0.01}" for i in range(72))  # three days: too young
    (data / "queue_depth.csv").write_text("timestamp,value\n" + rows + "\n")
    config = tmp_path / "c.yaml"
    config.write_text("signals:\n  - {name: queue_depth, ceiling: 100}\n  - {name: redis_memory, optional: true}\n")
    target = tmp_path / "risk.html"
    status, _, err = slowburn("run", "--config", str(config), "--data", str(data), "--report", str(target))
    assert status == ExitStatus.OK, err
    text = target.read_text(encoding="utf-8")
    assert "Nothing was evaluated" in text and "Nothing at risk" not in text
    assert "queue_depth{}" in text and "3 d of history, needs 21 d: judged from 2026-03-18T00:00:00Z" in text
    assert "<td>absent</td><td class='series'>redis_memory</td>" in text
