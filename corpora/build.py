"""Build the coded corpus: `units` writes the units to code, `merge` joins the codings into the splits.

    python corpora/build.py units      # -> corpora/annotation/units.jsonl (what annotators code, blind)
    python corpora/build.py register-units  # -> corpora/annotation/registers/units.jsonl (the register documents)
    python corpora/build.py field-units     # -> corpora/annotation/field/units.jsonl (the field-register documents)
    python corpora/build.py merge      # -> corpora/coded/{train,test,test_synthetic,test_study}.jsonl
    python corpora/build.py stats      # -> corpora/STATISTICS.md (counts per subset, annotator agreement)
    python corpora/build.py gold       # -> corpora/unitizing/gold/ (the unitizers' units with offsets, and sections)
    python corpora/build.py blind      # -> corpora/unitizing/blind/ (the blind set's units with offsets, and sections)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from autocoder.agreement import agreement
from autocoder.io import load_codebook
from autocoder.corpus import CODED_DIR, CORPORA_DIR, SPLITS, load_split, part_at, read_source, source_documents
from autocoder.readers import read_document
from autocoder.segment import Segmenter
from autocoder.types import Document

ANNOTATION_DIR = CORPORA_DIR / "annotation"
SYNTHETIC_DIR = CORPORA_DIR / "documents" / "synthetic"
SYNTHETIC_TEST = {f"report_{i:02d}" for i in range(19, 25)}
"""Six of the 24 synthetic reports are held out; the split is fixed here and recorded in the data card."""
REGISTERS_DIR = CORPORA_DIR / "documents" / "registers"
REGISTER_ANNOTATION_DIR = ANNOTATION_DIR / "registers"
REGISTER_STYLES = ("bulleted", "paragraph", "terse", "framework")


FIELD_DIR = CORPORA_DIR / "documents" / "field"
FIELD_ANNOTATION_DIR = ANNOTATION_DIR / "field"
FIELD_REGISTERS = ("inspection", "area_send", "peer_review", "info_report", "governors", "annual_review", "sef",
                   "guidance")
FIELD_HELD_OUT_FROM = 10
"""Documents 10-13 of every field register are held out (`test_field`); their writers wrote no other document."""


def field_split(stem: str) -> str:
    return "test_field" if int(stem.rsplit("_", 1)[1]) >= FIELD_HELD_OUT_FROM else "train"


def register_split(style: str, stem: str) -> str:
    """Every fourth document of a style (04, 08, ...) is held out as that style's test split."""
    return f"test_{style}" if int(stem.rsplit("_", 1)[1]) % 4 == 0 else "train"


def heading_sections(document: Document, headings: list[dict]) -> list[tuple[int, str | None]]:
    """(offset, section) for each heading line of a register document, as its author assigned it."""
    found, offset = [], 0
    for heading in headings:
        start = document.text.find(heading["line"], offset)
        if start < 0:
            raise ValueError(f"{document.id}: heading {heading['line']!r} not in the document")
        found.append((start, heading["section"]))
        offset = start + len(heading["line"])
    return found


def section_at(sections: list[tuple[int, str | None]], offset: int) -> str | None:
    current = None
    for start, section in sections:
        if start > offset:
            break
        current = section
    return current


def _manifest(style: str) -> dict[str, dict]:
    """The register documents of a style: file name -> setting and headings, as their author recorded them."""
    path = REGISTERS_DIR / style / "manifest.jsonl"
    return {m["file"]: m for m in map(json.loads, filter(str.strip, path.read_text(encoding="utf-8").splitlines()))}


def manifests(folder: Path) -> dict[str, dict]:
    """The documents of a folder as their writers recorded them (`manifest_*.jsonl`): file name -> entry."""
    manifest = {}
    for path in sorted(folder.glob("manifest_*.jsonl")):
        for line in filter(str.strip, path.read_text(encoding="utf-8").splitlines()):
            entry = json.loads(line)
            manifest[entry["file"]] = entry
    return manifest


def field_manifest(register: str) -> dict[str, dict]:
    """A field register's documents: file name -> writer, style, setting and headings, from its writers' manifests."""
    return manifests(FIELD_DIR / register)


