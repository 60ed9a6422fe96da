"""The coded corpus in `corpora/`: where its documents live and how its units are split."""

from __future__ import annotations

import bisect
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError

CORPORA_DIR = Path(__file__).resolve().parent.parent / "corpora"
CODED_DIR = CORPORA_DIR / "coded"
STYLES = ("bulleted", "paragraph", "terse", "framework")
"""The register documents' styles: bulleted reports, paragraph reports, terse feedback notes, framework criteria."""
SPLITS = ("train", "test", "test_study", "test_field", "test_synthetic", *(f"test_{style}" for style in STYLES))
"""`train` is all a model may learn from; the test splits are held out and reported separately: first the text
written by people (`test`: NCSL research and guidance prose; `test_study`: the study's school-report
quotations), then the project's writing (`test_field`: the field registers, by writers who wrote no train
document; `test_synthetic` and the register styles)."""
HELD_OUT = tuple(s for s in SPLITS if s not in ("train", "test_study"))
"""The held-out splits coded by category that models are compared on (`test_study` is mostly coded by construct)."""


@dataclass(frozen=True)
class Part:
    id: str
    first_line: int
    split: str
    code: bool = True


@dataclass(frozen=True)
class SourceDocument:
    id: str
    file: str
    sha256: str
    title: str
    licence: str
    parts: tuple[Part, ...]


def sources_dir() -> Path:
    """The public source documents: `AUTOCODER_SOURCES_DIR`, else the path `corpora/sources.json` names."""
    configured = json.loads((CORPORA_DIR / "sources.json").read_text(encoding="utf-8"))["sources_dir"]
    return Path(os.environ.get("AUTOCODER_SOURCES_DIR", CORPORA_DIR.parent / configured)).resolve()


def source_documents() -> list[SourceDocument]:
    data = json.loads((CORPORA_DIR / "sources.json").read_text(encoding="utf-8"))
    return [
        SourceDocument(
            id=d["id"], file=d["file"], sha256=d["sha256"], title=d["title"], licence=d["licence"],
            parts=tuple(Part(p["id"], p["first_line"], p["split"], p.get("code", True)) for p in d["parts"]),
        )
        for d in data["documents"]
    ]


def read_source(doc: SourceDocument) -> str:
    """The source file's text, checked against the hash the corpus was built from."""
    path = sources_dir() / doc.file
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError("source document not found; set AUTOCODER_SOURCES_DIR", source=str(path)) from None
    if hashlib.sha256(raw).hexdigest() != doc.sha256:
        raise InputError("source document differs from the one the corpus was built from", source=str(path))
    return raw.decode("utf-8")


def part_at(doc: SourceDocument, text: str, offset: int) -> Part:
    """The part of `text` (a source document) that holds character `offset`."""
    line = text.count("\n", 0, offset) + 1
    firsts = [p.first_line for p in doc.parts]
    return doc.parts[bisect.bisect_right(firsts, line) - 1]


def source_text(source_file: str) -> str:
    """The text a coded unit's offsets point into: a public source document or a file under `corpora/`."""
    local = CORPORA_DIR / source_file
    if local.is_file():
        return local.read_text(encoding="utf-8")
    for doc in source_documents():
        if doc.file == source_file:
            return read_source(doc)
    raise InputError("unknown source file", source=source_file)


def load_split(split: str, directory: Path = CODED_DIR) -> list[dict]:
    """The coded units of one split, as records (the fields are described in `corpora/README.md`)."""
    if split not in SPLITS:
        raise InputError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    path = directory / f"{split}.jsonl"
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def local_documents(split: str, field: str = "category") -> list[tuple[str, str, list[dict]]]:
    """The split's documents kept under `corpora/` (the synthetic reports and the register documents), each as
    (name, text, its coded units with `field` as their code); units coded only to a construct are left out."""
    by_file: dict[str, list[dict]] = {}
    for record in load_split(split):
        if (CORPORA_DIR / record["source_file"]).is_file() and record.get(field):
            by_file.setdefault(record["source_file"], []).append(record)
    return [(Path(name).stem, source_text(name), records) for name, records in sorted(by_file.items())]
