"""Coded selections from QDA software (a REFI-QDA project) as codes of the segmenter's units.

A coder in NVivo selects any stretch of text; autocoder codes units of meaning. Each unit takes the code
of the selection that overlaps it by the most characters; a unit no selection overlaps is coded NONE (the
coder left it uncoded: no category applies). Every selection is accounted for in the `Alignment`: it
matched a unit exactly, it was mapped by overlap to the units it covers, it lost every unit it overlaps to a
larger selection with another code, or it overlaps no unit (a heading, a page number) and codes nothing.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from .codebook import Codebook
from .refi import CodedUnit, QdaProject
from .segment import Segmenter
from .types import NONE_CODE, Document, Unit


@dataclass
class Alignment:
    units: list[Unit]
    codes: list[str]
    """One code per unit: the category of its largest overlapping selection, or NONE."""
    exact: int = 0
    by_overlap: list[CodedUnit] = field(default_factory=list)
    outweighed: list[CodedUnit] = field(default_factory=list)
    unmatched: list[CodedUnit] = field(default_factory=list)
    uncoded: int = 0
    """Units that no selection overlaps, coded NONE."""

    def records(self, codebook: Codebook) -> list[dict]:
        """The units as coded records (as `autocoder.io.read_coded_units` gives them), in document order."""
        return [{**unit.to_dict(), "category": code, "construct": codebook.construct_of(code)}
                for unit, code in zip(self.units, self.codes)]

    def summary(self, source: str) -> list[str]:
        selections = self.exact + len(self.by_overlap) + len(self.outweighed) + len(self.unmatched)
        lines = [f"{source}: {selections} coded selections -> {len(self.units)} units: {self.exact} matched a "
                 f"unit exactly, {len(self.by_overlap)} mapped to the units they overlap, {len(self.outweighed)} "
                 f"overlapped only units a larger selection coded, {len(self.unmatched)} overlap no unit; "
                 f"{self.uncoded} units no selection overlaps are coded {NONE_CODE}"]
        for what, selections in (("not a unit", self.by_overlap), ("outweighed", self.outweighed),
                                 ("codes no unit", self.unmatched)):
            lines += [f"  {what}: {u.doc} {u.start}-{u.end} {u.code}: {_preview(u.text)}" for u in selections[:3]]
            if len(selections) > 3:
                lines.append(f"  … and {len(selections) - 3} more {what}")
        return lines


def _preview(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


def _overlap(unit: Unit, selection: CodedUnit) -> int:
    return max(0, min(unit.end, selection.end) - max(unit.start, selection.start))


def align(project: QdaProject, segmenter: Segmenter) -> Alignment:
    """The segmenter's units of every text source, coded from the project's selections."""
    selections = project.units
    by_doc: dict[str, list[CodedUnit]] = defaultdict(list)
    for selection in selections:
        by_doc[selection.doc].append(selection)
    names = list(project.documents)
    units_of = segmenter.segment_many([Document(name, project.documents[name]) for name in names])
    alignment = Alignment(units=[], codes=[])
    used: Counter = Counter()
    for name, units in zip(names, units_of):
        for unit in units:
            overlaps = [(_overlap(unit, s), s) for s in by_doc[name]]
            overlaps = [(n, s) for n, s in overlaps if n]
            if overlaps:
                winner = max(overlaps, key=lambda pair: pair[0])[1]
                used[id(winner)] += 1
                code = winner.code
            else:
                alignment.uncoded += 1
                code = NONE_CODE
            alignment.units.append(unit)
            alignment.codes.append(code)
    spans = {(u.doc, u.start, u.end) for u in alignment.units}
    for selection in selections:
        covers_a_unit = any(_overlap(u, selection) for u in alignment.units if u.doc == selection.doc)
        if not covers_a_unit:
            alignment.unmatched.append(selection)
        elif not used[id(selection)]:
            alignment.outweighed.append(selection)
        elif (selection.doc, selection.start, selection.end) in spans:
            alignment.exact += 1
        else:
            alignment.by_overlap.append(selection)
    return alignment
