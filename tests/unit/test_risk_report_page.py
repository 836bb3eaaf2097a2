"""The risk report of the replicas at their last hour: rows in urgency order with values in the
series' units, a plot per series with units on both axes, the ceiling and onset named and the legend
beside the data; quiet series, failed signals and notes below; nothing loaded from the network."""

import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from detector.configuration.schema import load_config
from detector.engine.evaluate import evaluate
from detector.report.page import SignalFacts, write_risk_report
from detector.report.plot import COLOURS, figure_for
from detector.report.ranking import rank_risks
from detector.report.shell import PageFacts
from detector.sources.export import ExportSource

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "replicas.yaml"
GENERATED = pd.Timestamp("2026-03-01T08:30:00Z")


@pytest.fixture(scope="module")
def evaluation():
    config = load_config(CONFIG)
    data = ExportSource(ROOT / "data" / "replicas").fetch(config.signals)
    return config, evaluate(config, data, data.end + pd.Timedelta(hours=1))


@pytest.fixture(scope="module")
def page(evaluation, tmp_path_factory):
    config, result = evaluation
    path = tmp_path_factory.mktemp("report") / "risk.html"
    count = write_risk_report(
        path, result, PageFacts("slowburn risk report", GENERATED, result.at, "9.9.9", "config/replicas.yaml"), SignalFacts.of(config)
    )
    return count, path.read_text(encoding="utf-8")


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.sources, self.hrefs, self.rows = [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("img", "script", "iframe", "link", "source"):
            self.sources.append(attrs.get("src") or attrs.get("href") or "")
        if tag == "a":
            self.hrefs.append(attrs["href"])
        if tag == "tr" and "data-rank" in attrs:
            self.rows.append((int(attrs["data-rank"]), attrs["data-series"]))


def parsed(text):
    parser = Links()
    parser.feed(text)
    return parser


def test_the_rows_are_the_ranked_series_at_risk_in_order(evaluation, page):
    config, result = evaluation
    count, text = page
    rows = parsed(text).rows
    assert count == len(rows) >= 4
    assert [series for _, series in rows] == [str(row.key) for row in rank_risks(result)]
    assert [rank for rank, _ in rows] == list(range(1, count + 1))
    assert rows[0][1] == 'prometheus_head_series{job="prometheus"}'  # past its ceiling now


def test_a_forecast_row_shows_share_of_ceiling_value_rate_eta_interval_onset_and_driver_in_units(page):
    row = re.search(r"<tr class='risk'[^>]*client_throttle_wait_seconds.*?</tr>", page[1]).group(0)
    for expected in ("60%", "17.9 s", "+370 ms/day", "2026-03-06", "in 7 d", "80%: 2026-03-01 to 2026-03-10", "2025-07-11", "vpa_objects"):
        assert expected in row, expected


def test_the_header_gives_generation_and_evaluation_time_version_and_config(page):
    text = page[1]
    for expected in ("2026-03-01 08:30:00 UTC", "2026-02-28 00:00:00 UTC", "9.9.9", "config/replicas.yaml"):
        assert expected in text


def test_each_plot_sentence_names_the_evaluation_it_describes(page):
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", page[1])
    assert captions and all(c.startswith("At the evaluation of 2026-02-28 00:00 UTC: ") for c in captions)


def test_quiet_series_and_notes_are_listed_below(page):
    text = page[1]
    assert "id='quiet'" in text and "control_queue_depth" in text.split("id='quiet'")[1]
    assert "id='skipped'" in text and "not a .json or .csv file" in text.split("id='skipped'")[1]


def test_the_page_loads_nothing_from_the_network_and_links_only_runbooks(page):
    links = parsed(page[1])
    assert links.sources and all(src.startswith("data:image/png;base64,") for src in links.sources)
    external = [h for h in links.hrefs if not h.startswith("#")]
    assert external == ["https://github.com/slowburn/slowburn/blob/main/docs/runbooks.md#webhook-latency"]
    assert "<style>" in page[1] and "@import" not in page[1] and "url(" not in page[1]


def test_a_plot_has_units_on_both_axes_the_ceiling_in_its_own_colour_the_onset_named_and_the_legend_beside_the_data(evaluation):
    config, result = evaluation
    row = next(r for r in rank_risks(result) if r.key.signal == "client_throttle_wait_seconds")
    fig = figure_for(row.key, row.analysis, row.finding, result.at)
    ax = fig.axes[0]
    assert ax.get_ylabel() == "client_throttle_wait_seconds (s)" and ax.get_xlabel() == "date (UTC)"
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert "ceiling 30 s" in labels and "onset of the worsening 2025-07-11" in labels and "ETA 2026-03-06" in labels
    assert any(label.startswith("ETA 80% interval 2026-03-01 to 2026-03-10") for label in labels)
    fig.canvas.draw()
    legend, axes = ax.get_legend().get_window_extent(), ax.get_window_extent()
    assert legend.x0 >= axes.x1  # beside, not over, the data
    ceiling = next(line for line in ax.get_lines() if line.get_label() == "ceiling 30 s")
    assert (
        ceiling.get_color() == COLOURS["ceiling"] and len({COLOURS["ceiling"], COLOURS["incident"], COLOURS["eta"], COLOURS["onset"]}) == 4
    )
    ticks = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert ticks and not any("e" in t.lower() for t in ticks)


def test_a_bytes_series_is_plotted_in_binary_units(evaluation):
    config, result = evaluation
    key = next(k for k in result.analyses if k.signal == "pvc_used_bytes")
    ax = figure_for(key, result.analyses[key], None, result.at).axes[0]
    assert ax.get_ylabel() == "pvc_used_bytes (GiB)"
    assert np.isfinite(ax.get_ylim()).all()


def test_bytes_ticks_are_round_numbers_of_gib(evaluation):
    config, result = evaluation
    key = next(k for k in result.analyses if k.signal == "pvc_used_bytes")
    fig = figure_for(key, result.analyses[key], None, result.at)
    fig.canvas.draw()
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels() if t.get_text()]
    assert len(ticks) >= 3 and all(re.fullmatch(r"\d+(\.5)?", t) for t in ticks), ticks


def test_a_wide_forecast_cone_does_not_change_the_axis_unit_or_range(evaluation):
    config, _ = evaluation
    data = ExportSource(ROOT / "data" / "replicas").fetch(config.signals)
    early = evaluate(config, data, pd.Timestamp("2025-09-12T00:00:00Z"))  # a year-long cone from September
    key = next(k for k in early.analyses if k.signal == "client_throttle_wait_seconds")
    assert early.analyses[key].forecast is not None
    ax = figure_for(key, early.analyses[key], None, early.at).axes[0]
    assert ax.get_ylabel() == "client_throttle_wait_seconds (s)"
    assert ax.get_ylim()[1] <= 30 * 1.6 + 1e-9  # the 30 s ceiling bounds the view
