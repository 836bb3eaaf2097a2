"""Kinds and severities are enums whose members read, print and serialise as the plain words the
outputs have always carried; the pandas-free names the config and the CLI use are the same words."""

import json
import typing

import pandas as pd
import pytest

from detector import config as config_module
from detector.findings import KINDS, Finding, Kind, Severity, at_least
from detector.series import SeriesKey
from detector.severity_names import SEVERITY_NAMES, SeverityName

AT = pd.Timestamp("2026-02-20T10:00:00Z")


def finding(kind="breach_forecast", severity="warning"):
    return Finding(key=SeriesKey("disk", (("pvc", "a"),)), kind=kind, severity=severity, evaluated_at=AT, summary="s")


def test_a_severity_prints_formats_and_serialises_as_its_word():
    assert str(Severity.WARNING) == "warning"
    assert f"{Severity.CRITICAL:>10}" == "  critical"
    assert json.dumps({"severity": Severity.INFO, Kind.AT_CEILING: 1}) == '{"severity": "info", "at_ceiling": 1}'


def test_a_kind_or_severity_given_as_a_word_becomes_the_enum_member():
    made = finding("at_ceiling", "critical")
    assert made.kind is Kind.AT_CEILING and made.severity is Severity.CRITICAL


@pytest.mark.parametrize("kind, severity", [("breach_forcast", "warning"), ("at_ceiling", "urgent")])
def test_an_unknown_kind_or_severity_is_refused(kind, severity):
    with pytest.raises(ValueError):
        finding(kind, severity)


def test_severities_rank_info_below_warning_below_critical():
    assert [s.rank for s in (Severity.INFO, Severity.WARNING, Severity.CRITICAL)] == [0, 1, 2]


def test_at_least_a_warning_keeps_warnings_and_criticals_and_drops_infos():
    found = [finding(severity="info"), finding(severity="warning"), finding(severity="critical")]
    assert [f.severity for f in at_least(found, Severity.WARNING)] == ["warning", "critical"]
    assert [f.severity for f in at_least(found, "critical")] == ["critical"]


def test_the_finding_dictionary_holds_plain_strings():
    as_dict = finding().to_dict()
    assert type(as_dict["kind"]) is str and type(as_dict["severity"]) is str


def test_the_pandas_free_severity_names_are_the_enum_values_in_rank_order():
    assert tuple(s.value for s in Severity) == SEVERITY_NAMES
    assert typing.get_args(SeverityName) == SEVERITY_NAMES


def test_the_config_accepts_exactly_the_severity_words_as_max_severity():
    field = config_module.SeverityPolicy.model_fields["max_severity"]
    assert typing.get_args(field.annotation) == tuple(s.value for s in Severity)


def test_kinds_lists_every_kind_once():
    assert tuple(k.value for k in Kind) == KINDS and len(set(KINDS)) == len(Kind)
