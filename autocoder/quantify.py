"""Corpus-level proportions: classify-and-count, and the estimate adjusted for the classifier's errors.

Counting a classifier's labels is biased when the classifier is: a category it over-predicts is
over-counted. Adjusted classify-and-count (Forman 2008) corrects the counted proportions q with the
misclassification rates M[i, j] = P(predicted j | true i), estimated on held-out predictions:
q = M^T p, so the true proportions p solve a small least-squares problem, kept non-negative and summing to 1.
`estimate_proportions` adds 95% intervals for a set of reports: a bootstrap over its documents, with the
misclassification rates redrawn in each resample when the correction is used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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
    return _row_normalised(matrix)


def adjusted_proportions(predicted: Sequence[str], rates: np.ndarray, classes: Sequence[str]) -> np.ndarray:
    return _adjusted(proportions(predicted, classes), rates)


def _adjusted(observed: np.ndarray, rates: np.ndarray) -> np.ndarray:
    """The proportions p with M^T p closest to `observed`, non-negative and summing to 1."""
    estimate, _ = nnls(rates.T, observed)
    total = estimate.sum()
    return estimate / total if total > 0 else observed


@dataclass(frozen=True)
class ProportionEstimate:
    """Table 5 proportions of a set of reports with 95% intervals. `labels` are the codes proportions are over
    (NONE excluded, as in the paper's tables)."""

    labels: list[str]
    n: np.ndarray
    """Units given each label."""
    counted: np.ndarray
    """Classify-and-count: the share of the coded units given each label."""
    estimate: np.ndarray
    """The point estimate: `counted`, or the misclassification-corrected proportions when rates were given."""
    low: np.ndarray
    high: np.ndarray
    documents: int
    method: str


def _without_none(p: np.ndarray) -> np.ndarray:
    """Proportions over the labels but the last (NONE), renormalised."""
    kept = p[:-1]
    return kept / kept.sum() if kept.sum() > 0 else kept


def estimate_proportions(predicted: Sequence[str], documents: Sequence[str], labels: Sequence[str],
                         confusion: np.ndarray | None = None, resamples: int = 2000, seed: int = 0,
                         level: float = 0.95) -> ProportionEstimate:
    """Proportions of `predicted` (codes over `labels`, whose last entry must be NONE) with intervals that
    account for which reports happen to be in the set (a bootstrap over documents) and, given the model's
    held-out `confusion` counts (rows: human label, columns: model label, in `labels` order), for the model's
    own errors: each resample also draws misclassification rates from their posterior (a Dirichlet per row)
    and corrects by adjusted classify-and-count."""
    labels = list(labels)
    index = {label: i for i, label in enumerate(labels)}
    by_document: dict[str, np.ndarray] = {}
    for code, doc in zip(predicted, documents):
        by_document.setdefault(doc, np.zeros(len(labels)))[index[code]] += 1
    counts = np.stack(list(by_document.values())) if by_document else np.zeros((0, len(labels)))
    return estimate_from_counts(counts, labels, confusion, resamples, seed, level)


def estimate_from_counts(counts: np.ndarray, labels: Sequence[str], confusion: np.ndarray | None = None,
                         resamples: int = 2000, seed: int = 0, level: float = 0.95) -> ProportionEstimate:
    """`estimate_proportions` from a documents x labels matrix of counts (what a large archive keeps)."""
    labels = list(labels)
    rng = np.random.default_rng(seed)

    def corrected(total: np.ndarray, rates: np.ndarray | None) -> np.ndarray:
        observed = total / total.sum() if total.sum() else total
        return _without_none(observed if rates is None else _adjusted(observed, rates))

    point_rates = None if confusion is None else _row_normalised(confusion)
    total = counts.sum(axis=0)
    draws = []
    for _ in range(resamples if len(counts) else 0):
        sample = counts[rng.integers(0, len(counts), len(counts))].sum(axis=0)
        rates = None if confusion is None else np.stack([rng.dirichlet(row + 0.5) for row in confusion])
        draws.append(corrected(sample, rates))
    tail = (1 - level) / 2
    low, high = (np.quantile(draws, [tail, 1 - tail], axis=0) if draws else (np.zeros(len(labels) - 1),) * 2)
    return ProportionEstimate(labels[:-1], total[:-1], corrected(total, None), corrected(total, point_rates), low, high,
                              len(counts),
                              "bootstrap over documents" + (" with misclassification correction" if confusion is not None else ""))


def _row_normalised(confusion: np.ndarray) -> np.ndarray:
    rows = confusion.sum(axis=1, keepdims=True)
    # A class never seen among the true labels keeps an identity row: nothing to correct with.
    return np.where(rows > 0, confusion / np.where(rows == 0, 1, rows), np.eye(len(confusion)))
