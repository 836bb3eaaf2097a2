"""Small shared checks for the estimators (scikit-learn's ``check_is_fitted`` spirit, no sklearn import)."""

from __future__ import annotations

from typing import Any

import numpy as np


class NotFittedError(RuntimeError):
    """A method that needs ``fit`` was called first."""


def check_is_fitted(estimator: Any, attribute: str) -> None:
    if not hasattr(estimator, attribute):
        raise NotFittedError(f"{type(estimator).__name__} is not fitted yet; call fit() first")


def as_float_array(values: Any, name: str = "y") -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    return array


def robust_sigma(values: np.ndarray) -> float:
    """Standard deviation estimated as 1.4826 x MAD, ignoring NaN; 0.0 for fewer than 2 values."""
    finite = values[np.isfinite(values)]
    if finite.size < 2:
        return 0.0
    return float(1.4826 * np.median(np.abs(finite - np.median(finite))))


def difference_sigma(values: np.ndarray) -> float:
    """Noise level from first differences (robust to trends and a few steps): MAD(diff) / sqrt(2)."""
    finite = values[np.isfinite(values)]
    if finite.size < 3:
        return 0.0
    return robust_sigma(np.diff(finite)) / np.sqrt(2.0)