def authored_units(segmenter: Segmenter, path: Path, doc: str, source_file: str, headings: list[dict],
                   **fields) -> list[dict]:
    """A document's units, each in the section its author meant the heading above it to open, with `fields`."""
    document = read_document(path)
    sections = heading_sections(document, headings)
    return [{"doc": doc, "source_file": source_file, "start": unit.start, "end": unit.end, "text": unit.text,
             "section": section_at(sections, unit.start), **fields, "id": f"{doc}:{unit.start}-{unit.end}"}
            for unit in segmenter.segment(document)]


def field_units() -> list[dict]:
    segmenter = Segmenter()
    records = []
    for register in FIELD_REGISTERS:
        manifest = field_manifest(register)
        for path in sorted((FIELD_DIR / register).glob(f"{register}_*.md")):
            entry = manifest[path.name]
            records += authored_units(segmenter, path, f"field/{register}/{path.stem}",
                                      f"documents/field/{register}/{path.name}", entry["headings"],
                                      style=entry["style"], register=register, writer=entry["writer"],
                                      setting=entry["setting"], synthetic=True, split=field_split(path.stem))
    return records


def register_units() -> list[dict]:
    segmenter = Segmenter()
    records = []
    for style in REGISTER_STYLES:
        manifest = _manifest(style)
        for path in sorted((REGISTERS_DIR / style).glob(f"{style}_*.md")):
            records += authored_units(segmenter, path, f"registers/{style}/{path.stem}",
                                      f"documents/registers/{style}/{path.name}", manifest[path.name]["headings"],
                                      style=style, setting=manifest[path.name]["setting"], synthetic=True,
                                      split=register_split(style, path.stem))
    return records


def units_to_code() -> list[dict]:
    segmenter = Segmenter()
    records = []
    for source in source_documents():
        if not source.parts:
            continue
        text = read_source(source)
        for unit in segmenter.segment(Document(source.id, text)):
            part = part_at(source, text, unit.start)
            if part.code:
                records.append({"doc": f"{source.id}/{part.id}", "source_file": source.file, "start": unit.start,
                                "end": unit.end, "text": unit.text, "section": unit.section,
                                "synthetic": False, "split": part.split})
    for path in sorted(SYNTHETIC_DIR.glob("report_*.md")):
        document = read_document(path)
        for unit in segmenter.segment(document):
            records.append({"doc": f"synthetic/{path.stem}", "source_file": f"documents/synthetic/{path.name}",
                            "start": unit.start, "end": unit.end, "text": unit.text, "section": unit.section,
                            "synthetic": True,
                            "split": "test_synthetic" if path.stem in SYNTHETIC_TEST else "train"})
    for record in records:
        record["id"] = f"{record['doc']}:{record['start']}-{record['end']}"
    return records


def _read_codes(path: Path) -> dict[str, dict]:
    with path.open(encoding="utf-8") as handle:
        return {r["id"]: r for r in map(json.loads, filter(str.strip, handle))}


def _coded_records(directory: Path, codebook) -> list[dict]:
    """The units of one annotation round with both annotators' codes and the adjudicated one."""
    units = _read_codes(directory / "units.jsonl")
    first = _read_codes(directory / "annotator_1.jsonl")
    second = _read_codes(directory / "annotator_2.jsonl")
    adjudicated = _read_codes(directory / "adjudication.jsonl")
    records = []
    for unit_id, unit in units.items():
        code_1, code_2 = first[unit_id]["code"], second[unit_id]["code"]
        if code_1 == code_2:
            code, reason, coder = code_1, None, "project:agreed"
        else:
            code, reason, coder = adjudicated[unit_id]["code"], adjudicated[unit_id]["reason"], "project:adjudicator"
        for c in (code_1, code_2, code):
            if not codebook.is_code(c):
                raise ValueError(f"{unit_id}: {c!r} is not a code of the codebook")
        style, register = unit.get("style"), unit.get("register")
        sample = (f"field_{register}" if register else f"registers_{style}" if style
                  else "synthetic_reports" if unit["synthetic"] else "ncsl")
        records.append({
            "id": unit_id, "text": unit["text"], "doc": unit["doc"], "source_file": unit["source_file"],
            "start": unit["start"], "end": unit["end"], "section": unit["section"],
            "sample": sample, "style": style, "origin": None, "category": code,
            "construct": codebook.construct_of(code), "coder": coder, "annotator_1": code_1, "annotator_2": code_2,
            "adjudication_reason": reason, "synthetic": unit["synthetic"], "split": unit["split"],
            "register": register, "writer": unit.get("writer"),
        })
    return records


