"""The segmenter against human unitizations of the same documents (a gold), per document style.

A gold is one file of units per annotator (JSONL: doc, source_file, start, end, text, style, split; `source_file`
relative to a documents folder, `text == document.text[start:end]`), and optionally the sections its documents'
authors meant under each heading (JSONL: doc, heading, section). The figures: matched-unit share both ways at
IoU >= 0.8 and Krippendorff's alpha_u for the segmenter against each annotator and for the annotators against each
other, and the share of units under a heading the gold gives a section to that the segmenter puts in that section.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from .errors import InputError
from .io import read_records
from .readers import read_document
from .sections import normalise
from .segment import Segmenter
from .types import Document, Section, Unit
from .unitizing import MATCH_IOU, Span, compare_unitizations

SEGMENTER = "segmenter"
ALL_STYLES = "all"
_GOLD_FIELDS = ("doc", "source_file", "start", "end", "text")


@dataclass(frozen=True)
class GoldUnit:
    doc: str
    source_file: str
    start: int
    end: int
    text: str
    style: str | None = None
    split: str | None = None

    @property
    def span(self) -> Span:
        return Span(self.doc, self.start, self.end)


def read_gold(path: Path) -> list[GoldUnit]:
    """One annotator's units; a record without the fields or with impossible offsets is an error naming its line."""
    units = []
    for line, record in read_records(path):
        missing = [f for f in _GOLD_FIELDS if f not in record]
        if missing:
            raise InputError(f"gold unit without {', '.join(missing)}", source=str(path), line=line)
        try:
            start, end = int(record["start"]), int(record["end"])
        except (TypeError, ValueError):
            raise InputError("start and end must be integers", source=str(path), line=line) from None
        if not 0 <= start < end:
            raise InputError(f"impossible offsets {start}-{end}", source=str(path), line=line)
        units.append(GoldUnit(str(record["doc"]), str(record["source_file"]), start, end, str(record["text"]),
                              record.get("style"), record.get("split")))
    return units


def read_heading_sections(path: Path) -> dict[str, list[tuple[str, Section | None]]]:
    """doc -> its headings in order, each with the section its author meant (None: no coded section).

    A line is one heading ({"doc", "heading" or "text", "section"}) or one document's headings
    ({"doc", "headings": [{"heading" or "text", "section"}, ...]})."""
    headings: dict[str, list[tuple[str, Section | None]]] = defaultdict(list)
    for line, record in read_records(path):
        try:
            for heading in record.get("headings", [record]):
                section = heading.get("section")
                text = heading["heading"] if "heading" in heading else heading["text"]
                headings[str(record["doc"])].append((str(text), Section(section) if section else None))
        except (KeyError, ValueError, AttributeError, TypeError) as exc:
            raise InputError(f"a heading record needs doc, heading (or text) and a section of "
                             f"{[s.value for s in Section]} or null ({exc!r})", source=str(path), line=line) from None
    return dict(headings)


def _documents_root(gold_path: Path, source_file: str) -> Path:
    """The folder `source_file` is relative to: the gold file's nearest ancestor that holds it."""
    for folder in gold_path.resolve().parents:
        if (folder / source_file).exists():
            return folder
    raise InputError(f"document {source_file!r} not found in any folder above the gold file; give --documents",
                     source=str(gold_path))


def gold_documents(gold: Mapping[str, list[GoldUnit]], gold_paths: Mapping[str, Path],
                   root: Path | None = None) -> dict[str, Document]:
    """The gold's documents, read as the segmenter reads them, with every gold unit's text checked against them."""
    documents: dict[str, Document] = {}
    for name, units in gold.items():
        for unit in units:
            if unit.doc not in documents:
                folder = root or _documents_root(gold_paths[name], unit.source_file)
                documents[unit.doc] = read_document(folder / unit.source_file, doc_id=unit.doc)
            if documents[unit.doc].text[unit.start:unit.end] != unit.text:
                raise InputError(f"gold unit {unit.doc}:{unit.start}-{unit.end} of {name} does not match the "
                                 f"document's text there", source=str(gold_paths[name]))
    return documents


def heading_positions(text: str, headings: list[tuple[str, Section | None]]) -> list[tuple[int, Section | None]]:
    """Where each gold heading's line starts in the document (headings in document order); a heading not found
    in the text is an error."""
    lines, offset = [], 0
    for line in text.splitlines(keepends=True):
        lines.append((offset, normalise(line)))
        offset += len(line)
    positions, next_line = [], 0
    for heading, section in headings:
        wanted = normalise(heading)
        found = next((i for i in range(next_line, len(lines)) if lines[i][1] == wanted or
                      lines[i][1].startswith(wanted + ":")), None)
        if found is None:
            raise InputError(f"heading {heading!r} not found in the document's lines (after line {next_line})")
        positions.append((lines[found][0], section))
        next_line = found + 1
    return positions


