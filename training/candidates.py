"""The model configurations compared by the experiment, each a scikit-learn style estimator over classifier
inputs (text, section, context): fit(X, y), predict_proba(X), classes_."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from autocoder.classify import (CodebookClassifier, UnitInput, apply_temperature, codebook_examples, tfidf_vectorizer,
                                unit_fields)
from autocoder.codebook import Codebook
from autocoder.embed import Encoder


class TfidfClassifier(ClassifierMixin, BaseEstimator):
    """The classic baseline: TF-IDF of word uni- and bigrams, logistic regression, codebook text as examples."""

    def __init__(self, codebook: Codebook, C: float = 16.0, codebook_weight: float = 1.0, temperature: float = 1.0,
                 threshold: float = 0.0):
        self.codebook = codebook
        self.C = C
        self.codebook_weight = codebook_weight
        self.temperature = temperature
        self.threshold = threshold

    def fit(self, X: Sequence[UnitInput], y: Sequence[str]):
        texts, labels = [unit_fields(x)[0] for x in X], list(y)
        weights = [1.0] * len(texts)
        if self.codebook_weight > 0:
            book_texts, book_labels = codebook_examples(self.codebook)
            texts, labels = texts + book_texts, labels + book_labels
            weights += [self.codebook_weight] * len(book_texts)
        self.pipeline_ = make_pipeline(tfidf_vectorizer(),
                                       LogisticRegression(C=self.C, class_weight="balanced", max_iter=3000))
        self.pipeline_.fit(texts, labels, logisticregression__sample_weight=np.asarray(weights))
        self.classes_ = self.pipeline_.classes_
        return self

    def predict_proba(self, X: Sequence[UnitInput]) -> np.ndarray:
        return apply_temperature(self.pipeline_.predict_proba([unit_fields(x)[0] for x in X]), self.temperature)


class ZeroShotClassifier(ClassifierMixin, BaseEstimator):
    """No coded units at all: the category whose codebook text (name, principle, examples) is nearest in
    embedding space. It has no NONE class; it abstains only through the threshold."""

    def __init__(self, codebook: Codebook, encoder: Encoder, scale: float = 20.0, temperature: float = 1.0,
                 threshold: float = 0.0):
        self.codebook = codebook
        self.encoder = encoder
        self.scale = scale
        self.temperature = temperature
        self.threshold = threshold

    def fit(self, X: Sequence[UnitInput] = (), y: Sequence[str] = ()):
        self.classes_ = np.array(self.codebook.category_ids, dtype=object)
        centroids = [self.encoder.encode([t for t in (c.description, *c.examples)]).mean(axis=0)
                     for c in self.codebook.categories]
        self.centroids_ = np.stack(centroids) / np.linalg.norm(centroids, axis=1, keepdims=True)
        return self

    def predict_proba(self, X: Sequence[UnitInput]) -> np.ndarray:
        logits = self.scale * self.encoder.encode([unit_fields(x)[0] for x in X]) @ self.centroids_.T
        logits -= logits.max(axis=1, keepdims=True)
        weights = np.exp(logits)
        return apply_temperature(weights / weights.sum(axis=1, keepdims=True), self.temperature)


class FineTunedClassifier(ClassifierMixin, BaseEstimator):
    """SetFit's recipe with sentence-transformers' own loss: fine-tune the encoder contrastively on the coded
    units (BatchAllTripletLoss pulls units of one code together), then fit the classifier head on the
    fine-tuned embeddings."""

    def __init__(self, codebook: Codebook, epochs: int = 1, batch_size: int = 32, learning_rate: float = 2e-5,
                 context_weight: float = 0.0, use_section: bool = False, seed: int = 0, temperature: float = 1.0,
                 threshold: float = 0.0):
        self.codebook = codebook
        self.temperature = temperature
        self.threshold = threshold
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.context_weight = context_weight
        self.use_section = use_section
        self.seed = seed

    def fit(self, X: Sequence[UnitInput], y: Sequence[str]):
        import torch
        from sentence_transformers import SentenceTransformer, losses

        from autocoder.embed import default_model_path

        torch.manual_seed(self.seed)
        rng = random.Random(self.seed)
        encoder_model = SentenceTransformer(default_model_path(), device="cpu")
        book_texts, book_labels = codebook_examples(self.codebook)
        texts, labels = [unit_fields(x)[0] for x in X] + book_texts, list(y) + book_labels
        label_ids = {label: i for i, label in enumerate(sorted(set(labels)))}
        loss = losses.BatchAllTripletLoss(encoder_model)
        optimiser = torch.optim.AdamW(encoder_model.parameters(), lr=self.learning_rate)
        encoder_model.train()
        order = list(range(len(texts)))
        for _ in range(self.epochs):
            rng.shuffle(order)
            for start in range(0, len(order), self.batch_size):
                batch = order[start:start + self.batch_size]
                features = encoder_model.preprocess([texts[i] for i in batch])
                value = loss([features], torch.tensor([label_ids[labels[i]] for i in batch]))
                optimiser.zero_grad()
                value.backward()
                optimiser.step()
        encoder_model.eval()
        self.head_ = CodebookClassifier(codebook=self.codebook, encoder=Encoder(model=encoder_model),
                                        context_weight=self.context_weight, use_section=self.use_section)
        self.head_.fit(X, y)
        self.classes_ = self.head_.classes_
        return self

    def predict_proba(self, X: Sequence[UnitInput]) -> np.ndarray:
        return apply_temperature(self.head_.predict_proba(X), self.temperature)


@dataclass(frozen=True)
class Candidate:
    name: str
    description: str
    build: Callable[[Codebook, Encoder], BaseEstimator]


CANDIDATES = [
    Candidate("tfidf_lr", "(a) TF-IDF + logistic regression", lambda b, e: TfidfClassifier(b)),
    Candidate("zero_shot", "(b) zero-shot: nearest codebook category (name, principle, examples)",
              lambda b, e: ZeroShotClassifier(b, e)),
    Candidate("minilm_lr_no_codebook", "(c) frozen MiniLM + logistic regression, coded units only",
              lambda b, e: CodebookClassifier(codebook=b, encoder=e, codebook_weight=0.0)),
    Candidate("minilm_lr", "(c) frozen MiniLM + logistic regression, with codebook text",
              lambda b, e: CodebookClassifier(codebook=b, encoder=e)),
    Candidate("setfit", "(d) contrastive fine-tuning of MiniLM (SetFit recipe) + logistic regression",
              lambda b, e: FineTunedClassifier(b)),
    Candidate("minilm_lr_section", "(e) (c) + report section as a feature",
              lambda b, e: CodebookClassifier(codebook=b, encoder=e, use_section=True)),
    Candidate("minilm_lr_context", "(e) (c) + neighbouring units' text",
              lambda b, e: CodebookClassifier(codebook=b, encoder=e, context_weight=0.5)),
    Candidate("minilm_lr_context_section", "(e) (c) + neighbouring units + section",
              lambda b, e: CodebookClassifier(codebook=b, encoder=e, context_weight=0.5, use_section=True)),
    Candidate("ensemble_tfidf_minilm", "(e) mean of (a) and (c) + context + section",
              lambda b, e: CodebookClassifier(codebook=b, encoder=e, context_weight=0.5, use_section=True,
                                              tfidf_weight=0.5)),
    Candidate("ensemble_mean_context", "(e) as ensemble_tfidf_minilm, context as the mean of the neighbours' "
              "embeddings (no extra encoding)",
              lambda b, e: CodebookClassifier(codebook=b, encoder=e, context_weight=0.5, context_encoding="mean",
                                              use_section=True, tfidf_weight=0.5)),
]
BY_NAME = {c.name: c for c in CANDIDATES}
