"""The models compute the same numbers as before the speed work (issue 13): every field of the
analysis of twelve seeded series, and the learned attributes of the single models, are compared
with ``fixtures/model_outputs.json`` (written by the code before the change) to 1e-9 relative."""

import json

import pytest

from tests.unit.model_outputs import FIXTURE, analyze, analyzer_cases, differences, estimator_cases

PINNED = json.loads(FIXTURE.read_text())
ANALYZER_CASES = dict(analyzer_cases())
ESTIMATOR_CASES = estimator_cases()


@pytest.mark.parametrize("name", sorted(ANALYZER_CASES))
def test_the_series_analysis_is_the_pinned_one(name):
    assert differences(PINNED["analyses"][name], analyze(ANALYZER_CASES[name]), name) == []


@pytest.mark.parametrize("name", sorted(ESTIMATOR_CASES))
def test_the_learned_attributes_of_each_model_are_the_pinned_ones(name):
    assert differences(PINNED["estimators"][name], ESTIMATOR_CASES[name](), name) == []


def test_every_pinned_case_is_still_computed():
    assert sorted(PINNED["analyses"]) == sorted(ANALYZER_CASES)
    assert sorted(PINNED["estimators"]) == sorted(ESTIMATOR_CASES)


def test_the_comparison_reports_a_number_that_moved_beyond_the_tolerance_and_accepts_one_within_it():
    pinned = {"slope": 0.25, "segments": [{"start": 0, "value": float("nan")}], "domain": "log"}
    assert differences(pinned, {"slope": 0.25 * (1 + 1e-11), "segments": [{"start": 0, "value": float("nan")}], "domain": "log"}) == []
    assert differences(pinned, {"slope": 0.25 * (1 + 1e-7), "segments": [{"start": 0, "value": float("nan")}], "domain": "log"}) != []
    assert differences(pinned, {"slope": 0.25, "segments": [{"start": 1, "value": float("nan")}], "domain": "log"}) != []
    assert differences(pinned, {"slope": 0.25, "segments": [{"start": 0, "value": 0.0}], "domain": "log"}) != []
    assert differences(pinned, {"slope": 0.25, "segments": [], "domain": "log"}) != []
    assert differences(pinned, {"slope": 0.25, "segments": [{"start": 0, "value": float("nan")}], "domain": "linear"}) != []
