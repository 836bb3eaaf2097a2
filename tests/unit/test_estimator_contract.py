"""The models are scikit-learn estimators (``sklearn.base.BaseEstimator``): parameters only in
``__init__``, ``get_params``/``set_params``/``clone`` work, learned attributes end in ``_``, and a
clone is unfitted and refits to the same result."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, clone

from models._validation import NotFittedError
from models.changepoints import PiecewiseLinearSegmenter
from models.evidence import EvidenceSpec
from models.pipeline import SeriesAnalyzer
from models.seasonality import SeasonalProfile
from models.trend import RobustTrend
from tests.unit.model_outputs import START, differences, flatten

SEED = 13
HOUR = 3600.0


def _series() -> np.ndarray:
    rng = np.random.default_rng(SEED)
    t = np.arange(120 * 24, dtype=float)
    return 50 * (1 + 0.004 * t / 24) * (1 + 0.2 * np.sin(2 * np.pi * t / 24)) * np.exp(rng.normal(0, 0.05, t.size))


def _daily() -> np.ndarray:
    rng = np.random.default_rng(SEED)
    return np.concatenate([rng.normal(10, 1, 60), rng.normal(20, 1, 40) + 0.3 * np.arange(40)])


# (estimator with non-default parameters, how to fit it, what it learned, a probe that needs the fit)
CASES = {
    "SeriesAnalyzer": (
        SeriesAnalyzer(min_regime_days=10, penalty=1.5, confidence=0.9, evidence=EvidenceSpec(old_ground_hold_days=5)),
        lambda e: e.fit(_series(), START, HOUR, ceiling=200.0),
        lambda e: flatten(e.analysis_),
        None,
    ),
    "RobustTrend": (
        RobustTrend(confidence=0.9, heavy_tail_share=0.5),
        lambda e: e.fit(np.arange(100.0), _daily()),
        lambda e: [e.slope_, e.intercept_, e.slope_se_, list(e.slope_interval_), e.n_effective_],
        lambda e: e.predict(3.0),
    ),
    "SeasonalProfile": (
        SeasonalProfile(mode="auto", min_strength=0.1),
        lambda e: e.fit(_series(), START, HOUR),
        lambda e: [flatten(e.profile_), list(e.periods_), e.multiplicative_],
        lambda e: e.seasonal(24),
    ),
    "PiecewiseLinearSegmenter": (
        PiecewiseLinearSegmenter(penalty=2.0, min_size=10, min_last_size=5),
        lambda e: e.fit(_daily()),
        lambda e: [flatten(e.breakpoints_), e.sigma_, e.cost_],
        lambda e: e.predict(),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_model_is_a_scikit_learn_estimator_whose_parameters_round_trip(name):
    estimator = CASES[name][0]
    assert isinstance(estimator, BaseEstimator)
    params = estimator.get_params()
    assert params == type(estimator)(**params).get_params()
    assert all(not key.endswith("_") for key in params)


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_clone_of_a_fitted_model_is_unfitted_has_equal_parameters_and_refits_to_the_same_result(name):
    estimator, fit, learned, probe = CASES[name]
    fitted = fit(clone(estimator))
    copy = clone(fitted)
    assert copy is not fitted
    assert copy.get_params() == estimator.get_params()
    assert not [key for key in vars(copy) if key.endswith("_")]
    if probe is not None:
        with pytest.raises(NotFittedError):
            probe(copy)
    assert differences(learned(fitted), learned(fit(copy)), name, rel=0.0, abs_=0.0) == []


@pytest.mark.parametrize("name", sorted(CASES))
def test_fitting_changes_no_parameter_and_fitting_twice_equals_fitting_once(name):
    estimator, fit, learned, _ = CASES[name]
    once = fit(clone(estimator))
    twice = fit(fit(clone(estimator)))
    assert once.get_params() == estimator.get_params()
    assert differences(learned(once), learned(twice), name, rel=0.0, abs_=0.0) == []


def test_set_params_changes_what_the_next_fit_does():
    profile = SeasonalProfile().fit(_series(), START, HOUR)
    assert profile.periods_ == ("daily",)
    assert profile.set_params(mode="none").fit(_series(), START, HOUR).periods_ == ()
    segmenter = PiecewiseLinearSegmenter(min_size=10)
    assert len(segmenter.fit(_daily()).breakpoints_) >= 1
    assert len(segmenter.set_params(penalty=1e6).fit(_daily()).breakpoints_) == 0


def test_set_params_rejects_a_parameter_the_model_does_not_have():
    with pytest.raises(ValueError, match="slope"):
        RobustTrend().set_params(slope=1.0)
