"""Where a sentence splits into units: between two full clauses about different things (the guideline's rule 2).

The rules read the sentence's part-of-speech tags (Penn Treebank tags from spaCy's tagger). A full clause starts
with a subject (a noun phrase or a pronoun) followed by a finite verb. The guideline keeps together what a coder
would code as one: a clause whose subject points back ("..., and many are skilled", "..., but their deployment
is historical"), a clause that only adds a reason, example or comment, the two sides of one practice. Which joins
split is the `ClauseRules` setting, chosen on the unitizing gold's train split (`autocoder segment --evaluate`).
"""

from __future__ import annotations

from dataclasses import dataclass

FINITE = frozenset({"VBZ", "VBP", "VBD", "MD"})
SUBJECT_START = frozenset({"DT", "PRP", "NN", "NNS", "NNP", "NNPS", "CD", "JJ", "JJS", "EX", "PDT"})
"""Tags a clause's subject starts with."""
NOMINAL = SUBJECT_START | {"POS", "HYPH", "IN", "PRP$", "JJR", "JJS", "RB", "VBN", "VBG", "CC", ","}
"""Tags inside a subject before its verb ("the SEND register", "parents of pupils with EHCPs")."""
VERB = frozenset({"VB", "VBD", "VBG", "VBN", "VBP", "VBZ", "MD"})
COORDINATORS = frozenset({"and", "but"})
CONTRASTS = frozenset({"while", "whilst", "whereas", "although", "though"})
ANAPHORS = frozenset(
    "it its they them their this these that those he she his her many some most all few both each several "
    "others one two three none which who such there we".split())
"""A clause whose subject starts with one of these points back to the clause before it (or only reports the
visit: "we"), so it is not a unit on its own."""
QUANTIFIERS = frozenset("many some most all few both each several one two three".split())
"""Of the words above, those that point back only when they stand alone ("many are skilled"): before a noun they
open a subject that names its own thing ("one boy said", "each student leaves")."""
CLAUSE_WINDOW = 16
"""A subject and its finite verb fall within this many tokens of the start of a clause."""


@dataclass(frozen=True)
class ClauseRules:
    semicolon: bool = True
    """Split notes at a semicolon between two parts of at least `min_words` words each. Notes are sentences
    without a final full stop ("SENCO on SLT; line-manages 2 HLTAs"); a written sentence keeps its semicolons
    only where the part after the semicolon is a note too ("...; resolved by half term"), unless
    `semicolon_in_prose`."""
    semicolon_in_prose: bool = False
    coordinated: bool = False
    """Split at ", and" / ", but" between two full clauses when the second one's subject is a new thing: a
    definite noun phrase sharing no noun with the first clause ("..., and the SEND governor should ..."). Off by
    default when the gold's annotators keep such clauses together more often than not (the guideline's "when in
    doubt, do not split")."""
    contrast: bool = True
    """Split at "while", "whereas", "although" between two full clauses ("X, while Y"; "While X, Y"); the
    subordinating word stays with its own clause."""
    min_words: int = 3
    """Each part of a split has at least this many words."""


def cues(rules: ClauseRules) -> frozenset[str]:
    """Words without which a sentence never splits under `rules`: only sentences holding one are tagged."""
    return frozenset((COORDINATORS if rules.coordinated else set()) | (CONTRASTS if rules.contrast else set())
                     | ({";"} if rules.semicolon else set()))


def _points_back(tokens) -> bool:
    first = tokens[0].lower_
    if first in QUANTIFIERS and len(tokens) > 1 and tokens[1].tag_ in ("NN", "NNS", "NNP", "NNPS"):
        return False
    return first in ANAPHORS


def _opens_clause(tokens) -> bool:
    """`tokens` start with a subject that does not point back, followed by a finite verb."""
    if not tokens or tokens[0].tag_ not in SUBJECT_START or _points_back(tokens):
        return False
    for token in tokens[1:CLAUSE_WINDOW]:
        if token.tag_ in FINITE:
            return True
        if token.tag_ not in NOMINAL:
            return False
    return False


