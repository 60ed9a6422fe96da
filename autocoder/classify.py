"""The classifier: embeddings -> a ranked list of codebook categories, abstaining where nothing fits."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

from .codebook import DEFAULT_CODEBOOK, Codebook, read_codebook_json
from .embed import ENCODER_NAME, Encoder, default_model_path
from .errors import InputError
from .types import NONE_CODE, Section, Suggestion, Unit

FORMAT_VERSION = 1
CODEBOOK_FILE = "codebook.json"
SECTIONS = [s.value for s in Section]
ENCODER_DIR = "encoder"
"""A fine-tuned model keeps its own encoder in this folder of the model directory."""


def encoder_path(model_dir: str | Path) -> str:
    """The sentence encoder a saved model's features come from: its own fine-tuned one, or the shipped MiniLM."""
    own = Path(model_dir) / ENCODER_DIR
    return str(own) if (own / "modules.json").is_file() else default_model_path()


def recorded_confusion(model_dir: str | Path) -> dict | None:
    """The out-of-fold construct confusion counts a saved model records for correcting Table 5 (None: trained
    before models recorded them, or on a codebook without constructs)."""
    return json.loads((Path(model_dir) / "model.json").read_text(encoding="utf-8")).get("construct_confusion")

UnitInput = str | Unit | Mapping
"""What the classifier codes: a text, a `Unit`, or a mapping with `text` and optionally `section` and
`context` (the neighbouring units' texts, see `with_context`)."""


def unit_fields(item: UnitInput) -> tuple[str, str | None, tuple[str, ...]]:
    """Text, section and neighbours' texts of a classifier input (a context given as one string is one neighbour)."""
    if isinstance(item, str):
        return item, None, ()
    if isinstance(item, Unit):
        return item.text, item.section, ()
    context = item.get("context") or ()
    return item["text"], item.get("section"), (context,) if isinstance(context, str) else tuple(context)


ADJACENT = 80
"""Units of one document closer than this many characters are neighbours: what separates them is
whitespace, a list marker or a heading."""


def neighbour_contexts(records: Sequence[Mapping]) -> list[list[str]]:
    """For records in document order (`doc`, `start`, `end`, `text`), the texts of each one's neighbours."""
    def adjacent(a: Mapping, b: Mapping) -> bool:
        return (a["doc"] == b["doc"] and a.get("source_file") == b.get("source_file")
                and a.get("end") is not None and b.get("start") is not None and 0 <= b["start"] - a["end"] <= ADJACENT)

    return [[records[j]["text"] for j, (first, second) in ((i - 1, (i - 1, i)), (i + 1, (i, i + 1)))
             if 0 <= j < len(records) and adjacent(records[first], records[second])]
            for i in range(len(records))]


def with_context(units: Sequence[Unit]) -> list[dict]:
    """Segmented units, in document order, as classifier inputs carrying their neighbours' texts."""
    records = [u.to_dict() for u in units]
    return [{"text": u.text, "section": u.section, "context": context}
            for u, context in zip(units, neighbour_contexts(records))]


def apply_temperature(proba: np.ndarray, temperature: float) -> np.ndarray:
    """Temperature scaling of probabilities: the ranking is kept, the confidence sharpened (T < 1) or softened."""
    if temperature == 1.0:
        return proba
    logits = np.log(np.clip(proba, 1e-12, None)) / temperature
    scaled = np.exp(logits - logits.max(axis=1, keepdims=True))
    return scaled / scaled.sum(axis=1, keepdims=True)


