"""docs/policy.md is the policy as it is in the code, and every field says where it comes from."""

from pathlib import Path

import pytest

from detector.configuration.schema import ModelSettings
from detector.policy.document import markdown
from detector.policy.thresholds import DEFAULT_POLICY, describe, field_paths, for_signal

DOC = Path(__file__).resolve().parents[2] / "docs" / "policy.md"


def test_docs_policy_md_is_generated_from_the_code():
    assert DOC.read_text() == markdown(), "regenerate: python -m detector.policy.document > docs/policy.md"


def test_every_threshold_has_a_unit_and_an_origin():
    for entry in describe():
        assert entry["unit"] and entry["origin"].split(":")[0] in {"budget", "calibrated", "convention"}, entry


def test_an_unknown_field_is_refused_with_the_known_ones():
    with pytest.raises(KeyError, match="significance.settled"):
        DEFAULT_POLICY.with_field("significance.nope", 1)
    assert "shift.ratio" in field_paths()


def test_only_the_model_settings_a_user_wrote_override_the_policy():
    tuned = DEFAULT_POLICY.with_field("drift.warning_ratio", 3.0)
    assert for_signal(tuned, ModelSettings()).drift.warning_ratio == 3.0
    assert for_signal(tuned, ModelSettings(drift_ratio=1.5)).drift.warning_ratio == 1.5


def test_the_models_defaults_are_the_policys_so_a_policy_change_reaches_every_path():
    import inspect

    from detector.engine.evaluate import evidence_spec
    from models.drivers import link_driver
    from models.evidence import EvidenceSpec
    from models.trend import RobustTrend

    assert EvidenceSpec() == evidence_spec(DEFAULT_POLICY)
    assert inspect.signature(RobustTrend).parameters["heavy_tail_share"].default == DEFAULT_POLICY.trend.heavy_tail_share
    defaults = {k: v.default for k, v in inspect.signature(link_driver).parameters.items()}
    d = DEFAULT_POLICY.drivers
    assert (
        defaults["tolerance_days"],
        defaults["max_lag_days"],
        defaults["window_days"],
        defaults["min_step"],
        defaults["recent_step_ratio"],
        defaults["correlation_sigmas"],
    ) == (d.coincidence_days, d.max_lag_days, d.window_days, d.min_step, d.recent_step_ratio, d.correlation_sigmas)


def test_a_flag_field_takes_true_or_false_as_words_and_refuses_anything_else():
    assert DEFAULT_POLICY.with_field("staleness.info_finding", "false").staleness.info_finding is False
    assert DEFAULT_POLICY.with_field("staleness.info_finding", "True").staleness.info_finding is True
    with pytest.raises(ValueError, match="true or false"):
        DEFAULT_POLICY.with_field("staleness.info_finding", "yes please")