def _subject(tokens) -> list:
    """The tokens before the first finite verb."""
    for i, token in enumerate(tokens):
        if token.tag_ in FINITE:
            return tokens[:i]
    return tokens


def _new_subject(left, right) -> bool:
    """The right clause's subject is a definite noun phrase naming nothing the left clause names."""
    subject = _subject(right)
    nouns = {t.lower_ for t in subject if t.tag_.startswith("NN")}
    named = {t.lower_ for t in left if t.tag_.startswith("NN")}
    return bool(nouns) and subject[0].lower_ == "the" and not nouns & named


def _is_note(tokens) -> bool:
    """Not a clause with its own subject and verb ("resolved by half term", "weakest in languages"): a note
    after a semicolon, which splits even in a written sentence."""
    if not tokens or tokens[0].tag_ not in SUBJECT_START:
        return True
    return not any(t.tag_ in FINITE for t in tokens[1:CLAUSE_WINDOW])


def _is_key(tokens) -> bool:
    """A rating key ("1 = not yet in place; 2 = ..."): one unit, however many semicolons it has."""
    return any(t.text == "=" for t in tokens)


def _holds_a_figure(tokens) -> bool:
    return any(t.tag_ == "CD" and any(c.isdigit() for c in t.text) for t in tokens)


def _is_facts(left, right) -> bool:
    """Figures without a verb on both sides of a semicolon ("58 on roll; 71% on the register; 12 EHCP"): a context
    line of the school's facts, which the guideline keeps as one unit."""
    right = right[:next((i for i, t in enumerate(right) if t.text == ";"), len(right))]
    return all(_holds_a_figure(part) and not _has_finite_verb(part) for part in (left, right))


def _has_finite_verb(tokens) -> bool:
    return any(t.tag_ in FINITE for t in tokens)


def _words(tokens) -> int:
    return sum(1 for t in tokens if t.is_alpha)


def clause_cuts(doc, rules: ClauseRules = ClauseRules()) -> list[tuple[int, int]]:
    """(end of the left unit, start of the right unit) in character offsets of `doc`, a tagged sentence."""
    tokens = list(doc)
    cuts = []
    last = 0  # index of the first token of the current unit
    if rules.contrast and len(tokens) > 2 and tokens[0].lower_ in CONTRASTS:
        # "While X, Y": cut at the first comma after which a full clause begins.
        for i, token in enumerate(tokens[:-1]):
            if token.text == "," and _has_finite_verb(tokens[1:i]) and _opens_clause(tokens[i + 1:]):
                cuts.append((token.idx, tokens[i + 1].idx))
                last = i + 1
                break
    prose = tokens[-1].text in (".", "!", "?")
    depth = 0  # brackets open at this token: no unit ends inside them
    for i in range(last + 1, len(tokens) - 1):
        token = tokens[i]
        depth = max(0, depth + (token.text in ("(", "[")) - (token.text in (")", "]")))
        if depth:
            continue
        left, right = tokens[last:i], tokens[i + 1:]
        word = token.lower_
        cut = None
        if word == ";":
            notes = not prose or rules.semicolon_in_prose or _is_note(right)
            if (rules.semicolon and notes and not _is_key(left) and not _is_facts(left, right)
                    and _words(left) >= rules.min_words
                    and _words(right) >= rules.min_words):
                cut = (token.idx, tokens[i + 1].idx)
        elif word in COORDINATORS:
            if (rules.coordinated and tokens[i - 1].text == "," and _has_finite_verb(left) and _opens_clause(right)
                    and _new_subject(left, right) and _words(left) >= rules.min_words):
                cut = (tokens[i - 1].idx, tokens[i + 1].idx)
        elif word in CONTRASTS and tokens[i - 1].text == ",":
            if rules.contrast and _has_finite_verb(left) and _opens_clause(right):
                cut = (tokens[i - 1].idx, token.idx)  # the subordinating word opens the right unit
        if cut is not None:
            cuts.append(cut)
            last = i if word in CONTRASTS else i + 1
    return cuts