class CodebookClassifier(ClassifierMixin, BaseEstimator):
    """Logistic regression on sentence embeddings, with the codebook's own text as extra training examples.

    `classes_` are the codebook's category ids and, when the training data has units that fit no
    category, `NONE`. Every category can be suggested, however few coded units it has, because its
    name, principle and examples are training examples too (weighted by `codebook_weight`).
    `predict` gives None where the top code is NONE or its probability is below `threshold`.

    Features: the unit's embedding; with `context_weight` > 0, an embedding of its neighbours (units read
    in context are coded more consistently): of their text joined (`context_encoding="joined"`), or the mean
    of their own embeddings (`"mean"`, which costs no extra encoding, since the neighbours are units coded
    in the same batch); with `use_section`, the report section.
    With `tfidf_weight` > 0, a second logistic regression on TF-IDF word n-grams is fitted to the same
    data and the probabilities are mixed: it catches the codebook's exact vocabulary that embeddings blur.
    `temperature` rescales the probabilities (p ** (1 / T), renormalised) so that confidence matches how
    often the top code is right; `autocoder.train` fits it on out-of-fold predictions.
    With `fine_tune_epochs` > 0, `fit` first fine-tunes a copy of the encoder on the training units
    (`autocoder.finetune`), and the features come from it; the model saves it beside its weights.
    """

    def __init__(self, codebook: Codebook | None = None, encoder: Encoder | None = None, C: float = 16.0,
                 codebook_weight: float = 1.0, class_weight: str | None = "balanced", threshold: float = 0.0,
                 use_section: bool = False, context_weight: float = 0.0, context_encoding: str = "joined",
                 tfidf_weight: float = 0.0, temperature: float = 1.0, top_k: int = 3, max_iter: int = 3000,
                 fine_tune_epochs: int = 0, fine_tune_seed: int = 0):
        self.codebook = codebook
        self.encoder = encoder
        self.C = C
        self.codebook_weight = codebook_weight
        self.class_weight = class_weight
        self.threshold = threshold
        self.use_section = use_section
        self.context_weight = context_weight
        self.context_encoding = context_encoding
        self.tfidf_weight = tfidf_weight
        self.temperature = temperature
        self.top_k = top_k
        self.max_iter = max_iter
        self.fine_tune_epochs = fine_tune_epochs
        self.fine_tune_seed = fine_tune_seed

    def _codebook(self) -> Codebook:
        if self.codebook is None:
            self.codebook = read_codebook_json()
        return self.codebook

    def _encoder(self) -> Encoder:
        if getattr(self, "encoder_", None) is not None:
            return self.encoder_
        if self.encoder is None:
            self.encoder = Encoder()
        return self.encoder

    def features(self, X: Sequence[UnitInput]) -> np.ndarray:
        fields = [unit_fields(item) for item in X]
        encoder = self._encoder()
        own = encoder.encode([text for text, _, _ in fields])
        parts = [own]
        if self.context_weight > 0:
            parts.append(self.context_weight * self._context_embeddings(encoder, fields, own))
        if self.use_section:
            parts.append(np.array([[section == s for s in SECTIONS] for _, section, _ in fields], dtype=np.float32))
        return np.hstack(parts)

    def _context_embeddings(self, encoder: Encoder, fields: list, own: np.ndarray) -> np.ndarray:
        """One row per unit; a unit with no neighbours stands as its own context."""
        if self.context_encoding == "joined":
            return encoder.encode([" ".join(neighbours) or text for text, _, neighbours in fields])
        if self.context_encoding != "mean":
            raise InputError(f"context_encoding must be 'joined' or 'mean', not {self.context_encoding!r}")
        neighbours = encoder.encode([text for _, _, texts in fields for text in texts])
        rows, offset = own.copy(), 0
        for i, (_, _, texts) in enumerate(fields):
            if texts:
                mean = neighbours[offset:offset + len(texts)].mean(axis=0)
                rows[i] = mean / max(float(np.linalg.norm(mean)), 1e-12)
                offset += len(texts)
        return rows

    def fit(self, X: Sequence[UnitInput], y: Sequence[str], sample_weight: Sequence[float] | None = None):
        codebook = self._codebook()
        unknown = sorted({code for code in y if not codebook.is_code(code)})
        if unknown:
            raise InputError(f"codes not in codebook {codebook.id!r}: {', '.join(unknown)}")
        inputs, labels = list(X), list(y)
        weights = list(sample_weight) if sample_weight is not None else [1.0] * len(inputs)
        if self.codebook_weight > 0:
            book_texts, book_labels = codebook_examples(codebook)
            inputs += book_texts
            labels += book_labels
            weights += [self.codebook_weight] * len(book_texts)
        self.version_ = None  # new weights, a new name
        self.encoder_ = self._fine_tuned_encoder(inputs, labels, weights) if self.fine_tune_epochs > 0 else None
        self.model_ = self._head().fit(self.features(inputs), labels, sample_weight=np.asarray(weights))
        self.classes_ = self.model_.classes_
        if self.tfidf_weight > 0:
            self.tfidf_ = tfidf_vectorizer()
            words = self.tfidf_.fit_transform([unit_fields(x)[0] for x in inputs])
            self.tfidf_model_ = self._head().fit(words, labels, sample_weight=np.asarray(weights))
        return self

    def _fine_tuned_encoder(self, inputs: list, labels: list[str], weights: list[float]) -> Encoder:
        from .finetune import FineTuneConfig, fine_tune

        base = self.encoder.model_path if self.encoder is not None else default_model_path()
        config = FineTuneConfig(epochs=self.fine_tune_epochs, seed=self.fine_tune_seed)
        tuned = fine_tune(base, [unit_fields(x)[0] for x in inputs], labels, weights, config)
        batch_size = self.encoder.batch_size if self.encoder is not None else 64
        return Encoder(model=tuned, batch_size=batch_size)

    def _head(self) -> LogisticRegression:
        return LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=self.max_iter)

    def predict_proba(self, X: Sequence[UnitInput]) -> np.ndarray:
        proba = self.model_.predict_proba(self.features(X))
        if self.tfidf_weight > 0:
            words = self.tfidf_.transform([unit_fields(x)[0] for x in X])
            proba = (1 - self.tfidf_weight) * proba + self.tfidf_weight * self.tfidf_model_.predict_proba(words)
        return apply_temperature(proba, self.temperature)

    def predict(self, X: Sequence[UnitInput]) -> list[str | None]:
        return [s.category for s in self.suggest(X)]

    def suggest(self, X: Sequence[UnitInput]) -> list[Suggestion]:
        """One suggestion per text: the category (or None), its construct, confidence and the top alternatives."""
        return suggestions_from_proba(self.predict_proba(X), self.classes_, self._codebook(), self.threshold,
                                      self.top_k, self.version)

    @property
    def version(self) -> str:
        """A name for these exact weights: suggestions record it. Hashed once per fit or load: every call to
        `suggest` names it, and hashing the weights each time took a sixth of a batch run."""
        if getattr(self, "version_", None) is None:
            digest = hashlib.sha256(b"".join(array.tobytes() for array in self._weights().values())).hexdigest()
            self.version_ = f"{self._codebook().id}-lr-{digest[:12]}"
        return self.version_

    def _weights(self) -> dict[str, np.ndarray]:
        weights = {"coef": self.model_.coef_, "intercept": self.model_.intercept_}
        if self.tfidf_weight > 0:
            weights.update(tfidf_coef=self.tfidf_model_.coef_, tfidf_intercept=self.tfidf_model_.intercept_,
                           tfidf_idf=self.tfidf_.idf_)
        return weights

    def save(self, directory: str | Path, extra: dict | None = None) -> Path:
        """Weights as .npz and settings (and the TF-IDF vocabulary) as JSON: nothing pickled, so loading runs no code."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        np.savez(directory / "weights.npz", **self._weights())
        meta = {
            "format": FORMAT_VERSION, "version": self.version, "codebook": self._codebook().id,
            "classes": [str(c) for c in self.classes_], "encoder": ENCODER_NAME,
            "params": {k: v for k, v in self.get_params().items() if k not in ("codebook", "encoder")},
            **(extra or {}),
        }
        if getattr(self, "encoder_", None) is not None:
            # A half-precision copy halves the folder (loading casts it back to float32); the model in memory
            # keeps its float32 weights.
            copy.deepcopy(self.encoder_.model).half().save(str(directory / ENCODER_DIR), safe_serialization=True)
            meta["encoder"] = f"{ENCODER_NAME} fine-tuned ({ENCODER_DIR}/)"
        (directory / "model.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        (directory / CODEBOOK_FILE).write_text(json.dumps(self._codebook().to_dict(), indent=2, ensure_ascii=False)
                                               + "\n", encoding="utf-8")
        if self.tfidf_weight > 0:
            vocabulary = {term: int(index) for term, index in self.tfidf_.vocabulary_.items()}
            (directory / "tfidf_vocabulary.json").write_text(json.dumps(vocabulary, ensure_ascii=False), encoding="utf-8")
        return directory

    @classmethod
    def load(cls, directory: str | Path, codebook: Codebook | None = None,
             encoder: Encoder | None = None) -> "CodebookClassifier":
        directory = Path(directory)
        try:
            meta = json.loads((directory / "model.json").read_text(encoding="utf-8"))
            weights = np.load(directory / "weights.npz")
            vocabulary = (json.loads((directory / "tfidf_vocabulary.json").read_text(encoding="utf-8"))
                          if meta["params"].get("tfidf_weight", 0) > 0 else None)
        except (FileNotFoundError, json.JSONDecodeError, ValueError, KeyError) as exc:
            raise InputError(f"not a model directory ({exc})", source=str(directory)) from None
        codebook = codebook or model_codebook(directory)
        if meta["codebook"] != codebook.id:
            raise InputError(f"model was trained on codebook {meta['codebook']!r}, not {codebook.id!r}",
                             source=str(directory))
        missing = [c for c in meta["classes"] if not codebook.is_code(c)]
        if missing:
            raise InputError(f"model classes not in the codebook: {', '.join(missing)}", source=str(directory))
        own = encoder_path(directory)
        if own != default_model_path() and (encoder is None or encoder.model_path != own):
            # A shared encoder of another model cannot give this model's features: load its own, same backend.
            encoder = Encoder(model_path=own, backend=encoder.backend if encoder is not None else "torch")
        model = cls(codebook=codebook, encoder=encoder, **meta["params"])
        classes = np.array(meta["classes"], dtype=object)
        model.model_ = model._restored_head(classes, weights["coef"], weights["intercept"])
        model.classes_ = classes
        if vocabulary is not None:
            model.tfidf_ = tfidf_vectorizer(vocabulary)
            model.tfidf_.idf_ = weights["tfidf_idf"]
            model.tfidf_model_ = model._restored_head(classes, weights["tfidf_coef"], weights["tfidf_intercept"])
        return model

    def _restored_head(self, classes: np.ndarray, coef: np.ndarray, intercept: np.ndarray) -> LogisticRegression:
        head = self._head()
        head.classes_, head.coef_, head.intercept_ = classes, coef, intercept
        return head


def model_codebook_path(directory: str | Path) -> Path:
    """The codebook a model directory was saved with; the paper's for a model saved before models kept theirs."""
    path = Path(directory) / CODEBOOK_FILE
    return path if path.exists() else DEFAULT_CODEBOOK


def model_codebook(directory: str | Path) -> Codebook:
    return read_codebook_json(model_codebook_path(directory))


def codebook_examples(codebook: Codebook) -> tuple[list[str], list[str]]:
    """The codebook's own words as training examples: each category's name and principle, and its examples."""
    texts, labels = [], []
    for category in codebook.categories:
        for text in (category.description, *category.examples):
            texts.append(text)
            labels.append(category.id)
    return texts, labels


def tfidf_vectorizer(vocabulary: dict[str, int] | None = None):
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, vocabulary=vocabulary)


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