def merge() -> dict[str, list[dict]]:
    codebook = load_codebook()
    splits: dict[str, list[dict]] = {s: [] for s in SPLITS}
    rounds = (ANNOTATION_DIR, REGISTER_ANNOTATION_DIR, FIELD_ANNOTATION_DIR)
    for record in [r for directory in rounds for r in _coded_records(directory, codebook)]:
        splits[record.pop("split")].append(record)
    for study in _read_codes(CORPORA_DIR / "study" / "units.jsonl").values():
        split = "test_study" if study["sample"] == "school_reports" else "train"
        splits[split].append({
            "id": study["id"], "text": study["text"], "doc": f"paper/{study['sample']}",
            "source_file": study["source_file"], "start": study["start"], "end": study["end"],
            "section": study["section"], "sample": study["sample"], "origin": ", ".join(study["origin"]),
            "category": study["category"], "construct": study["construct"], "coder": "study",
            "annotator_1": None, "annotator_2": None, "adjudication_reason": None, "synthetic": False, "style": None,
            "register": None, "writer": None,
        })
    return splits


def _count_row(code_id: str, groups, level: str) -> list:
    key = "category" if level == "category" else "construct"
    if code_id == "NONE":
        return [code_id, *(sum(1 for u in g if u["category"] == "NONE") for g in groups)]
    return [code_id, *(sum(1 for u in g if u[key] == code_id) for g in groups)]


def statistics() -> str:
    """Counts per category and construct per subset, gaps, and annotator agreement per subset."""
    codebook = load_codebook()
    by_split = {split: load_split(split) for split in SPLITS}
    train = by_split["train"]
    subsets = {
        "train: real (NCSL)": [u for u in train if u["sample"] == "ncsl"],
        "train: synthetic": [u for u in train if u["sample"] == "synthetic_reports"],
        **{f"train: {style}": [u for u in train if u["sample"] == f"registers_{style}"] for style in REGISTER_STYLES},
        **{f"train: field {register}": [u for u in train if u["sample"] == f"field_{register}"]
           for register in FIELD_REGISTERS},
        "train: study (frameworks)": [u for u in train if u["coder"] == "study"],
        **{split: units for split, units in by_split.items() if split != "train"},
    }
    lines = ["# Corpus statistics", "", "Generated by `python corpora/build.py stats`; do not edit by hand.", "",
             "## Units per subset", "", "| subset | units | documents | coded to a category | NONE | construct only |",
             "|---|---|---|---|---|---|"]
    for name, group in subsets.items():
        coded = sum(1 for u in group if u["category"] not in (None, "NONE"))
        none = sum(1 for u in group if u["category"] == "NONE")
        lines.append(f"| {name} | {len(group)} | {len({u['doc'] for u in group})} | {coded} | {none} | "
                     f"{len(group) - coded - none} |")
    for level, ids in (("category", codebook.category_ids), ("construct", codebook.construct_ids)):
        header = [level, *subsets]
        lines += ["", f"## Units per {level} and subset", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(map(str, _count_row(code_id, subsets.values(), level))) + " |"
                  for code_id in [*ids, "NONE"]]
    gaps = [c.id for c in codebook.categories if sum(1 for u in train if u["category"] == c.id) < 10]
    everywhere = [u for units in by_split.values() for u in units]
    thin = [c.id for c in codebook.categories if sum(1 for u in everywhere if u["category"] == c.id) < 60]
    missing = [f"`{c.id}` ({style})" for c in codebook.categories for style in REGISTER_STYLES
               if not any(u["category"] == c.id and u.get("style") == style for u in everywhere)]
    lines += ["", "## Known gaps", "", "Categories with fewer than 10 coded units in `train`: "
              + (", ".join(f"`{g}`" for g in gaps) if gaps else "none") + ".",
              "", "Categories with fewer than 60 coded units in the whole corpus: "
              + (", ".join(f"`{g}`" for g in thin) if thin else "none") + ".",
              "", "Categories with no coded unit in a register style: " + (", ".join(missing) if missing else "none") + "."]
    lines += ["", "## Agreement between the two project annotators (before adjudication)", "",
              "| units | n | category kappa (95% CI) | construct kappa (95% CI) | % agreement |", "|---|---|---|---|---|"]
    project = [u for units in by_split.values() for u in units if u["coder"] != "study"]
    for name, group in (("all project-annotated", project),
                        ("real (NCSL)", [u for u in project if not u["synthetic"]]),
                        ("synthetic", [u for u in project if u["sample"] == "synthetic_reports"]),
                        *((f"register: {style}", [u for u in project if u["sample"] == f"registers_{style}"])
                          for style in REGISTER_STYLES),
                        *((f"field: {register}", [u for u in project if u["sample"] == f"field_{register}"])
                          for register in FIELD_REGISTERS),
                        ("held-out `test`", [u for u in by_split["test"]])):
        reports = agreement([u["annotator_1"] for u in group], [u["annotator_2"] for u in group], codebook)
        cat, con = reports["category"], reports["construct"]
        lines.append(f"| {name} | {cat.n} | {cat.kappa:.3f} ({cat.kappa_ci[0]:.3f}-{cat.kappa_ci[1]:.3f}) | "
                     f"{con.kappa:.3f} ({con.kappa_ci[0]:.3f}-{con.kappa_ci[1]:.3f}) | {cat.percent_agreement:.1%} |")
    per = agreement([u["annotator_1"] for u in project], [u["annotator_2"] for u in project], codebook)["construct"]
    lines += ["", "Per construct (one-vs-rest kappa, all project-annotated units):", "",
              "| construct | kappa | annotator 1 | annotator 2 | both |", "|---|---|---|---|---|"]
    lines += [f"| {p.label} | {p.kappa:.3f} | {p.support_a} | {p.support_b} | {p.agree} |" for p in per.per_label]
    return "\n".join(lines) + "\n"


