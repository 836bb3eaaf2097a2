"""F1 with a margin and segmentation covering, as the Turing Change Point Dataset benchmark scores them.

Conventions (TCPD README, van den Burg & Williams 2020), all indices 0-based:

* A change point ``i`` means a new segment starts at ``y[i]``.
* Predictions are cleaned first (:func:`clean_predictions`): duplicates removed, only
  ``1 <= i <= n_obs - 2`` kept. Annotations are used as given (deduplicated).
* Index 0 is a change point by convention: it is added to every annotator's set and to the
  predictions before F1 is computed (so "no change points" still scores P = 1 and some recall).
  For covering, 0 and ``n_obs`` only delimit the series and never create an empty segment.
* F1 (margin 5): a prediction matches an annotated point when ``|prediction - point| <= margin``;
  each prediction and each annotated point is used at most once. Precision = matches against the
  union of all annotators' points / number of predictions; recall = mean over annotators of
  (matched points / that annotator's points); F1 = 2PR / (P + R).
* Cover: for each annotator, sum over their segments A of ``|A| x max Jaccard(A, B)`` over the
  predicted segments B, divided by ``n_obs``; then the mean over annotators.

Matching is greedy, as in the benchmark's scorer: annotated points are visited one by one and each
takes the closest unused prediction within the margin (the smaller index on a tie). The visiting
order is the iteration order of the Python sets the scorer builds (each annotator's points put in
a set, then 0 added; their union built by adding each annotator's points in turn), which for
integers is CPython's hash-table order, not ascending order. The order changes the score only when
two annotated points compete for one prediction (about 1 random prediction set in 60 on the
development series); following it makes our numbers the ones TCPDBench would publish.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

import numpy as np

MARGIN = 5

Annotations = Mapping[str, Iterable[int]]


class F1Score(NamedTuple):
    """F1 with its precision and recall (all in [0, 1])."""

    f1: float
    precision: float
    recall: float


def clean_predictions(locations: Iterable[int], n_obs: int) -> list[int]:
    """Sorted unique predicted change points with ``1 <= i <= n_obs - 2`` (the benchmark's cleaning).

    Index 0 and ``n_obs - 1`` are dropped because many methods report the series ends as change
    points; index 0 is added back by :func:`f_measure` for every method alike.
    """
    return sorted({int(i) for i in locations if 1 <= int(i) <= n_obs - 2})


def count_matches(truth: Iterable[int], predictions: Iterable[int], margin: int = MARGIN) -> int:
    """Points of ``truth``, visited in the given order, matched one-to-one to a prediction.

    Each point takes the closest still-unused prediction at most ``margin`` samples away (the
    smaller index on a tie); a point with none left in reach is unmatched.
    """
    unused = sorted({int(x) for x in predictions})
    matched = 0
    for point in truth:
        in_reach = [(abs(candidate - point), candidate) for candidate in unused if abs(candidate - point) <= margin]
        if in_reach:
            unused.remove(min(in_reach)[1])
            matched += 1
    return matched


def f_measure(annotations: Annotations, predictions: Iterable[int], margin: int = MARGIN) -> F1Score:
    """F1 of ``predictions`` against several annotators, with 0 added to every set.

    Parameters
    ----------
    annotations : mapping
        Annotator id to that annotator's change points (0-based indices; may be empty).
    predictions : iterable of int
        Predicted change points, already cleaned (see :func:`clean_predictions`).
    margin : int
        Largest distance, in samples, at which a prediction still counts as a hit.
    """
    per_annotator = _annotator_sets(annotations)
    for points in per_annotator:
        points.add(0)
    union: set[int] = set()
    for points in per_annotator:
        for point in points:
            union.add(point)
    predicted = {int(x) for x in predictions} | {0}
    precision = count_matches(union, predicted, margin) / len(predicted)
    recall = sum(count_matches(points, predicted, margin) / len(points) for points in per_annotator) / len(per_annotator)
    return F1Score(2.0 * precision * recall / (precision + recall), precision, recall)


def covering(annotations: Annotations, predictions: Iterable[int], n_obs: int) -> float:
    """Mean over annotators of the covering of their segmentation by the predicted one.

    Parameters
    ----------
    annotations : mapping
        Annotator id to change points (0-based indices in ``[0, n_obs)``).
    predictions : iterable of int
        Predicted change points (indices outside ``(0, n_obs)`` only delimit and are ignored).
    n_obs : int
        Length of the series, in samples (> 0).
    """
    if n_obs < 1:
        raise ValueError(f"n_obs must be positive, got {n_obs}")
    predicted = segments_from_cps(predictions, n_obs)
    covers = [_cover_one(segments_from_cps(points, n_obs), predicted, n_obs) for points in _annotator_sets(annotations)]
    return float(np.mean(covers))


def segments_from_cps(locations: Iterable[int], n_obs: int) -> np.ndarray:
    """Segments ``[start, end)`` (shape k x 2) cut at each change point in ``1 .. n_obs - 1``."""
    cuts = sorted({int(i) for i in locations if 0 < int(i) < n_obs})
    bounds = np.array([0, *cuts, n_obs])
    return np.column_stack([bounds[:-1], bounds[1:]])


def _cover_one(truth: np.ndarray, predicted: np.ndarray, n_obs: int) -> float:
    """``sum_A |A| max_B Jaccard(A, B) / n_obs`` over segments A of ``truth``, B of ``predicted``."""
    a_start, a_end = truth[:, :1], truth[:, 1:]
    b_start, b_end = predicted[:, 0][None, :], predicted[:, 1][None, :]
    inter = np.clip(np.minimum(a_end, b_end) - np.maximum(a_start, b_start), 0, None)
    union = (a_end - a_start) + (b_end - b_start) - inter
    best = (inter / union).max(axis=1)
    return float(np.sum((truth[:, 1] - truth[:, 0]) * best) / n_obs)


def _annotator_sets(annotations: Annotations) -> list[set[int]]:
    if not annotations:
        raise ValueError("at least one annotator is needed")
    return [{int(i) for i in points} for points in annotations.values()]
