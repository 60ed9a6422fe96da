"""Training and evaluation: document-grouped cross-validation, threshold choice, held-out agreement."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.metrics import cohen_kappa_score, f1_score
from sklearn.model_selection import GroupKFold

from .agreement import agreement, compare, to_constructs
from .classify import CodebookClassifier, neighbour_contexts, suggestions_from_proba
from .codebook import Codebook
from .corpus import SPLITS, load_split
from .quantify import proportions
from .types import NONE_CODE


@dataclass(frozen=True)
class CodedSet:
    """Human-coded units: classifier inputs (text, section, context), codes (category id, NONE, or None
    where only the construct is known), the construct of each, and the document each comes from."""

    inputs: list[dict]
    codes: list[str | None]
    constructs: list[str]
    groups: list[str]

    @classmethod
    def from_records(cls, records: Sequence[dict]) -> "CodedSet":
        """Records in document order (as in the corpus files), so that neighbours give each other context."""
        inputs = [{"text": r["text"], "section": r.get("section"), "context": context}
                  for r, context in zip(records, neighbour_contexts(records))]
        return cls(inputs, [r.get("category") for r in records], [r.get("construct") or NONE_CODE for r in records],
                   [r["doc"] for r in records])

    @classmethod
    def from_split(cls, split: str) -> "CodedSet":
        return cls.from_records(load_split(split))

    def subset(self, keep: Sequence[int]) -> "CodedSet":
        return CodedSet(*([column[i] for i in keep] for column in (self.inputs, self.codes, self.constructs, self.groups)))

    def category_coded(self) -> "CodedSet":
        """The units coded to a category or NONE: the ones a model can be trained and scored on by category."""
        return self.subset([i for i, code in enumerate(self.codes) if code])

    def __len__(self) -> int:
        return len(self.inputs)


def fresh(model):
    """An unfitted copy sharing the encoder (and so its embedding cache): sklearn's clone would deep-copy it."""
    return type(model)(**model.get_params(deep=False))


def cross_val_proba(model, data: CodedSet, folds: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold probabilities of any estimator with fit / predict_proba / classes_, folds grouped by
    document so no document is in train and test at once. Columns: every class any fold learnt."""
    splitter = GroupKFold(n_splits=min(folds, len(set(data.groups))))
    fold_results = []
    for train_idx, test_idx in splitter.split(data.inputs, data.codes, groups=data.groups):
        train_part = data.subset(train_idx)
        fold_model = fresh(model).fit(train_part.inputs, train_part.codes)
        fold_results.append((test_idx, fold_model.classes_, fold_model.predict_proba(data.subset(test_idx).inputs)))
    classes = np.array(sorted({str(c) for _, fold_classes, _ in fold_results for c in fold_classes}), dtype=object)
    proba = np.zeros((len(data), len(classes)))
    for test_idx, fold_classes, fold_proba in fold_results:
        proba[np.ix_(test_idx, np.searchsorted(classes, fold_classes))] = fold_proba
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


def construct_proportion_error(human: Sequence[str], predicted: Sequence[str], codebook: Codebook) -> float:
    """Mean absolute difference of the construct proportions (Table 5: over units coded to a construct)."""
    return float(np.mean(np.abs(proportions([c for c in human if c != NONE_CODE], codebook.construct_ids)
                                - proportions([c for c in predicted if c != NONE_CODE], codebook.construct_ids))))


def score(data: CodedSet, predicted: Sequence[str | None], codebook: Codebook) -> dict:
    """Model against human codes: agreement, macro-F1 and accuracy by category (units with a category code)
    and by construct (all units); abstention rate; construct-proportion error."""
    result = {"n": len(data), "abstention_rate": float(np.mean([p is None for p in predicted]))}
    by_category = [i for i, code in enumerate(data.codes) if code]
    if by_category:
        human = [data.codes[i] for i in by_category]
        model = [predicted[i] or NONE_CODE for i in by_category]
        result["category"] = {**agreement(human, model, codebook)["category"].to_dict(),
                              "macro_f1": float(f1_score(human, model, average="macro", zero_division=0))}
    model_constructs = to_constructs(predicted, codebook)
    result["construct"] = {
        **compare(data.constructs, model_constructs, [*codebook.construct_ids, NONE_CODE], "construct").to_dict(),
        "macro_f1": float(f1_score(data.constructs, model_constructs, average="macro", zero_division=0)),
    }
    result["construct_proportion_error"] = construct_proportion_error(data.constructs, model_constructs, codebook)
    return result


def evaluate(model: CodebookClassifier, data: CodedSet, codebook: Codebook) -> dict:
    return score(data, model.predict(data.inputs), codebook)


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
    model.set_params(threshold=chosen["threshold"]).fit(train.inputs, train.codes)
    return {
        "train_units": len(train), "train_documents": len(set(train.groups)), "folds": folds,
        "train_counts": dict(Counter(train.codes)),
        "threshold": chosen, "coverage_curve": curve,
        "cross_validation": score(train, cv_predicted, codebook),
        "held_out": {name: evaluate(model, data, codebook) for name, data in held_out.items() if len(data)},
        "train_seconds": round(time.perf_counter() - started, 1),
    }


def save_evaluation(results: dict, path: str | Path) -> None:
    Path(path).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