UNITIZING_DIR = CORPORA_DIR / "unitizing"
UNITIZERS = ("unitizer_a", "unitizer_b")


def find_copied(text: str, unit: str, offset: int) -> tuple[int, int] | None:
    """Where a unitizer's copy of a unit lies in the document, from `offset` on: exactly, or with Markdown's
    emphasis marks (`*`) left out of the copy (a bold label inside a line), as (start, end) of the document's text
    from the unit's first to its last character."""
    start = text.find(unit, offset)
    if start >= 0:
        return start, start + len(unit)
    kept = [i for i in range(offset, len(text)) if text[i] != "*"]
    plain = "".join(text[i] for i in kept)
    wanted = unit.replace("*", "")
    at = plain.find(wanted)
    if at < 0 or not wanted:
        return None
    return kept[at], kept[at + len(wanted) - 1] + 1


def _gold_document(doc: str) -> tuple[str, str, str, list[dict]]:
    """A unitized document's source file, style, split and headings (with the section each opens): a register
    document (`style/stem`) or a field document (`field/register/stem`)."""
    parts = doc.split("/")
    if parts[0] == "blind":
        stem = parts[1]
        entry = _blind_manifest()[f"{stem}.md"]
        return f"unitizing/blind/documents/{stem}.md", entry["style"], "blind", entry["headings"]
    if parts[0] == "field":
        _, register, stem = parts
        entry = field_manifest(register)[f"{stem}.md"]
        return (f"documents/field/{register}/{stem}.md", entry["style"],
                "test" if field_split(stem) != "train" else "train", entry["headings"])
    style, stem = parts
    return (f"documents/registers/{style}/{stem}.md", style,
            "test" if register_split(style, stem) != "train" else "train", _manifest(style)[f"{stem}.md"]["headings"])


def _gold_doc_id(doc: str) -> str:
    return doc if doc.startswith(("field/", "blind/")) else f"registers/{doc}"


BLIND_DIR = UNITIZING_DIR / "blind"
"""Documents written and unitized after the learned unitizer's design was fixed: scored once, never fitted to."""


def _blind_manifest() -> dict[str, dict]:
    return manifests(BLIND_DIR / "documents")


