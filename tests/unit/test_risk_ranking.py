"""Which series the risk report puts first: the soonest ETA, then the higher severity, then the larger
share of the ceiling used; series with only informational findings are quiet, not at risk."""

import pandas as pd
import pytest

from detector.core.evaluation import Evaluation
from detector.core.findings import DriverLink, Finding
from detector.core.series import SeriesKey
from detector.report.ranking import driver_text, rank_risks, used_percent

AT = pd.Timestamp("2026-02-28T00:00:00Z")


def finding(name, severity="warning", kind="breach_forecast", eta_days=None, current=None, ceiling=None, **extra):
    eta = AT + pd.Timedelta(days=eta_days) if eta_days is not None else None
    return Finding(
        key=SeriesKey(name, (("job", name),)),
        kind=kind,
        severity=severity,
        evaluated_at=AT,
        summary=f"{name} summary",
        eta=eta,
        eta_lower=eta,
        eta_upper=eta,
        current=current,
        ceiling=ceiling,
        **extra,
    )


def ranked(*findings, runbooks=None):
    return [row.key.signal for row in rank_risks(Evaluation(at=AT, findings=tuple(findings)), runbooks)]


def test_the_soonest_eta_comes_first_whatever_the_severity():
    assert ranked(finding("late_critical", "critical", eta_days=30), finding("soon_warning", "warning", eta_days=3)) == [
        "soon_warning",
        "late_critical",
    ]


def test_a_series_at_its_ceiling_now_comes_before_any_forecast():
    at_ceiling = finding("full", "critical", kind="at_ceiling", eta_days=0)
    assert ranked(finding("tomorrow", "critical", eta_days=1), at_ceiling) == ["full", "tomorrow"]


def test_findings_without_an_eta_come_after_every_eta_and_the_critical_ones_first():
    order = ranked(
        finding("drift_warning", kind="sustained_drift"),
        finding("step_critical", "critical", kind="step_change"),
        finding("eta_in_a_year", eta_days=365),
    )
    assert order == ["eta_in_a_year", "step_critical", "drift_warning"]


def test_on_the_same_eta_and_severity_the_larger_share_of_the_ceiling_used_comes_first():
    order = ranked(
        finding("half", eta_days=5, current=50.0, ceiling=100.0), finding("nine_tenths", eta_days=5, current=90.0, ceiling=100.0)
    )
    assert order == ["nine_tenths", "half"]


@pytest.mark.parametrize(("severity", "at_risk"), [("info", False), ("warning", True), ("critical", True)])
def test_a_series_is_at_risk_from_a_warning_up(severity, at_risk):
    assert ranked(finding("x", severity, eta_days=5)) == (["x"] if at_risk else [])


def test_a_series_with_two_findings_has_one_row_led_by_its_most_urgent_finding():
    rows = rank_risks(Evaluation(at=AT, findings=(finding("x", "warning", kind="step_change"), finding("x", "critical", eta_days=9))))
    assert len(rows) == 1
    assert rows[0].finding.kind == "breach_forecast" and rows[0].kinds == ("breach_forecast", "step_change")


def test_the_runbook_link_is_the_signals_runbook_url():
    rows = rank_risks(Evaluation(at=AT, findings=(finding("a", eta_days=1), finding("b", eta_days=2))), {"b": "https://runbooks/b"})
    assert [row.runbook_url for row in rows] == [None, "https://runbooks/b"]


def test_the_share_of_the_ceiling_used_is_current_over_ceiling_and_the_floor_over_the_value_for_a_falling_signal():
    assert used_percent(25.0, 30.0) == pytest.approx(83.333, abs=1e-3)
    assert used_percent(4.62e6, 4e6) == pytest.approx(115.5)
    assert used_percent(20.0, 10.0, direction="down") == pytest.approx(50.0)
    assert used_percent(25.0, None) is None and used_percent(25.0, 0.0) is None


def test_a_driver_reads_as_the_series_with_its_lead_and_correlation():
    link = DriverLink("vpa_objects", (("job", "vpa"),), None, None, 1, 0.594)
    assert driver_text(link) == 'vpa_objects{job="vpa"} (leads by 1 d, r = 0.59)'
    assert driver_text(None) == ""


def test_the_backtest_history_shows_series_at_risk_now_first_then_by_first_flag_severity_then_incidents_never_flagged():
    from detector.backtest.incidents import Incident
    from detector.backtest.replay import SeriesTimeline
    from detector.report.backtest_page import history_order

    def line(name, severity=None, days_before=0):
        flag = finding(name, severity) if severity else None
        if flag is not None:
            flag = Finding(**{**flag.__dict__, "evaluated_at": AT - pd.Timedelta(days=days_before)})
        return SeriesTimeline(flag.key if flag else SeriesKey(name, (("job", name),)), first_flag=flag)

    timelines = {
        t.key: t
        for t in (
            line("early_warning", "warning", 90),
            line("critical_once", "critical", 10),
            line("risky_now", "warning", 5),
            line("incident_only"),
            line("never"),
        )
    }
    rows = rank_risks(Evaluation(at=AT, findings=(finding("risky_now", eta_days=3),)))
    incidents = [Incident(SeriesKey("incident_only", (("job", "incident_only"),)), AT)]
    assert [k.signal for k in history_order(timelines, incidents, rows)] == ["risky_now", "critical_once", "early_warning", "incident_only"]


@pytest.mark.parametrize(("at_risk", "plots"), [(50, 50), (51, 50)])
def test_the_page_plots_the_fifty_most_urgent_series_and_says_so_when_there_are_more(at_risk, plots):
    from detector.report.page import SignalFacts, risk_body

    evaluation = Evaluation(at=AT, findings=tuple(finding(f"s{i:03d}", eta_days=i + 1) for i in range(at_risk)))
    body = risk_body(evaluation, SignalFacts({}, {}), plot_for=lambda row: "stub")
    assert body.count("<figure") == plots and body.count("data-rank=") == at_risk
    assert ("the other 1 are in the table" in body) == (at_risk > plots)
    assert "<figure id='plot-1'><h3>1. " in body and "s000" in body.split("<figure id='plot-1'>")[1][:300]
    assert body.count("href='#plot-") == plots  # every rank link has its plot


def test_label_values_and_summaries_are_escaped_never_markup():
    from detector.report.page import SignalFacts, risk_body

    hostile = "<img src=x onerror=alert(1)>'\""
    bad = Finding(key=SeriesKey("x", (("pod", hostile),)), kind="step_change", severity="critical", evaluated_at=AT, summary=hostile)
    body = risk_body(Evaluation(at=AT, findings=(bad,)), SignalFacts({"x": "javascript:alert(1)"}, {}), plot_for=lambda row: None)
    assert "<img src=x" not in body and "&lt;img src=x onerror=alert(1)&gt;&#x27;&quot;" in body
    assert "href='javascript" not in body
