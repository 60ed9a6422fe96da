"""A learned unitizer: where a sentence splits into units, decided by a classifier trained on the unitizing gold.

Every place a sentence could split (a semicolon; "and", "but", "so", "yet" after a comma; "while", "whereas",
"although", "though" between clauses; the comma after an opening "While ...") is a candidate. Each candidate is
described by what the guideline's rules look at (is the right side a full clause, does its subject point back,
is it a note, a key or a line of facts, how many words each side has) and by the words and part-of-speech tags
around it, and a logistic regression trained on the annotators' units of the gold's train documents decides
whether to cut. The rules of `clauses.py` are its features, not the decision. The model is saved as JSON (its
vocabulary and weights), never pickled, and travels with a classifier's model directory (`unitizer.json`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .clauses import (ANAPHORS, CONTRASTS, _has_finite_verb, _is_facts, _is_key, _is_note, _new_subject,
                      _opens_clause, _points_back, _words)

COORDINATING = frozenset({"and", "but", "so", "yet"})
MAY_CUT = re.compile(rf";|,\s*(?:{'|'.join(sorted(COORDINATING))})\b|\b(?:{'|'.join(sorted(CONTRASTS))})\b",
                     re.IGNORECASE)
"""A sentence this pattern does not find in has no candidate cut: only sentences it finds in are tagged."""
FORMAT = 1


@dataclass(frozen=True)
class Candidate:
    token: int
    """Index of the cue token in the sentence."""
    cut: tuple[int, int]
    """(end of the left unit, start of the right unit) in characters of the sentence, if it is cut."""
    next_first: int
    """Index of the first token of the right unit, if it is cut."""


def _bucket(n: int) -> str:
    return "0-2" if n < 3 else "3-5" if n < 6 else "6-10" if n < 11 else "11-20" if n < 21 else "21+"


def candidates(tokens: Sequence) -> list[Candidate]:
    """The places a tagged sentence could split, outside brackets, in order."""
    found = []
    if len(tokens) > 2 and tokens[0].lower_ in CONTRASTS:  # "While X, Y": the first comma after a verb
        for i, token in enumerate(tokens[:-1]):
            if token.text == "," and i > 1 and _has_finite_verb(tokens[1:i]):
                found.append(Candidate(i, (token.idx, tokens[i + 1].idx), i + 1))
                break
    depth = 0
    for i in range(1, len(tokens) - 1):
        token = tokens[i]
        depth = max(0, depth + (token.text in ("(", "[")) - (token.text in (")", "]")))
        if depth:
            continue
        word = token.lower_
        if word == ";":
            found.append(Candidate(i, (token.idx, tokens[i + 1].idx), i + 1))
        elif word in COORDINATING and tokens[i - 1].text == ",":
            found.append(Candidate(i, (tokens[i - 1].idx, tokens[i + 1].idx), i + 1))
        elif word in CONTRASTS and tokens[i - 1].text == ",":
            found.append(Candidate(i, (tokens[i - 1].idx, token.idx), i))  # the subordinating word opens the unit
    return found


def features(tokens: Sequence, candidate: Candidate, last: int, lexical: bool = True) -> dict[str, float]:
    """What decides a cut: the rules' tests, the tags around it and (with `lexical`) the words around it and the
    subject of the right side. `last` is the first token of the unit the left side belongs to (after any earlier
    cut)."""
    i = candidate.token
    left, right = tokens[last:i], tokens[candidate.next_first:]
    cue = tokens[i].lower_
    right_body = right[1:] if right and right[0].lower_ in CONTRASTS else right
    end = tokens[-1].text
    f = {
        f"cue={cue}": 1.0, f"cue={cue}|comma={tokens[i - 1].text == ','}": 1.0,
        f"prose={end in ('.', '!', '?')}": 1.0, f"cue={cue}|prose={end in ('.', '!', '?')}": 1.0,
        f"left_words={_bucket(_words(left))}": 1.0, f"right_words={_bucket(_words(right_body))}": 1.0,
        f"cue={cue}|right_opens_clause={bool(right_body) and _opens_clause(right_body)}": 1.0,
        f"cue={cue}|right_points_back={bool(right_body) and _points_back(right_body)}": 1.0,
        f"cue={cue}|right_is_note={_is_note(right_body)}": 1.0,
        f"left_finite={_has_finite_verb(left)}": 1.0,
        f"right_finite={_has_finite_verb(right_body[:16])}": 1.0,
        f"key={_is_key(left)}": 1.0, f"facts={bool(right) and _is_facts(left, right)}": 1.0,
        f"new_subject={bool(right_body) and _has_finite_verb(left) and _new_subject(left, right_body)}": 1.0,
        f"sentence_initial_contrast={i == candidate.next_first - 1 and tokens[0].lower_ in CONTRASTS}": 1.0,
    }
    if right_body:
        first = right_body[0]
        f[f"right_tag={first.tag_}"] = 1.0
        f[f"right_word={first.lower_ if first.lower_ in ANAPHORS or not first.is_alpha else first.tag_}"] = 1.0
        if len(right_body) > 1:
            f[f"right_tags={first.tag_}_{right_body[1].tag_}"] = 1.0
            if lexical:
                f[f"right_bigram={first.lower_}_{right_body[1].lower_}"] = 1.0
    if left:
        f[f"left_tag={left[-1].tag_}"] = 1.0
        if lexical:
            f[f"left_word={left[-1].lower_}"] = 1.0
    # "different practices" (the guideline's third test): do the two sides talk about the same things?
    left_words, right_words = _content(left), _content(right_body)
    if left_words and right_words:
        shared = len(left_words & right_words) / min(len(left_words), len(right_words))
        f[f"cue={cue}|overlap={'none' if shared == 0 else 'some' if shared < 0.34 else 'much'}"] = 1.0
    head = _subject_head(right_body)
    if head is not None:
        f[f"right_subject_in_left={head in left_words}"] = 1.0
        if lexical:
            f[f"right_subject={head}"] = 1.0
    return f


def _content(tokens) -> set[str]:
    """The nouns, verbs and adjectives of a side, lower-cased, without a plural or past ending."""
    return {t.lower_.rstrip("s") for t in tokens if t.tag_[:2] in ("NN", "VB", "JJ") and len(t.text) > 2}


def _subject_head(tokens) -> str | None:
    """The last noun before the first finite verb: what a clause is about ("governors", "the provision map")."""
    nouns = []
    for token in tokens[:16]:
        if token.tag_ in ("VBZ", "VBP", "VBD", "MD"):
            return nouns[-1] if nouns else None
        if token.tag_.startswith("NN"):
            nouns.append(token.lower_.rstrip("s"))
    return None


class CutModel:
    """Logistic regression over candidate cuts (scikit-learn's, fitted by `fit`, stored as its weights)."""

    def __init__(self, vocabulary: dict[str, int] | None = None, coef: np.ndarray | None = None,
                 intercept: float = 0.0, threshold: float = 0.5, min_words: int = 3, lexical: bool = True):
        self.vocabulary = vocabulary or {}
        self.coef = coef if coef is not None else np.zeros(len(self.vocabulary))
        self.intercept = intercept
        self.threshold = threshold
        self.min_words = min_words
        self.lexical = lexical

    def _score(self, feature: dict[str, float]) -> float:
        z = self.intercept + sum(self.coef[self.vocabulary[k]] * v for k, v in feature.items() if k in self.vocabulary)
        return float(1 / (1 + np.exp(-z)))

    def cuts(self, doc) -> list[tuple[int, int]]:
        """(end of the left unit, start of the right unit) in characters of `doc`, a tagged sentence: the
        candidates the model cuts, leaving every unit `min_words` words or more."""
        tokens = list(doc)
        found, last = [], 0
        for candidate in candidates(tokens):
            if candidate.token < last:
                continue
            left, right = tokens[last:candidate.token], tokens[candidate.next_first:]
            if _words(left) < self.min_words or _words(right) < self.min_words:
                continue
            if self._score(features(tokens, candidate, last, self.lexical)) >= self.threshold:
                found.append(candidate.cut)
                last = candidate.next_first
        return found

    @classmethod
    def fit(cls, examples: Sequence[tuple[dict[str, float], float]], C: float = 1.0, **settings) -> "CutModel":
        """From (features, label) pairs: label 1 where an annotator cut, 0 where they did not."""
        from sklearn.feature_extraction import DictVectorizer
        from sklearn.linear_model import LogisticRegression

        vectorizer = DictVectorizer()
        X = vectorizer.fit_transform([f for f, _ in examples])
        y = np.array([label for _, label in examples])
        head = LogisticRegression(C=C, max_iter=2000, class_weight=None).fit(X, y)
        vocabulary = {k: int(v) for k, v in vectorizer.vocabulary_.items()}
        return cls(vocabulary, head.coef_[0], float(head.intercept_[0]), **settings)

    def to_dict(self) -> dict:
        return {"format": FORMAT, "kind": "logistic regression over candidate cuts", "threshold": self.threshold,
                "min_words": self.min_words, "lexical": self.lexical, "intercept": self.intercept,
                "weights": {k: float(self.coef[i]) for k, i in sorted(self.vocabulary.items())}}

    @classmethod
    def from_dict(cls, data: dict) -> "CutModel":
        names = list(data["weights"])
        return cls({k: i for i, k in enumerate(names)}, np.array([data["weights"][k] for k in names]),
                   data["intercept"], data["threshold"], data["min_words"], data.get("lexical", True))

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> "CutModel":
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def labelled_examples(doc, gold_ends: set[int], offset: int = 0,
                      lexical: bool = True) -> list[tuple[dict[str, float], float]]:
    """Training examples from one tagged sentence starting at `offset` in its document: each candidate, labelled 1
    when an annotator ended a unit at it (`gold_ends`: the end offsets of their units, in the document). The left
    side of each candidate starts where the annotator's previous cut left it."""
    tokens = list(doc)
    examples, last = [], 0
    for candidate in candidates(tokens):
        if candidate.token < last:
            continue
        left_end, right_start = offset + candidate.cut[0], offset + candidate.cut[1]
        cut = any(e in gold_ends for e in range(left_end - 2, right_start + 2))
        examples.append((features(tokens, candidate, last, lexical), float(cut)))
        if cut:
            last = candidate.next_first
    return examples