def gold_units(unitizer: str, raw_dir: Path = UNITIZING_DIR / "raw") -> list[dict]:
    """A unitizer's units (texts copied from the documents, in order) as offsets into the documents."""
    records = []
    for path in sorted((raw_dir / unitizer).glob("*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        source_file, style, split, _ = _gold_document(raw["doc"])
        text = read_document(CORPORA_DIR / source_file).text
        offset = 0
        for unit in raw["units"]:
            found = find_copied(text, unit, offset)
            if found is None:
                raise ValueError(f"{path.name}: unit not found in order in the document: {unit[:60]!r}")
            start, end = found
            records.append({"doc": _gold_doc_id(raw["doc"]), "source_file": source_file, "start": start,
                            "end": end, "text": text[start:end], "style": style, "split": split})
            offset = end
    return records


def gold_sections(raw_dir: Path = UNITIZING_DIR / "raw") -> list[dict]:
    """Each unitized document's heading lines and the section its author meant each to open."""
    raws = [json.loads(p.read_text(encoding="utf-8"))["doc"]
            for p in sorted((raw_dir / UNITIZERS[0]).glob("*.json"))]
    sections = []
    for raw in raws:
        source_file, _, _, headings = _gold_document(raw)
        sections.append({"doc": _gold_doc_id(raw), "source_file": source_file,
                         "headings": [{"heading": h["line"], "section": h["section"]} for h in headings]})
    return sections


def round_agreement(directory: Path, field: str, groups: tuple[str, ...]) -> dict:
    """The two annotators' agreement on one annotation round, before adjudication: all, and per `field` value."""
    codebook = load_codebook()
    records = _coded_records(directory, codebook)

    def summary(group: list[dict]) -> dict:
        reports = agreement([r["annotator_1"] for r in group], [r["annotator_2"] for r in group], codebook)
        return {level: {k: v for k, v in report.to_dict().items() if k not in ("per_label", "confusion")}
                for level, report in reports.items()}

    return {"units": len(records), "all": summary(records),
            f"{field}s": {value: summary([r for r in records if r[field] == value]) for value in groups}}


def _write_jsonl(path: Path, records: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def main(command: str) -> None:
    if command == "units":
        ANNOTATION_DIR.mkdir(exist_ok=True)
        records = units_to_code()
        _write_jsonl(ANNOTATION_DIR / "units.jsonl", records)
        print(f"{len(records)} units to code")
    elif command == "register-units":
        REGISTER_ANNOTATION_DIR.mkdir(exist_ok=True)
        records = register_units()
        _write_jsonl(REGISTER_ANNOTATION_DIR / "units.jsonl", records)
        print(f"{len(records)} units to code")
    elif command == "field-units":
        FIELD_ANNOTATION_DIR.mkdir(exist_ok=True)
        records = field_units()
        _write_jsonl(FIELD_ANNOTATION_DIR / "units.jsonl", records)
        print(f"{len(records)} units to code")
    elif command == "merge":
        CODED_DIR.mkdir(exist_ok=True)
        for split, records in merge().items():
            with (CODED_DIR / f"{split}.jsonl").open("w", encoding="utf-8") as out:
                for record in records:
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
            print(f"{split}: {len(records)} units")
    elif command == "gold":
        (UNITIZING_DIR / "gold").mkdir(exist_ok=True)
        for unitizer in UNITIZERS:
            _write_jsonl(UNITIZING_DIR / "gold" / f"{unitizer.replace('unitizer', 'annotator')}.jsonl", gold_units(unitizer))
        _write_jsonl(UNITIZING_DIR / "gold" / "sections.jsonl", gold_sections())
    elif command == "blind":
        for unitizer in UNITIZERS:
            _write_jsonl(BLIND_DIR / f"{unitizer.replace('unitizer', 'annotator')}.jsonl",
                         gold_units(unitizer, BLIND_DIR / "raw"))
        _write_jsonl(BLIND_DIR / "sections.jsonl", gold_sections(BLIND_DIR / "raw"))
    elif command == "stats":
        (CORPORA_DIR / "STATISTICS.md").write_text(statistics(), encoding="utf-8")
        for directory, field, groups in ((REGISTER_ANNOTATION_DIR, "style", REGISTER_STYLES),
                                         (FIELD_ANNOTATION_DIR, "register", FIELD_REGISTERS)):
            (directory / "agreement.json").write_text(
                json.dumps(round_agreement(directory, field, groups), indent=2) + "\n", encoding="utf-8")
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "")
