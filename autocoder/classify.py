"""The classifier: embeddings -> a ranked list of codebook categories, abstaining where nothing fits."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

from .codebook import Codebook, load_codebook
from .embed import ENCODER_NAME, Encoder
from .errors import InputError
from .types import NONE_CODE, Suggestion

FORMAT_VERSION = 1


class CodebookClassifier(ClassifierMixin, BaseEstimator):
    """Logistic regression on sentence embeddings, with the codebook's own text as extra training examples.

    `classes_` are the codebook's category ids and, when the training data has units that fit no
    category, `NONE`. Every category can be suggested, however few coded units it has, because its
    name, principle and examples are training examples too (weighted by `codebook_weight`).
    `predict` gives None where the top code is NONE or its probability is below `threshold`.
    """

    def __init__(self, codebook: Codebook | None = None, encoder: Encoder | None = None, C: float = 16.0,
                 codebook_weight: float = 1.0, class_weight: str | None = "balanced", threshold: float = 0.0,
                 top_k: int = 3, max_iter: int = 3000):
        self.codebook = codebook
        self.encoder = encoder
        self.C = C
        self.codebook_weight = codebook_weight
        self.class_weight = class_weight
        self.threshold = threshold
        self.top_k = top_k
        self.max_iter = max_iter

    def _codebook(self) -> Codebook:
        if self.codebook is None:
            self.codebook = load_codebook()
        return self.codebook

    def _encoder(self) -> Encoder:
        if self.encoder is None:
            self.encoder = Encoder()
        return self.encoder

    def _codebook_examples(self) -> tuple[list[str], list[str]]:
        texts, labels = [], []
        for category in self._codebook().categories:
            for text in (category.description, *category.examples):
                texts.append(text)
                labels.append(category.id)
        return texts, labels

    def fit(self, X: Sequence[str], y: Sequence[str], sample_weight: Sequence[float] | None = None):
        codebook = self._codebook()
        unknown = sorted({code for code in y if not codebook.is_code(code)})
        if unknown:
            raise InputError(f"codes not in codebook {codebook.id!r}: {', '.join(unknown)}")
        texts, labels = list(X), list(y)
        weights = list(sample_weight) if sample_weight is not None else [1.0] * len(texts)
        if self.codebook_weight > 0:
            book_texts, book_labels = self._codebook_examples()
            texts += book_texts
            labels += book_labels
            weights += [self.codebook_weight] * len(book_texts)
        self.model_ = LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=self.max_iter)
        self.model_.fit(self._encoder().encode(texts), labels, sample_weight=np.asarray(weights))
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X: Sequence[str]) -> np.ndarray:
        return self.model_.predict_proba(self._encoder().encode(list(X)))

    def predict(self, X: Sequence[str]) -> list[str | None]:
        return [s.category for s in self.suggest(X)]

    def suggest(self, X: Sequence[str]) -> list[Suggestion]:
        """One suggestion per text: the category (or None), its construct, confidence and the top alternatives."""
        return suggestions_from_proba(self.predict_proba(X), self.classes_, self._codebook(), self.threshold,
                                      self.top_k, self.version)

    @property
    def version(self) -> str:
        """A name for these exact weights: suggestions record it."""
        digest = hashlib.sha256(self.model_.coef_.tobytes() + self.model_.intercept_.tobytes()).hexdigest()
        return f"{self._codebook().id}-lr-{digest[:12]}"

    def save(self, directory: str | Path, extra: dict | None = None) -> Path:
        """Weights as .npz and settings as JSON: nothing pickled, so loading runs no code."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        np.savez(directory / "weights.npz", coef=self.model_.coef_, intercept=self.model_.intercept_)
        meta = {
            "format": FORMAT_VERSION, "version": self.version, "codebook": self._codebook().id,
            "classes": [str(c) for c in self.classes_], "encoder": ENCODER_NAME,
            "params": {k: v for k, v in self.get_params().items() if k not in ("codebook", "encoder")},
            **(extra or {}),
        }
        (directory / "model.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        return directory

    @classmethod
    def load(cls, directory: str | Path, codebook: Codebook | None = None,
             encoder: Encoder | None = None) -> "CodebookClassifier":
        directory = Path(directory)
        try:
            meta = json.loads((directory / "model.json").read_text(encoding="utf-8"))
            weights = np.load(directory / "weights.npz")
        except (FileNotFoundError, json.JSONDecodeError, ValueError) as exc:
            raise InputError(f"not a model directory ({exc})", source=str(directory)) from None
        codebook = codebook or load_codebook()
        if meta["codebook"] != codebook.id:
            raise InputError(f"model was trained on codebook {meta['codebook']!r}, not {codebook.id!r}",
                             source=str(directory))
        missing = [c for c in meta["classes"] if not codebook.is_code(c)]
        if missing:
            raise InputError(f"model classes not in the codebook: {', '.join(missing)}", source=str(directory))
        model = cls(codebook=codebook, encoder=encoder, **meta["params"])
        lr = LogisticRegression(C=model.C, class_weight=model.class_weight, max_iter=model.max_iter)
        lr.classes_ = np.array(meta["classes"], dtype=object)
        lr.coef_, lr.intercept_ = weights["coef"], weights["intercept"]
        model.model_, model.classes_ = lr, lr.classes_
        return model


def suggestions_from_proba(probabilities: np.ndarray, classes: np.ndarray, codebook: Codebook, threshold: float,
                           top_k: int = 3, model: str | None = None) -> list[Suggestion]:
    """Suggestions from class probabilities: the top code unless it is NONE or below `threshold`."""
    is_category = classes != NONE_CODE
    suggestions = []
    for row in probabilities:
        best = int(np.argmax(row))
        code, confidence = str(classes[best]), float(row[best])
        category = code if code != NONE_CODE and confidence >= threshold else None
        order = [i for i in np.argsort(-row) if is_category[i]][:top_k]
        suggestions.append(Suggestion(
            category=category, construct=codebook.construct_of(category), confidence=confidence,
            ranked=[(str(classes[i]), float(row[i])) for i in order], model=model,
        ))
    return suggestions
