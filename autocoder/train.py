"""Training and evaluation: document-grouped cross-validation, threshold choice, held-out agreement."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np
from scipy.optimize import minimize_scalar
from sklearn.metrics import cohen_kappa_score, confusion_matrix, f1_score
from sklearn.model_selection import GroupKFold

from .agreement import agreement, compare, to_constructs
from .classify import CodebookClassifier, apply_temperature, neighbour_contexts, suggestions_from_proba
from .codebook import Codebook
from .corpus import SPLITS, load_split
from .errors import InputError
from .quantify import proportions
from .segment import UNITIZER_FILE, Segmenter
from .types import NONE_CODE


@dataclass(frozen=True)
class CodedSet:
    """Human-coded units: classifier inputs (text, section, context), codes (category id, NONE, or None
    where only the construct is known), the construct of each, the group each comes from (its writer where the
    corpus records one, else its document: cross-validation never puts a group on both sides of a fold), and
    whether its text was written by people (`real`) rather than for the project."""

    inputs: list[dict]
    codes: list[str | None]
    constructs: list[str]
    groups: list[str]
    real: list[bool] = field(default_factory=list)

    def __post_init__(self):
        if not self.real:  # sets made without it: take the text as people's
            object.__setattr__(self, "real", [True] * len(self.inputs))

    @classmethod
    def from_records(cls, records: Sequence[dict]) -> "CodedSet":
        """Records in document order (as in the corpus files), so that neighbours give each other context."""
        inputs = [{"text": r["text"], "section": r.get("section"), "context": context}
                  for r, context in zip(records, neighbour_contexts(records))]
        return cls(inputs, [r.get("category") for r in records], [r.get("construct") or NONE_CODE for r in records],
                   [f"writer:{r['writer']}" if r.get("writer") else r["doc"] for r in records],
                   [not r.get("synthetic", False) for r in records])

    @classmethod
    def from_split(cls, split: str) -> "CodedSet":
        return cls.from_records(load_split(split))

    @classmethod
    def concat(cls, sets: Sequence["CodedSet"]) -> "CodedSet":
        return cls(*(sum((getattr(s, f.name) for s in sets), []) for f in fields(cls)))

    def subset(self, keep: Sequence[int]) -> "CodedSet":
        return CodedSet(*([getattr(self, f.name)[i] for i in keep] for f in fields(self)))

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
    document so no document is in train and test at once (by unit when all units are of one document).
    Columns: every class any fold learnt."""
    groups = data.groups if len(set(data.groups)) >= 2 else list(range(len(data)))  # one document: by unit
    if len(set(groups)) < 2:
        raise InputError("cross-validation needs at least two coded units")
    splitter = GroupKFold(n_splits=min(folds, len(set(groups))))
    fold_results = []
    for train_idx, test_idx in splitter.split(data.inputs, data.codes, groups=groups):
        train_part = data.subset(train_idx)
        fold_model = fresh(model).fit(train_part.inputs, train_part.codes)
        fold_results.append((test_idx, fold_model.classes_, fold_model.predict_proba(data.subset(test_idx).inputs)))
    classes = np.array(sorted({str(c) for _, fold_classes, _ in fold_results for c in fold_classes}), dtype=object)
    proba = np.zeros((len(data), len(classes)))
    for test_idx, fold_classes, fold_proba in fold_results:
        proba[np.ix_(test_idx, np.searchsorted(classes, fold_classes))] = fold_proba
    return proba, classes


def fit_temperature(proba: np.ndarray, classes: np.ndarray, codes: Sequence[str]) -> float:
    """The temperature that minimises the negative log-likelihood of the human codes under held-out
    (out-of-fold) probabilities: temperature scaling, one parameter, so it cannot reorder the codes."""
    column = {str(c): i for i, c in enumerate(classes)}
    rows = np.array([i for i, code in enumerate(codes) if code in column])
    truth = np.array([column[codes[i]] for i in rows])

    def nll(log_t: float) -> float:
        scaled = apply_temperature(proba[rows], float(np.exp(log_t)))
        return float(-np.log(np.clip(scaled[np.arange(len(rows)), truth], 1e-12, None)).mean())

    return float(np.exp(minimize_scalar(nll, bounds=(np.log(0.05), np.log(20.0)), method="bounded").x))


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = 10) -> tuple[float, list[dict]]:
    """ECE of the top code's probability over equal-width confidence bins, and the bins (a reliability diagram)."""
    edges = np.linspace(0, 1, bins + 1)
    table, ece = [], 0.0
    for low, high in zip(edges[:-1], edges[1:]):
        inside = (confidence > low) & (confidence <= high)
        if inside.any():
            ece += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
            table.append({"bin": [float(low), float(high)], "n": int(inside.sum()),
                          "confidence": float(confidence[inside].mean()), "accuracy": float(correct[inside].mean())})
    return float(ece), table


