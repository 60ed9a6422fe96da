"""Agreement between two unitizations of the same documents: matched-unit share and Krippendorff's alpha_u.

A unit of one unitization is matched when a unit of the other, in the same document, overlaps it with an
intersection over union of at least 0.8; the share of matched units is given both ways. Krippendorff's unitizing
alpha (alpha_u; Krippendorff 1995, "On the reliability of unitizing continuous data", and Content Analysis, 2004,
ch. 12) compares where the units begin and end, character by character, against what chance would give; the
documents are read as one continuum, one after another.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

MATCH_IOU = 0.8


@dataclass(frozen=True, order=True)
class Span:
    doc: str
    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start


def iou(a: Span, b: Span) -> float:
    if a.doc != b.doc:
        return 0.0
    overlap = min(a.end, b.end) - max(a.start, b.start)
    if overlap <= 0:
        return 0.0
    return overlap / (max(a.end, b.end) - min(a.start, b.start))


def _by_doc(spans: Iterable[Span]) -> dict[str, list[Span]]:
    grouped: dict[str, list[Span]] = defaultdict(list)
    for span in spans:
        grouped[span.doc].append(span)
    return {doc: sorted(found) for doc, found in grouped.items()}


def matched_share(units: Sequence[Span], other: Sequence[Span], threshold: float = MATCH_IOU) -> float | None:
    """Share of `units` that a unit of `other` matches at IoU >= threshold; None when there are no units."""
    if not units:
        return None
    others = _by_doc(other)
    matched = 0
    for unit in units:
        candidates = others.get(unit.doc, [])
        matched += any(iou(unit, o) >= threshold for o in candidates if o.start < unit.end and unit.start < o.end)
    return matched / len(units)


def _sections(units: list[Span], offset: int, length: int) -> list[tuple[int, int, bool]]:
    """A coder's units and the gaps between them, as (begin, length, is_unit) on the continuum."""
    sections, position = [], 0
    for unit in units:
        if unit.start < position:
            raise ValueError(f"units overlap in document {unit.doc!r} at {unit.start}: alpha_u needs units that "
                             "do not overlap within one coder")
        if unit.start > position:
            sections.append((offset + position, unit.start - position, False))
        sections.append((offset + unit.start, unit.length, True))
        position = unit.end
    if position < length:
        sections.append((offset + position, length - position, False))
    return sections


def _distance(g: tuple[int, int, bool], h: tuple[int, int, bool]) -> int:
    """Krippendorff's squared distance between a section of one coder and a section of another."""
    (bg, lg, ug), (bh, lh, uh) = g, h
    if ug and uh and -lg < bg - bh < lh:
        return (bg - bh) ** 2 + (bg + lg - bh - lh) ** 2
    if ug and not uh and bh <= bg and bg + lg <= bh + lh:
        return lg ** 2
    if uh and not ug and bg <= bh and bh + lh <= bg + lg:
        return lh ** 2
    return 0


def _observed(a: list[tuple[int, int, bool]], b: list[tuple[int, int, bool]]) -> int:
    """Sum of distances over the overlapping sections of two coders (the others are at distance 0)."""
    total, j = 0, 0
    for g in a:
        while j < len(b) and b[j][0] + b[j][1] <= g[0]:
            j += 1
        k = j
        while k < len(b) and b[k][0] < g[0] + g[1]:
            total += _distance(g, b[k])
            k += 1
    return total


def alpha_u(coders: Sequence[Sequence[Span]], lengths: Mapping[str, int]) -> float | None:
    """Krippendorff's unitizing alpha of two or more coders over the documents in `lengths` (doc -> characters).

    None when it is undefined: no units at all, or a continuum every coder leaves as one gap.
    """
    if len(coders) < 2:
        raise ValueError("alpha_u needs at least two coders")
    offsets, total = {}, 0
    for doc in sorted(lengths):
        offsets[doc] = total
        total += lengths[doc]
    sections = []
    for units in coders:
        grouped = _by_doc(units)
        unknown = set(grouped) - set(lengths)
        if unknown:
            raise ValueError(f"units in documents without a length: {sorted(unknown)[:3]}")
        sections.append([s for doc in sorted(lengths) for s in _sections(grouped.get(doc, []), offsets[doc], lengths[doc])])
    m, L = len(coders), total
    observed = sum(_observed(sections[i], sections[j]) for i in range(m) for j in range(m) if i != j)
    d_observed = Fraction(observed, m * (m - 1) * L * L)
    units = [length for coder in sections for (_, length, is_unit) in coder if is_unit]
    gaps = sorted((length for coder in sections for (_, length, is_unit) in coder if not is_unit), reverse=True)
    if not units:
        return None
    n = len(units)
    expected = Fraction(0)
    for length in units:
        within_gaps = sum(gap - length + 1 for gap in gaps if gap >= length)
        expected += Fraction((n - 1) * (2 * length ** 3 - 3 * length ** 2 + length), 3) + length ** 2 * within_gaps
    expected *= Fraction(2, L)
    expected /= m * L * (m * L - 1) - sum(length * (length - 1) for length in units)
    if expected == 0:
        return None
    return float(1 - d_observed / expected)


@dataclass(frozen=True)
class PairAgreement:
    """How two unitizations of the same documents agree."""

    first: str
    second: str
    first_units: int
    second_units: int
    first_matched: float | None
    """Share of the first's units matched by the second's."""
    second_matched: float | None
    alpha_u: float | None

    def to_dict(self) -> dict:
        return dict(vars(self))


def compare_unitizations(first: str, a: Sequence[Span], second: str, b: Sequence[Span],
                         lengths: Mapping[str, int], threshold: float = MATCH_IOU) -> PairAgreement:
    return PairAgreement(first, second, len(a), len(b), matched_share(a, b, threshold), matched_share(b, a, threshold),
                         alpha_u([a, b], lengths))
