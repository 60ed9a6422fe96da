"""Training and evaluation: document-grouped cross-validation, threshold choice, held-out agreement."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.metrics import cohen_kappa_score
from sklearn.model_selection import GroupKFold

from .agreement import agreement, compare, to_constructs
from .classify import CodebookClassifier, suggestions_from_proba
from .codebook import Codebook
from .corpus import SPLITS, load_split
from .types import NONE_CODE


@dataclass(frozen=True)
class CodedSet:
    """Human-coded units: texts, codes (category id, NONE, or None where only the construct is known),
    the construct of each, and the document each comes from."""

    texts: list[str]
    codes: list[str | None]
    constructs: list[str]
    groups: list[str]

    @classmethod
    def from_records(cls, records: Sequence[dict]) -> "CodedSet":
        return cls([r["text"] for r in records], [r.get("category") for r in records],
                   [r.get("construct") or NONE_CODE for r in records], [r["doc"] for r in records])

    @classmethod
    def from_split(cls, split: str) -> "CodedSet":
        return cls.from_records(load_split(split))

    def category_coded(self) -> "CodedSet":
        """The units coded to a category or NONE: the ones a model can be trained and scored on by category."""
        keep = [i for i, code in enumerate(self.codes) if code]
        return CodedSet(*([column[i] for i in keep] for column in (self.texts, self.codes, self.constructs, self.groups)))

    def __len__(self) -> int:
        return len(self.texts)


def fresh(model: CodebookClassifier) -> CodebookClassifier:
    """An unfitted copy sharing the encoder (and so its embedding cache)."""
    return type(model)(**model.get_params(deep=False))


def cross_val_proba(model: CodebookClassifier, data: CodedSet, folds: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold probabilities, folds grouped by document so no document is in train and test at once.

    Columns are the classes the model fitted on all of `data` would have.
    """
    labels = set(data.codes) | (set(model._codebook().category_ids) if model.codebook_weight > 0 else set())
    classes = np.array(sorted(labels), dtype=object)
    proba = np.zeros((len(data), len(classes)))
    texts, codes = np.array(data.texts, dtype=object), np.array(data.codes, dtype=object)
    splitter = GroupKFold(n_splits=min(folds, len(set(data.groups))))
    for train_idx, test_idx in splitter.split(texts, codes, groups=data.groups):
        fold_model = fresh(model).fit(list(texts[train_idx]), list(codes[train_idx]))
        columns = np.searchsorted(classes, fold_model.classes_)
        proba[np.ix_(test_idx, columns)] = fold_model.predict_proba(list(texts[test_idx]))
    return proba, classes


def coverage_curve(proba: np.ndarray, classes: np.ndarray, codes: Sequence[str]) -> list[dict]:
    """For each threshold: the share of units given a category, how often that category is right,
    and Cohen's kappa with the human codes when the model abstains below it (abstention counts as NONE)."""
    best = proba.argmax(axis=1)
    top_code = classes[best]
    confidence = proba[np.arange(len(proba)), best]
    human = np.asarray(codes, dtype=object)
    correct = top_code == human
    is_category = top_code != NONE_CODE
    curve = []
    for threshold in np.round(np.arange(0.0, 1.0, 0.02), 2):
        suggested = is_category & (confidence >= threshold)
        predicted = np.where(suggested, top_code, NONE_CODE)
        curve.append({"threshold": float(threshold), "coverage": float(suggested.mean()),
                      "precision": float(correct[suggested].mean()) if suggested.any() else None,
                      "kappa": float(cohen_kappa_score(human, predicted))})
    return curve


def choose_threshold(curve: list[dict], target_precision: float) -> dict:
    """The threshold that maximises kappa on held-out predictions (the default), and the lowest one whose
    suggestions reach `target_precision` (None if none does), for a reviewer who wants fewer, surer suggestions."""
    best = max(curve, key=lambda p: (p["kappa"], -p["threshold"]))
    precise = next((p for p in curve if p["precision"] is not None and p["precision"] >= target_precision), None)
    return {**best, "target_precision": target_precision, "at_target_precision": precise}


def score(data: CodedSet, predicted: Sequence[str | None], codebook: Codebook) -> dict:
    """Model against human codes: agreement by category (units with a category code) and by construct (all)."""
    result = {"n": len(data), "abstention_rate": float(np.mean([p is None for p in predicted]))}
    by_category = [i for i, code in enumerate(data.codes) if code]
    if by_category:
        result["category"] = agreement([data.codes[i] for i in by_category], [predicted[i] for i in by_category],
                                       codebook)["category"].to_dict()
    result["construct"] = compare(data.constructs, to_constructs(predicted, codebook),
                                  [*codebook.construct_ids, NONE_CODE], "construct").to_dict()
    return result


def evaluate(model: CodebookClassifier, data: CodedSet, codebook: Codebook) -> dict:
    return score(data, model.predict(data.texts), codebook)


def train_and_evaluate(model: CodebookClassifier, codebook: Codebook, folds: int = 5,
                       target_precision: float = 0.9, train: CodedSet | None = None,
                       held_out: dict[str, CodedSet] | None = None) -> dict:
    """Cross-validate on the training split, set the abstention threshold, fit on all of it, score held-out splits."""
    train = (train if train is not None else CodedSet.from_split("train")).category_coded()
    if held_out is None:
        held_out = {s: CodedSet.from_split(s) for s in SPLITS if s != "train"}
    started = time.perf_counter()
    proba, classes = cross_val_proba(model, train, folds)
    curve = coverage_curve(proba, classes, train.codes)
    chosen = choose_threshold(curve, target_precision)
    cv_predicted = [s.category for s in suggestions_from_proba(proba, classes, codebook, chosen["threshold"])]
    model.set_params(threshold=chosen["threshold"]).fit(train.texts, train.codes)
    return {
        "train_units": len(train), "train_documents": len(set(train.groups)), "folds": folds,
        "threshold": chosen, "coverage_curve": curve,
        "cross_validation": score(train, cv_predicted, codebook),
        "held_out": {name: evaluate(model, data, codebook) for name, data in held_out.items() if len(data)},
        "train_seconds": round(time.perf_counter() - started, 1),
    }


def save_evaluation(results: dict, path: str | Path) -> None:
    Path(path).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