def top_code_calibration(proba: np.ndarray, classes: np.ndarray, codes: Sequence[str | None]) -> tuple[float, list[dict]]:
    """`expected_calibration_error` of the top code against the human codes (units without a category code left out)."""
    coded = np.array([code is not None for code in codes])
    best = proba[coded].argmax(axis=1)
    correct = np.asarray(classes, dtype=object)[best] == np.asarray(codes, dtype=object)[coded]
    return expected_calibration_error(proba[coded][np.arange(len(best)), best], correct)


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
    and, for a codebook with constructs, by construct (all units) with the construct-proportion error;
    abstention rate."""
    result = {"n": len(data), "abstention_rate": float(np.mean([p is None for p in predicted]))}
    by_category = [i for i, code in enumerate(data.codes) if code]
    if by_category:
        human = [data.codes[i] for i in by_category]
        model = [predicted[i] or NONE_CODE for i in by_category]
        result["category"] = {**agreement(human, model, codebook)["category"].to_dict(),
                              "macro_f1": float(f1_score(human, model, average="macro", zero_division=0))}
    if not codebook.constructs:
        return result
    model_constructs = to_constructs(predicted, codebook)
    result["construct"] = {
        **compare(data.constructs, model_constructs, [*codebook.construct_ids, NONE_CODE], "construct").to_dict(),
        "macro_f1": float(f1_score(data.constructs, model_constructs, average="macro", zero_division=0)),
    }
    result["construct_proportion_error"] = construct_proportion_error(data.constructs, model_constructs, codebook)
    return result


def evaluate(model: CodebookClassifier, data: CodedSet, codebook: Codebook, precise_threshold: float | None = None,
             confusion: dict | None = None) -> dict:
    """Held-out agreement, overall and per report section; with `precise_threshold` (the out-of-fold 90%-precision
    threshold) the coverage and precision there; the Table 5 proportions with their 95% interval (corrected with
    the out-of-fold `confusion` when given) beside the human ones."""
    proba = model.predict_proba(data.inputs)
    predicted = [s.category for s in suggestions_from_proba(proba, model.classes_, codebook, model.threshold)]
    unscaled = apply_temperature(proba, 1 / model.temperature)  # undoes the model's temperature exactly
    sections = [item.get("section") for item in data.inputs]
    result = {**score(data, predicted, codebook),
              "ece": top_code_calibration(proba, model.classes_, data.codes)[0],
              "ece_before_temperature": top_code_calibration(unscaled, model.classes_, data.codes)[0],
              "by_section": {str(section): score(data.subset(keep), [predicted[i] for i in keep], codebook)
                             for section in dict.fromkeys(sections)
                             for keep in [[i for i, s in enumerate(sections) if s == section]]}}
    if codebook.constructs:
        result["proportions"] = proportion_check(data, predicted, codebook, confusion)
    if precise_threshold is not None:
        result["at_precise_threshold"] = precision_at(proba, model.classes_, data.codes, precise_threshold)
    return result


def precision_at(proba: np.ndarray, classes: np.ndarray, codes: Sequence[str | None], threshold: float) -> dict:
    """Share of units given a category at `threshold`, and how often it is the human code (category-coded units)."""
    coded = [i for i, code in enumerate(codes) if code]
    best = proba[coded].argmax(axis=1)
    top = np.asarray(classes, dtype=object)[best]
    suggested = (top != NONE_CODE) & (proba[coded][np.arange(len(coded)), best] >= threshold)
    human = np.asarray([codes[i] for i in coded], dtype=object)
    return {"threshold": threshold, "coverage": float(suggested.mean()) if coded else 0.0,
            "precision": float((top[suggested] == human[suggested]).mean()) if suggested.any() else None}


def proportion_check(data: CodedSet, predicted: Sequence[str | None], codebook: Codebook,
                     confusion: dict | None) -> dict:
    """The model's Table 5 for a set of documents with its 95% interval, against the human proportions: the
    error of each estimate and which constructs' human proportion the interval holds."""
    from .frequencies import construct_intervals

    human = proportions([c for c in data.constructs if c != NONE_CODE], codebook.construct_ids)
    table = construct_intervals(predicted, data.groups, codebook, confusion, resamples=1000)
    inside = (table["95% low"].to_numpy() <= human.round(3)) & (human.round(3) <= table["95% high"].to_numpy())
    return {"constructs": codebook.construct_ids, "human": human.round(3).tolist(),
            "counted": table["all prop"].tolist(), "estimate": table["estimate"].tolist(),
            "low": table["95% low"].tolist(), "high": table["95% high"].tolist(), "method": table.attrs["method"],
            "error_counted": float(np.abs(table["all prop"].to_numpy() - human).mean()),
            "error_estimate": float(np.abs(table["estimate"].to_numpy() - human).mean()),
            "covered": int(inside.sum())}


MIN_REAL_FOR_CALIBRATION = 200
"""With `calibrate_on_real`, the units written by people (not for the project) the temperature and threshold are
fitted on, when a training set has this many; otherwise they are fitted on all of it."""


