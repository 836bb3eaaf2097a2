"""The risk report in a real headless browser (Debian's chromium): it renders without a console
error, shows the ranked rows in order, and leaves a screenshot in build/test-artifacts/ to look at."""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from detector.cli import main
from detector.configuration.schema import load_config
from detector.core.environment import Environment
from detector.engine.evaluate import evaluate
from detector.report.ranking import rank_risks
from detector.sources.export import ExportSource

ROOT = Path(__file__).resolve().parents[2]
CONFIG, REPLICAS = ROOT / "config" / "replicas.yaml", ROOT / "data" / "replicas"
ARTIFACTS = ROOT / "build" / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
)

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium; .ci/run installs it)")


def browse(page: Path, profile: Path, *extra: str) -> tuple[str, list[str]]:
    """Open ``page`` in a fresh profile; stdout and the console messages the page logged."""
    profile.mkdir(parents=True)
    browser = subprocess.Popen(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = browser.communicate(timeout=180)
    finally:
        if browser.poll() is None:  # a hang: stop this browser and its helpers, nothing else
            os.killpg(browser.pid, signal.SIGKILL)
            browser.wait()
    assert browser.returncode == 0, stderr[-2000:]
    return stdout, [line for line in stderr.splitlines() if ":CONSOLE" in line]


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("browser") / "risk.html"
    err = io.StringIO()
    status = main(
        ["run", "--config", str(CONFIG), "--data", str(REPLICAS), "--report", str(target)],
        Environment(stdout=io.StringIO(), stderr=err, environ={}),
    )
    assert status == 0, err.getvalue()
    return target


def test_a_page_with_a_script_error_is_caught_by_the_console_scan(tmp_path):
    canary = tmp_path / "canary.html"
    canary.write_text("<!doctype html><title>c</title><script>console.error('canary'); missing();</script>")
    _, console = browse(canary, tmp_path / "profile", "--dump-dom")
    assert any("canary" in line for line in console) and any("ReferenceError" in line for line in console)


def test_the_report_renders_without_console_errors_and_shows_the_ranked_rows_in_order(report, tmp_path):
    dom, console = browse(report, tmp_path / "profile", "--dump-dom")
    assert console == []
    rows = re.findall(r"<tr class=\"risk\" data-rank=\"(\d+)\" data-series=\"([^\"]+)\"", dom)
    config = load_config(CONFIG)
    data = ExportSource(REPLICAS).fetch(config.signals)
    expected = [str(row.key) for row in rank_risks(evaluate(config, data, data.end + pd.Timedelta(hours=1)))]
    assert [series.replace("&quot;", '"') for _, series in rows] == expected
    assert [int(rank) for rank, _ in rows] == list(range(1, len(expected) + 1))
    assert dom.count("<img ") == sum(1 for _ in re.finditer(r"<figure id=\"plot-", dom)) - dom.count("no series to plot")


def test_the_report_screenshot_is_kept_as_a_test_artifact(report, tmp_path):
    from matplotlib.image import imread

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "risk-report.png"
    shot.unlink(missing_ok=True)
    _, console = browse(report, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1400,2400")
    assert console == []
    pixels = imread(shot)
    assert pixels.shape[:2] == (2400, 1400)
    assert pixels[..., :3].std() > 0.05  # not a blank page
