"""Reading and writing unit and coding files (JSONL, CSV); errors name the file and the line."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from . import refi
from .codebook import Codebook, read_codebook_json
from .errors import InputError
from .readers import check_text, decode_text
from .types import NONE_CODE, Document, Unit


def load_codebook(path: str | Path | None = None) -> Codebook:
    """Read a codebook: JSON in the library's form, a REFI-QDA codebook (.qdc) or the codebook of a REFI-QDA
    project (.qdpx); the paper's codebook when no path is given."""
    if path is not None and Path(path).suffix.lower() in (".qdc", ".qdpx"):
        return refi.load_codebook(Path(path))
    return read_codebook_json(path)


MAX_OFFSET = 2**31
"""Character offsets are stored as 32-bit integers; no report comes near this."""


def _lines(path: Path, source: str) -> Iterator[tuple[int, str]]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", source=source) from None
    text = decode_text(raw, source)
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            yield number, line


def read_records(path: str | Path, source: str | None = None) -> list[tuple[int, dict]]:
    """(line number, record) pairs from a .jsonl or .csv file; `source` names the file in errors."""
    path = Path(path)
    source = source or str(path)
    if path.suffix.lower() == ".csv":
        rows = list(_lines(path, source))
        if not rows:
            return []
        reader = csv.DictReader([line for _, line in rows])
        records = [(rows[i + 1][0], dict(record)) for i, record in enumerate(reader)]
    else:
        records = []
        for number, line in _lines(path, source):
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"malformed JSON ({exc.msg} at column {exc.colno})", source=source,
                                 line=number) from None
            if not isinstance(record, dict):
                raise InputError("expected a JSON object on each line", source=source, line=number)
            records.append((number, record))
    for number, record in records:  # JSON escapes (\u0000, \ud800) can spell what no text file holds
        for value in record.values():
            if isinstance(value, str):
                check_text(value, source, number)
    return records


def read_units(path: str | Path) -> list[dict]:
    """Pre-segmented units: each record has `id` and `text`, optionally `section`, and `doc`, `start`, `end`
    (where the unit lies in its document; kept when given)."""
    units, seen = [], set()
    for number, record in read_records(path):
        for key in ("id", "text"):
            if record.get(key) in (None, ""):
                raise InputError(f"missing field {key!r}", source=str(path), line=number)
        if not isinstance(record["text"], str):
            raise InputError("field 'text' must be a string", source=str(path), line=number)
        if str(record["id"]) in seen:
            raise InputError(f"duplicate id {record['id']!r}", source=str(path), line=number)
        seen.add(str(record["id"]))
        unit = {"id": record["id"], "text": record["text"], "section": record.get("section") or None}
        start, end = _offsets(record, str(path), number)
        if start is not None and end is not None:
            unit.update(doc=str(record.get("doc") or Path(path).stem), start=start, end=end)
        units.append(unit)
    if not units:
        raise InputError("no units in file", source=str(path))
    return units


UNIT_SEPARATOR = "\n\n"
"""Pre-segmented units without offsets are joined into a document text with this between them."""


def joined_document(records: Sequence[dict], name: str, path: str | None = None) -> tuple[Document, list[Unit]]:
    """Pre-segmented units as one document: their texts one after another, each unit at its own offsets, so that
    every unit is read with the units beside it in the file."""
    text, units = "", []
    for record in records:
        start = len(text) + (len(UNIT_SEPARATOR) if text else 0)
        text = (text + UNIT_SEPARATOR if text else "") + record["text"]
        units.append(Unit(name, start, start + len(record["text"]), record["text"], record["section"]))
    return Document(name, text, path), units


def library_units(records: Sequence[dict], name: str) -> list[Unit]:
    """Pre-segmented units as the pipeline codes them: at their own offsets in their documents when every record
    gives them (as `autocoder segment` writes them), else one after another in one document called `name`."""
    if all("start" in record for record in records):
        return [Unit(r["doc"], r["start"], r["end"], r["text"], r["section"]) for r in records]
    return joined_document(records, name)[1]


def read_codes(path: str | Path, codebook: Codebook, field: str = "category") -> dict[str, str]:
    """A coding file: unit id -> code. An empty or null code means no category applies (NONE)."""
    codes: dict[str, str] = {}
    for number, record in read_records(path):
        if record.get("id") in (None, ""):
            raise InputError("missing field 'id'", source=str(path), line=number)
        if field not in record:
            raise InputError(f"missing field {field!r}", source=str(path), line=number)
        code = record[field] or NONE_CODE
        if not isinstance(code, str) or not codebook.is_code(code):
            raise InputError(f"unknown category id {code!r} (codebook {codebook.id!r})", source=str(path), line=number)
        unit_id = str(record["id"])
        if unit_id in codes:
            raise InputError(f"duplicate id {unit_id!r}", source=str(path), line=number)
        codes[unit_id] = code
    if not codes:
        raise InputError("no coded units in file", source=str(path))
    return codes


def _offsets(record: dict, source: str, line: int) -> tuple[int | None, int | None]:
    try:
        start, end = (int(record[k]) if record.get(k) not in (None, "") else None for k in ("start", "end"))
    except (TypeError, ValueError, OverflowError):
        raise InputError("'start' and 'end' must be whole numbers", source=source, line=line) from None
    if any(offset is not None and not 0 <= offset < MAX_OFFSET for offset in (start, end)):
        raise InputError(f"'start' and 'end' must be from 0 to {MAX_OFFSET - 1:,}", source=source, line=line)
    return start, end


def read_coded_units(path: str | Path, codebook: Codebook, source: str | None = None) -> list[dict]:
    """Human-coded units from a CSV or JSONL file: `text` and `category` (empty: NONE), optionally `id`, `doc`,
    `start`, `end`, `section` and `coder`, as the exports write them. `source` names the file in errors."""
    path = Path(path)
    source = source or str(path)
    units = []
    for line, record in read_records(path, source):
        text = record.get("text")
        if not isinstance(text, str) or not text.strip():
            raise InputError("missing field 'text'", source=source, line=line)
        code = record.get("category") or NONE_CODE
        if not isinstance(code, str) or not codebook.is_code(code):
            raise InputError(f"unknown category id {code!r} (codebook {codebook.id!r})", source=source, line=line)
        start, end = _offsets(record, source, line)
        if not isinstance(record.get("coder") or "", str):
            raise InputError("field 'coder' must be a name (a string)", source=source, line=line)
        ref = str(record["id"]) if record.get("id") not in (None, "") else None
        units.append({"id": ref, "doc": str(record.get("doc") or ref or f"{Path(source).name}:{line}"),
                      "start": start, "end": end, "text": text, "section": record.get("section") or None,
                      "category": code, "construct": codebook.construct_of(code), "coder": record.get("coder") or None})
    if not units:
        raise InputError("no coded units in the file", source=source)
    return units


def write_jsonl(path: str | Path, records: Iterable[dict]) -> int:
    count = 0
    with Path(path).open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    return count


def write_csv(path: str | Path, records: list[dict]) -> None:
    """Flat CSV: list values (the ranked alternatives) are written as JSON."""
    if not records:
        Path(path).write_text("", encoding="utf-8")
        return
    with Path(path).open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(records[0]))
        writer.writeheader()
        for record in records:
            writer.writerow({k: json.dumps(v) if isinstance(v, list) else v for k, v in record.items()})
