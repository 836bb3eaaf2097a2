"""The backtest summary table names every series in full: long identities are never cut."""

from detector.backtest.summary import render_summary

NAMESPACE = "payments-production-eu-west-1"


def _entry(pvc: str, **extra) -> dict:
    return {
        "signal": "pvc_used_bytes",
        "labels": {"namespace": NAMESPACE, "persistentvolumeclaim": pvc, **extra},
        "incident": "2026-01-15T07:00:00Z",
        "role": "cause",
        "first_flagged": "2026-01-01T00:00:00Z",
        "lead_time_days": 14.3,
        "sustained_lead_days": 10.0,
        "false_alarms": 0,
        "summary": "",
    }


def _summary() -> dict:
    scores = {
        "detected_before_incident": 3,
        "incident_series": 3,
        "median_lead_time_days": 14.3,
        "median_sustained_lead_days": 10.0,
        "false_alarm_episodes": 0,
        "false_alarms_per_series_year": 0.0,
        "series_years_scored": 1.0,
        "quiet_series_with_alarms": 0,
        "series_without_incident": 0,
    }
    return {"slowburn": scores, "predict_linear": scores}


def _document(series: list[dict]) -> dict:
    return {
        "evaluations": 10,
        "first_evaluation": "2026-01-01T00:00:00Z",
        "last_evaluation": "2026-01-10T00:00:00Z",
        "series": series,
        "baseline": [],
        "summary": _summary(),
    }


def test_three_long_identities_that_differ_only_at_the_end_each_read_in_full_and_the_columns_line_up():
    pvcs = [f"data-postgres-ledger-primary-statefulset-{n}" for n in ("0", "1", "2")]
    text = render_summary(_document([_entry(p) for p in pvcs]))
    lines = text.splitlines()
    rows = [line for line in lines if line.startswith("pvc_used_bytes{")]
    assert len(rows) == 3
    for pvc, row in zip(pvcs, rows, strict=True):
        identity = f'pvc_used_bytes{{namespace="{NAMESPACE}",persistentvolumeclaim="{pvc}"}}'
        assert len(identity) > 52
        assert row.startswith(identity + " ")
    header = next(line for line in lines if line.startswith("SERIES"))
    assert {row.index(" cause ") for row in rows} == {header.index(" ROLE ")}


def test_a_newline_in_a_label_value_is_escaped_and_keeps_the_row_on_one_line():
    text = render_summary(_document([_entry("data-0", note="two\nlines")]))
    assert 'note="two\\nlines"' in text
    assert sum(line.startswith("pvc_used_bytes{") for line in text.splitlines()) == 1


def test_short_identities_keep_the_series_column_as_wide_as_its_header():
    text = render_summary(_document([{**_entry("d"), "signal": "x", "labels": {}}]))
    header = next(line for line in text.splitlines() if line.startswith("SERIES"))
    row = next(line for line in text.splitlines() if line.startswith("x{}"))
    assert header.index(" ROLE ") == row.index(" cause ") == len("SERIES")