def section_figures(units: Iterable[Unit], positions: Mapping[str, list[tuple[int, Section | None]]]) -> dict:
    """Of the segmenter's units under a heading the gold gives a section to, the share it puts in that section;
    and of those under a heading the gold gives none to, how many it still puts in one (which the first share
    cannot see)."""
    under, right, under_none, given = 0, 0, 0, 0
    for unit in units:
        sections = [section for start, section in positions.get(unit.doc, []) if start <= unit.start]
        if not sections:
            continue
        if sections[-1] is None:
            under_none += 1
            given += unit.section is not None
        else:
            under += 1
            right += unit.section == sections[-1].value
    return {"units_under_a_known_section": under, "right_section": right,
            "accuracy": right / under if under else None,
            "units_under_no_section": under_none, "given_a_section": given}


def evaluate_segmentation(gold_paths: Mapping[str, Path], segmenter: Segmenter, split: str | None = None,
                          sections_path: Path | None = None, documents_root: Path | None = None,
                          threshold: float = MATCH_IOU, coding: "Coding | None" = None) -> dict:
    """Agreement figures per style and for all styles together, over the gold documents of `split` (None: all);
    with `coding`, what the segmenter's units cost the coding (`coding_cost`)."""
    gold = {name: read_gold(path) for name, path in gold_paths.items()}
    for name, units in gold.items():
        if not units:
            raise InputError("gold file has no units", source=str(gold_paths[name]))
    if split is not None:
        gold = {name: [u for u in units if u.split == split] for name, units in gold.items()}
    documents = gold_documents(gold, gold_paths, documents_root)
    # Only documents every annotator unitized are compared.
    shared = set.intersection(*({u.doc for u in units} for units in gold.values()))
    if not shared:
        raise InputError(f"no document is in every gold file{f' (split {split!r})' if split else ''}")
    styles = {u.doc: u.style or "unknown" for units in gold.values() for u in units}
    names = sorted(shared)
    segmented = dict(zip(names, segmenter.segment_many(documents[d] for d in names)))
    positions = {}
    if sections_path is not None:
        headings = read_heading_sections(sections_path)
        positions = {doc: heading_positions(documents[doc].text, headings[doc]) for doc in names if doc in headings}
    results = {"split": split, "match_iou": threshold, "annotators": sorted(gold), "styles": {}}
    for style in [ALL_STYLES, *sorted({styles[d] for d in names})]:
        docs = {d for d in names if style == ALL_STYLES or styles[d] == style}
        lengths = {d: len(documents[d].text) for d in docs}
        spans = {name: [u.span for u in units if u.doc in docs] for name, units in gold.items()}
        machine = [Span(u.doc, u.start, u.end) for d in sorted(docs) for u in segmented[d]]
        pairs = [compare_unitizations(SEGMENTER, machine, name, spans[name], lengths, threshold) for name in sorted(gold)]
        pairs += [compare_unitizations(a, spans[a], b, spans[b], lengths, threshold)
                  for a, b in combinations(sorted(gold), 2)]
        entry = {"documents": len(docs), "pairs": [p.to_dict() for p in pairs]}
        if positions:
            entry["sections"] = section_figures((u for d in sorted(docs) for u in segmented[d]), positions)
        if coding is not None:
            entry["coding"] = coding_cost(coding, sorted(docs), segmented, gold)
        results["styles"][style] = entry
    return results


@dataclass(frozen=True)
class Coding:
    """A model to code units with, and the human codes of the documents: (start, end, code) per document."""

    pipeline: object
    human: Mapping[str, list[tuple[int, int, str]]]


def _most_overlapping(start: int, end: int, spans: Iterable[tuple[int, int, object]]):
    best = max(spans, key=lambda s: min(end, s[1]) - max(start, s[0]), default=None)
    return best if best is not None and min(end, best[1]) - max(start, best[0]) > 0 else None


