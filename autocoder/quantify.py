"""Corpus-level proportions: classify-and-count, and the estimate adjusted for the classifier's errors.

Counting a classifier's labels is biased when the classifier is: a category it over-predicts is
over-counted. Adjusted classify-and-count (Forman 2008) corrects the counted proportions q with the
misclassification rates M[i, j] = P(predicted j | true i), estimated on held-out predictions:
q = M^T p, so the true proportions p solve a small least-squares problem, kept non-negative and summing to 1.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.optimize import nnls


def proportions(labels: Sequence[str], classes: Sequence[str]) -> np.ndarray:
    counts = np.array([sum(1 for x in labels if x == c) for c in classes], dtype=float)
    return counts / counts.sum() if counts.sum() else counts


def misclassification_rates(true: Sequence[str], predicted: Sequence[str], classes: Sequence[str]) -> np.ndarray:
    """Row i: the distribution of predicted labels for units whose true label is classes[i]."""
    index = {c: i for i, c in enumerate(classes)}
    matrix = np.zeros((len(classes), len(classes)))
    for t, p in zip(true, predicted):
        matrix[index[t], index[p]] += 1
    rows = matrix.sum(axis=1, keepdims=True)
    # A class never seen among the true labels keeps an identity row: nothing to correct with.
    return np.where(rows > 0, matrix / np.where(rows == 0, 1, rows), np.eye(len(classes)))


def adjusted_proportions(predicted: Sequence[str], rates: np.ndarray, classes: Sequence[str]) -> np.ndarray:
    observed = proportions(predicted, classes)
    estimate, _ = nnls(rates.T, observed)
    total = estimate.sum()
    return estimate / total if total > 0 else observed
