"""Agreement between two codings of the same units: kappa, alpha, percent agreement, confusion.

Per-category kappa is one-vs-rest (the unit is coded to the category or not by each coder), as
NVivo's coding comparison reports it. Every figure is given at category and, when the codebook has
constructs, at construct level. `character_agreement` gives NVivo's own unit of comparison for two coders'
selections in the same documents: per code, one-vs-rest over every character (coded to the code or not by
each coder), all the documents' characters pooled.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import krippendorff
import numpy as np
from sklearn.metrics import cohen_kappa_score

from .codebook import Codebook
from .types import NONE_CODE


@dataclass
class LabelAgreement:
    label: str
    kappa: float | None
    """None when neither coder used the label, or both used it for every unit (kappa undefined)."""
    support_a: int
    support_b: int
    agree: int


@dataclass
class AgreementReport:
    level: str
    n: int
    kappa: float
    kappa_ci: tuple[float, float]
    alpha: float
    percent_agreement: float
    labels: list[str]
    confusion: list[list[int]]
    per_label: list[LabelAgreement] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "level": self.level, "n": self.n, "kappa": self.kappa, "kappa_ci95": list(self.kappa_ci),
            "alpha": self.alpha, "percent_agreement": self.percent_agreement,
            "per_label": [vars(p) for p in self.per_label],
            "confusion": {"labels": self.labels, "matrix": self.confusion},
        }


def _kappa(a: Sequence[str], b: Sequence[str]) -> float:
    if len(set(a) | set(b)) < 2:
        return 1.0  # a single label used by both throughout: perfect, if uninformative, agreement
    return float(cohen_kappa_score(a, b))


def _alpha(a: Sequence[str], b: Sequence[str], labels: list[str]) -> float:
    if len(set(a) | set(b)) < 2:
        return 1.0
    index = {label: i for i, label in enumerate(labels)}
    data = np.array([[index[x] for x in a], [index[x] for x in b]], dtype=float)
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


def bootstrap_kappa_ci(a: Sequence[str], b: Sequence[str], n_resamples: int = 1000, seed: int = 0,
                       level: float = 0.95) -> tuple[float, float]:
    """Percentile interval of Cohen's kappa over units resampled with replacement."""
    rng = np.random.default_rng(seed)
    a_arr, b_arr = np.asarray(a, dtype=object), np.asarray(b, dtype=object)
    stats = []
    for _ in range(n_resamples):
        idx = rng.integers(0, len(a_arr), len(a_arr))
        stats.append(_kappa(a_arr[idx], b_arr[idx]))
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(stats, [tail, 100 - tail])
    return float(low), float(high)


def _confusion(a: Sequence[str], b: Sequence[str], labels: list[str]) -> list[list[int]]:
    """Rows: coder a's label; columns: coder b's."""
    index = {label: i for i, label in enumerate(labels)}
    matrix = np.zeros((len(labels), len(labels)), dtype=int)
    np.add.at(matrix, ([index[x] for x in a], [index[y] for y in b]), 1)
    return matrix.tolist()


def compare(a: Sequence[str], b: Sequence[str], labels: Sequence[str] | None = None, level: str = "category",
            n_resamples: int = 1000, seed: int = 0) -> AgreementReport:
    """Agreement between two label sequences over the same units."""
    if len(a) != len(b):
        raise ValueError(f"the codings cover different numbers of units ({len(a)} and {len(b)})")
    if not a:
        raise ValueError("no units to compare")
    used = set(a) | set(b)
    labels = [label for label in (labels or sorted(used)) if label in used]
    labels += sorted(used - set(labels))
    per_label = []
    for label in labels:
        in_a = [x == label for x in a]
        in_b = [x == label for x in b]
        defined = 0 < sum(in_a) + sum(in_b) and not (all(in_a) and all(in_b))
        per_label.append(LabelAgreement(
            label=label, kappa=float(cohen_kappa_score(in_a, in_b)) if defined else None,
            support_a=sum(in_a), support_b=sum(in_b), agree=sum(x and y for x, y in zip(in_a, in_b)),
        ))
    return AgreementReport(
        level=level, n=len(a), kappa=_kappa(a, b), kappa_ci=bootstrap_kappa_ci(a, b, n_resamples, seed),
        alpha=_alpha(a, b, labels), percent_agreement=float(np.mean([x == y for x, y in zip(a, b)])),
        labels=labels, confusion=_confusion(a, b, labels), per_label=per_label,
    )


def to_constructs(codes: Sequence[str | None], codebook: Codebook) -> list[str]:
    return [codebook.construct_of(c) or NONE_CODE for c in codes]


def agreement(a: Sequence[str | None], b: Sequence[str | None], codebook: Codebook,
              n_resamples: int = 1000, seed: int = 0) -> dict[str, AgreementReport]:
    """Category-level and (for a codebook with constructs) construct-level agreement; None (no code,
    abstention) counts as NONE."""
    cats_a = [c or NONE_CODE for c in a]
    cats_b = [c or NONE_CODE for c in b]
    reports = {"category": compare(cats_a, cats_b, [*codebook.category_ids, NONE_CODE], "category", n_resamples, seed)}
    if codebook.constructs:
        reports["construct"] = compare(to_constructs(cats_a, codebook), to_constructs(cats_b, codebook),
                                       [*codebook.construct_ids, NONE_CODE], "construct", n_resamples, seed)
    return reports


@dataclass
class CharacterAgreement:
    """One code's agreement over characters: kappa and the share of characters on which the coders agree."""

    code: str
    kappa: float | None
    """None when neither coder used the code (undefined)."""
    agreement: float
    characters_a: int
    characters_b: int
    characters_both: int


Span = tuple[str, int, int, str]
"""A coded selection: document, start, end, code."""


def character_agreement(documents: Mapping[str, str], a: Iterable[Span], b: Iterable[Span],
                        codes: Sequence[str]) -> list[CharacterAgreement]:
    """Per code, Cohen's kappa of 'this character is coded to the code' between two coders, over every
    character of `documents` pooled (a character one coder coded twice to the code counts once)."""
    lengths = {name: len(text) for name, text in documents.items()}
    offsets = dict(zip(lengths, np.cumsum([0, *lengths.values()])[:-1]))
    total = sum(lengths.values())

    def coverage(spans: Iterable[Span]) -> dict[str, np.ndarray]:
        marks: dict[str, np.ndarray] = {}
        for doc, start, end, code in spans:
            if doc in offsets:
                marks.setdefault(code, np.zeros(total, dtype=bool))[offsets[doc] + start:offsets[doc] + end] = True
        return marks

    marks_a, marks_b = coverage(a), coverage(b)
    empty = np.zeros(total, dtype=bool)
    results = []
    for code in codes:
        in_a, in_b = marks_a.get(code, empty), marks_b.get(code, empty)
        both, neither = int((in_a & in_b).sum()), int((~in_a & ~in_b).sum())
        observed = (both + neither) / total
        p_a, p_b = in_a.mean(), in_b.mean()
        expected = p_a * p_b + (1 - p_a) * (1 - p_b)
        used = in_a.any() or in_b.any()
        kappa = (1.0 if observed == 1 else float((observed - expected) / (1 - expected))) if used else None
        results.append(CharacterAgreement(code, kappa, observed, int(in_a.sum()), int(in_b.sum()), both))
    return results