def coding_cost(coding: Coding, docs: list[str], segmented: Mapping[str, list[Unit]],
                gold: Mapping[str, list[GoldUnit]]) -> dict:
    """Category kappa of the model with the human codes when it codes the segmenter's units and when it codes each
    annotator's units of the same documents. Every unit takes the human code of the coded unit overlapping it most
    (NONE where none does) and the section of the segmenter's unit overlapping it most; documents without human
    codes are left out. `loss`: the annotators' mean kappa less the segmenter's."""
    from .agreement import agreement
    from .types import NONE_CODE

    coded = [d for d in docs if d in coding.human]
    kept = set(coded)
    sets = {SEGMENTER: [u for d in coded for u in segmented[d]]}
    for name, units in gold.items():
        sets[name] = []
        for unit in (u for u in units if u.doc in kept):
            own = _most_overlapping(unit.start, unit.end, ((v.start, v.end, v) for v in segmented[unit.doc]))
            sets[name].append(Unit(unit.doc, unit.start, unit.end, unit.text, own[2].section if own else None))
    figures = {"documents": len(coded)}
    for name, units in sets.items():
        if not units:
            return {"documents": 0}
        human = [(_most_overlapping(u.start, u.end, coding.human[u.doc]) or (0, 0, NONE_CODE))[2] for u in units]
        model = [s.category or NONE_CODE for s in coding.pipeline.suggest(units)]
        figures[name] = {"units": len(units),
                         "kappa": round(agreement(human, model, coding.pipeline.codebook)["category"].kappa, 4)}
    annotators = [figures[name]["kappa"] for name in gold]
    figures["loss"] = round(sum(annotators) / len(annotators) - figures[SEGMENTER]["kappa"], 4)
    return figures


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def render_segmentation(results: dict) -> str:
    """A markdown table of the figures, one row per style and pair."""
    split = results["split"] or "all"
    lines = [f"Unitizing agreement ({split} split; a unit is matched at IoU >= {results['match_iou']})", "",
             "| style | documents | first | second | units | first's matched | second's matched | alpha_u |",
             "|---|---|---|---|---|---|---|---|"]
    for style, entry in results["styles"].items():
        for pair in entry["pairs"]:
            alpha = "-" if pair["alpha_u"] is None else f"{pair['alpha_u']:.3f}"
            lines.append(f"| {style} | {entry['documents']} | {pair['first']} | {pair['second']} | "
                         f"{pair['first_units']} / {pair['second_units']} | {_percent(pair['first_matched'])} | "
                         f"{_percent(pair['second_matched'])} | {alpha} |")
    sections = {style: e["sections"] for style, e in results["styles"].items() if "sections" in e}
    if sections:
        lines += ["", *_section_table(sections)]
    coded = {style: e["coding"] for style, e in results["styles"].items() if e.get("coding", {}).get("documents")}
    if coded:
        names = [n for n in next(iter(coded.values())) if n not in ("documents", "loss")]
        lines += ["", "Coding on each set of units (category kappa with the human codes; each unit takes the code of "
                  "the coded unit it overlaps most):", "",
                  "| style | documents | " + " | ".join(f"{n} (units)" for n in names) + " | lost on the segmenter's |",
                  "|---|---|" + "---|" * len(names) + "---|"]
        for style, f in coded.items():
            lines.append(f"| {style} | {f['documents']} | " + " | ".join(
                f"{f[n]['kappa']:.3f} ({f[n]['units']})" for n in names) + f" | {f['loss']:+.3f} |")
    return "\n".join(lines) + "\n"


def _section_table(sections: Mapping[str, dict]) -> list[str]:
    lines = ["| style | units under a heading with a section | right section | units under a heading without one | "
             "given a section |", "|---|---|---|---|---|"]
    for style, figures in sections.items():
        lines.append(f"| {style} | {figures['units_under_a_known_section']} | {_percent(figures['accuracy'])} | "
                     f"{figures['units_under_no_section']} | {figures['given_a_section']} |")
    return lines


def evaluate_sections(sections_path: Path, segmenter: Segmenter, documents_root: Path | None = None) -> dict:
    """Section figures alone, per style, for documents whose headings' sections are known but whose units are not
    (JSONL: doc, source_file, style, headings): a check of heading detection on documents of a team's own."""
    records = [record for _, record in read_records(sections_path)]
    headings = read_heading_sections(sections_path)
    documents, styles = {}, {}
    for record in records:
        if "source_file" not in record:
            raise InputError(f"document {record.get('doc')!r} has no source_file", source=str(sections_path))
        folder = documents_root or _documents_root(sections_path, record["source_file"])
        doc = str(record["doc"])
        documents[doc] = read_document(folder / record["source_file"], doc_id=doc)
        styles[doc] = record.get("style") or "unknown"
    names = sorted(documents)
    segmented = dict(zip(names, segmenter.segment_many(documents[d] for d in names)))
    positions = {doc: heading_positions(documents[doc].text, headings[doc]) for doc in names}
    return {"documents": len(names), "styles": {
        style: section_figures((u for d in names if style in (ALL_STYLES, styles[d]) for u in segmented[d]), positions)
        for style in [ALL_STYLES, *sorted(set(styles.values()))]}}


def render_sections(results: dict) -> str:
    return "\n".join([f"Sections of the segmenter's units ({results['documents']} documents)", "",
                      *_section_table(results["styles"])]) + "\n"


def write_json(results: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