def train_and_evaluate(model: CodebookClassifier, codebook: Codebook, folds: int = 5,
                       target_precision: float = 0.9, train: CodedSet | None = None,
                       held_out: dict[str, CodedSet] | None = None, calibrate_on_real: bool = False) -> dict:
    """Cross-validate on the training split (folds grouped by writer or document), fit the temperature and the
    abstention threshold on the out-of-fold probabilities (with `calibrate_on_real`, of the units written by
    people, when there are `MIN_REAL_FOR_CALIBRATION` of them), fit on all of it, score held-out splits. The one
    way a model is trained: `autocoder train`, the experiment harness and the service's retraining all call it. With fewer than two coded units there is nothing
    to cross-validate: the model learns the codebook's text (and that unit) at temperature 1 and threshold 0."""
    train = (train if train is not None else CodedSet.from_split("train")).category_coded()
    if held_out is None:
        held_out = {s: CodedSet.from_split(s) for s in SPLITS if s != "train"}
    started = time.perf_counter()
    if len(train) < 2:  # nothing to cross-validate: the codebook's own text, at the default temperature and threshold
        model.set_params(threshold=0.0, temperature=1.0).fit(train.inputs, train.codes)
        return {"train_units": len(train), "train_documents": len(set(train.groups)), "folds": 0,
                "train_counts": dict(Counter(train.codes)), "temperature": 1.0, "threshold": None,
                "coverage_curve": [], "out_of_fold_ece": None, "cross_validation": None, "construct_confusion": None,
                "held_out": {name: evaluate(model, data, codebook) for name, data in held_out.items() if len(data)},
                "train_seconds": round(time.perf_counter() - started, 1)}
    proba, classes = cross_val_proba(model.set_params(temperature=1.0), train, folds)
    # With `calibrate_on_real`, confidence and abstention are fitted on the units written by people (when there are
    # enough of them) rather than on all: measured on 8 December, the corpus's real train text (research prose, many
    # NONE units) chose a threshold that raised abstention on every held-out split, so it is off by default.
    real = [i for i, is_real in enumerate(train.real) if is_real]
    calibration = train.subset(real) if calibrate_on_real and len(real) >= MIN_REAL_FOR_CALIBRATION else train
    rows = real if calibration is not train else list(range(len(train)))
    temperature = fit_temperature(proba[rows], classes, calibration.codes)
    ece_before = top_code_calibration(proba[rows], classes, calibration.codes)[0]
    proba = apply_temperature(proba, temperature)
    curve = coverage_curve(proba[rows], classes, calibration.codes)
    chosen = choose_threshold(curve, target_precision)
    cv_predicted = [s.category for s in suggestions_from_proba(proba, classes, codebook, chosen["threshold"])]
    model.set_params(threshold=chosen["threshold"], temperature=temperature).fit(train.inputs, train.codes)
    confusion = None  # a codebook without constructs has no Table 5 to correct
    if codebook.constructs:
        constructs = [*codebook.construct_ids, NONE_CODE]
        confusion = {"labels": constructs, "counts": confusion_matrix(
            to_constructs(train.codes, codebook), to_constructs(cv_predicted, codebook), labels=constructs).tolist()}
    precise = chosen["at_target_precision"]["threshold"] if chosen["at_target_precision"] else None
    return {
        "train_units": len(train), "train_documents": len(set(train.groups)), "folds": folds,
        "train_counts": dict(Counter(train.codes)),
        "temperature": temperature, "threshold": chosen, "coverage_curve": curve,
        "calibrated_on": {"units": len(rows), "written_by_people": calibration is not train},
        "out_of_fold_ece": {"before_temperature": ece_before,
                            "after_temperature": top_code_calibration(proba[rows], classes, calibration.codes)[0]},
        "cross_validation": score(train, cv_predicted, codebook),
        **({"cross_validation_written_by_people": score(calibration, [cv_predicted[i] for i in rows], codebook)}
           if calibration is not train else {}),
        "construct_confusion": confusion,
        "held_out": {name: evaluate(model, data, codebook, precise, confusion) for name, data in held_out.items()
                     if len(data)},
        "train_seconds": round(time.perf_counter() - started, 1),
    }


def save_evaluation(results: dict, path: str | Path) -> None:
    Path(path).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def save_trained(model: CodebookClassifier, results: dict, directory: str | Path, extra: dict | None = None,
                 segmenter: Segmenter | None = None) -> Path:
    """A model fitted by `train_and_evaluate`, with the threshold choice and out-of-fold construct confusion it
    records (and `extra`), its evaluation, and the unitizer that cuts the units it codes (default: the bundled
    one), so that a model and its unitizer travel together."""
    recorded = {"threshold_choice": results["threshold"], **(extra or {})}
    if results["construct_confusion"] is not None:
        recorded["construct_confusion"] = results["construct_confusion"]
    path = model.save(directory, extra=recorded)
    save_evaluation(results, path / "evaluation.json")
    (segmenter or Segmenter.load()).save(path / UNITIZER_FILE)
    return path
