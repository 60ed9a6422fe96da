"""Where a sentence splits into units: between two full clauses that can each be coded on their own.

The rules read the sentence's part-of-speech tags (Penn Treebank tags from spaCy's tagger). A full clause has a
subject and a finite verb; a clause whose subject points back to the clause before it ("... and many are
skilled", "... but their deployment is historical", "... but it has not yet") cannot be coded on its own, so the
sentence is not split there. Which joins split is the `ClauseRules` setting, chosen on the unitizing gold's train
split (`autocoder segment --evaluate`).
"""

from __future__ import annotations

from dataclasses import dataclass

FINITE = frozenset({"VBZ", "VBP", "VBD", "MD"})
SUBJECT = frozenset({"NN", "NNS", "NNP", "NNPS", "PRP", "EX", "CD", "DT"})
VERB = frozenset({"VB", "VBD", "VBG", "VBN", "VBP", "VBZ", "MD"})
COORDINATORS = frozenset({"and", "but", "yet"})
CONTRASTS = frozenset({"while", "whilst", "whereas", "although", "though"})
CUES = COORDINATORS | CONTRASTS | {";"}
"""Tokens without which a sentence never splits: only sentences holding one are tagged."""
ANAPHORS = frozenset(
    "it its they them their this these that those he she his her many some most all few both each several "
    "others one which who such".split())
"""Subjects that point back to the clause before: a clause starting with one is not a unit on its own."""
CLAUSE_WINDOW = 8
"""A subject and its finite verb fall within this many tokens of the start of a clause."""


@dataclass(frozen=True)
class ClauseRules:
    semicolon: bool = True
    """Split at a semicolon between two clauses (or two instructions)."""
    coordinated: bool = True
    """Split at "and"/"but" between two full clauses whose second subject does not point back."""
    contrast: bool = True
    """Split at "while"/"whereas"/"although" after a comma, between two full clauses."""


def _opens_clause(tokens) -> bool:
    """A subject followed by a finite verb, near the start of `tokens`; the subject does not point back."""
    seen_subject = False
    for i, token in enumerate(tokens[:CLAUSE_WINDOW]):
        if token.tag_ in FINITE:
            return seen_subject
        if token.is_punct:
            return False
        if i == 0 and token.lower_ in ANAPHORS:
            return False
        if token.tag_ in SUBJECT:
            seen_subject = True
    return False


def _has_finite_verb(tokens) -> bool:
    return any(t.tag_ in FINITE for t in tokens)


def _is_instruction_or_clause(tokens) -> bool:
    """A clause, or an instruction ("review the plan"): one side of a semicolon that is not a bare noun list."""
    words = [t for t in tokens if not t.is_punct]
    return len(words) >= 3 and (any(t.tag_ in VERB for t in words))


def clause_cuts(doc, rules: ClauseRules = ClauseRules()) -> list[tuple[int, int]]:
    """(end of the left unit, start of the right unit) in character offsets of `doc`, a tagged sentence."""
    tokens = list(doc)
    cuts = []
    last = 0  # index of the first token of the current unit
    for i, token in enumerate(tokens):
        if i <= last or i >= len(tokens) - 1:
            continue
        left, right = tokens[last:i], tokens[i + 1:]
        word = token.lower_
        if word == ";":
            split = rules.semicolon and _is_instruction_or_clause(left) and _is_instruction_or_clause(right)
        elif word in COORDINATORS:
            split = rules.coordinated and _has_finite_verb(left) and _opens_clause(right)
        elif word in CONTRASTS:
            after_comma = tokens[i - 1].text == ","
            split = rules.contrast and after_comma and _has_finite_verb(left) and _opens_clause(right)
        else:
            split = False
        if split:
            cuts.append((token.idx, tokens[i + 1].idx))
            last = i + 1
    return cuts
