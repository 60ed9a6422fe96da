"""REFI-QDA exchange (QDA-XML 1.0): projects (.qdpx: project.qde plus sources/*.txt) and codebooks (.qdc).

The one reader and writer of the format, for the command line and the service. Constructs are codes that
cannot be coded, holding their categories (a codebook without constructs has its categories at the top);
units reviewed as fitting no category are coded to an extra NONE code, so an export says which units were
judged uncodable. A selection's description holds its report section and, for a model's suggestion, its
confidence and model, one `key: value` a line.
GUIDs are derived from ids, so exporting the same project twice gives the same GUIDs and an export
re-imports by GUID (or, from other software, by code name). Every document written is checked
against the standard's schemas in `schemas/`, and every document read must pass them too.
"""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

from lxml import etree

from .codebook import Codebook
from .errors import InputError
from .types import NONE_CODE, Document, Suggestion, Unit

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
SCHEMAS = Path(__file__).resolve().parent / "schemas"
_GUIDS = uuid.UUID("5f0c6a2e-4d0b-4c57-9d8e-2b1a7c3e9f10")
NONE_NAME = "NONE (no category applies)"
_NOTE = re.compile(r"^(section|confidence|model): (\S+)$", re.MULTILINE)


def guid(*parts: object) -> str:
    return str(uuid.uuid5(_GUIDS, "\x1f".join(map(str, parts))))


def code_guid(codebook: Codebook, code: str) -> str:
    return guid("code", codebook.id, code)


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "code"


def short_slug(name: str, width: int = 40) -> str:
    """An id from a code's name: its slug, cut at a word boundary to at most `width` characters."""
    words, kept = slug(name).split("_"), []
    for word in words:
        if kept and len("_".join([*kept, word])) > width:
            break
        kept.append(word)
    return "_".join(kept)


@lru_cache(maxsize=None)
def _schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / name)))


def parse_validated(data: bytes, schema: str, source: str) -> etree._Element:
    """The root of an XML document that follows the named schema; an InputError saying why not, otherwise."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise InputError(f"not well-formed XML ({exc})", source=source) from None
    checker = _schema(schema)
    if not checker.validate(root):
        error = checker.error_log.last_error
        raise InputError(f"does not follow the REFI-QDA schema ({schema}): line {error.line}: {error.message}",
                         source=source)
    return root


def _xml(root: etree._Element, schema: str) -> bytes:
    data = etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)
    parse_validated(data, schema, "export")  # never hand out a file the standard's schema refuses
    return data


def _codes(parent: etree._Element, codebook: Codebook, ns: str, with_none: bool) -> None:
    def code(into, guid_, name, codable, description):
        element = etree.SubElement(into, f"{{{ns}}}Code", guid=guid_, name=name, isCodable=codable)
        if description:
            etree.SubElement(element, f"{{{ns}}}Description").text = description
        return element

    codes = etree.SubElement(parent, f"{{{ns}}}Codes")
    for construct in codebook.constructs:
        group = code(codes, guid("construct", codebook.id, construct.id), construct.name, "false", construct.definition)
        for category in codebook.categories_of(construct.id):
            code(group, code_guid(codebook, category.id), category.name, "true", category.principle)
    for category in codebook.categories_of(None):
        code(codes, code_guid(codebook, category.id), category.name, "true", category.principle)
    if with_none:
        code(codes, code_guid(codebook, NONE_CODE), NONE_NAME, "true",
             "Units reviewed and found to fit no category of the codebook.")


def write_qdc(codebook: Codebook) -> bytes:
    root = etree.Element(f"{{{CODEBOOK_NS}}}CodeBook", nsmap={None: CODEBOOK_NS}, origin="autocoder")
    _codes(root, codebook, CODEBOOK_NS, with_none=False)
    return _xml(root, "Codebook.xsd")


def read_qdc(data: bytes, source: str, codebook_id: str) -> dict:
    """A REFI-QDA codebook (.qdc) in the library's form (see `codebook_of`)."""
    root = parse_validated(data, "Codebook.xsd", source)
    return codebook_of(root.find(f"{{{CODEBOOK_NS}}}Codes"), CODEBOOK_NS, codebook_id,
                       root.get("origin") or codebook_id, source)


def codebook_of(codes: etree._Element | None, ns: str, codebook_id: str, name: str, source: str) -> dict:
    """The codes under a <Codes> element in the library's form: top-level codes with codes inside are
    constructs, the codable codes inside them (at any depth) categories. Top-level codes on their own are
    categories too: without a construct when no code has codes inside, else in an 'ungrouped' construct."""
    q = {"q": ns}
    constructs, categories, ids, ungrouped = [], [], set(), []

    def unique(code_name: str) -> str:
        base = candidate = short_slug(code_name)
        n = 1
        while candidate in ids or candidate == NONE_CODE.lower():
            n += 1
            candidate = f"{base}_{n}"
        ids.add(candidate)
        return candidate

    def category(element, construct_id: str | None) -> dict:
        return {"id": unique(element.get("name")), "name": element.get("name"), "construct": construct_id,
                "principle": (element.findtext("q:Description", default="", namespaces=q) or "").strip()}

    for top in codes.findall("q:Code", q) if codes is not None else ():
        inner = top.findall(".//q:Code", q)
        if not inner:
            if top.get("name") != NONE_NAME:
                ungrouped.append(top)
            continue
        construct_id = unique(top.get("name"))
        constructs.append({"id": construct_id, "name": top.get("name"),
                           "definition": (top.findtext("q:Description", default="", namespaces=q) or "").strip()})
        categories += [category(c, construct_id) for c in inner if c.get("isCodable") in ("true", "1")]
    construct_id = None
    if ungrouped and constructs:
        construct_id = unique("ungrouped")
        constructs.append({"id": construct_id, "name": "Ungrouped"})
    categories += [category(c, construct_id) for c in ungrouped]
    book = {"id": codebook_id, "name": name, "constructs": constructs, "categories": categories}
    Codebook.from_dict(book, source=source)
    return book


def load_codebook(path: Path) -> Codebook:
    """The codebook of a .qdc file, or of the project in a .qdpx file; its id is the file's name as a slug."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError("codebook file not found", source=str(path)) from None
    codebook_id = slug(path.stem)
    if path.suffix.lower() == ".qdc":
        return Codebook.from_dict(read_qdc(data, str(path), codebook_id), source=str(path))
    archive, members = _open_qdpx(data, str(path), max_bytes=MAX_PROJECT_BYTES)
    root = _project_root(archive, members, str(path))
    book = codebook_of(root.find(f"{{{PROJECT_NS}}}CodeBook/{{{PROJECT_NS}}}Codes"), PROJECT_NS, codebook_id,
                       root.get("name") or codebook_id, str(path))
    return Codebook.from_dict(book, source=str(path))


def read_json_object(data: bytes, source: str) -> dict:
    try:
        value = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"not valid JSON: {exc}", source=source) from None
    if not isinstance(value, dict):
        raise InputError("expected a JSON object", source=source)
    return value


@dataclass(frozen=True)
class CodedUnit:
    """One coded text selection, as exported and as imported."""

    ref: str | None
    doc: str
    start: int | None
    end: int | None
    text: str
    section: str | None
    code: str
    coder: str | None
    confidence: float | None = None
    """For a model's suggestion: the probability of its code."""
    model: str | None = None


@dataclass(frozen=True)
class QdaProject:
    """What a .qdpx holds for coding: each text source's name and text, and the coded selections."""

    documents: dict[str, str]
    units: list[CodedUnit]


MAX_PROJECT_BYTES = 500 * 1024 * 1024
"""What a .qdpx read from disk may unpack to (the service sets its own limit from its upload limit)."""


def _confidence(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:  # a hand-edited description: the confidence is only informative
        return None


def _note(unit: CodedUnit) -> str:
    lines = [f"section: {unit.section}" if unit.section else "",
             f"confidence: {unit.confidence:.4f}" if unit.confidence is not None else "",
             f"model: {unit.model}" if unit.model else ""]
    return "\n".join(line for line in lines if line)


def write_qdpx(name: str, codebook: Codebook, documents: Iterable[tuple[str, str, list[CodedUnit]]]) -> bytes:
    """A .qdpx of documents (name, text, coded units): the codebook, each coder as a user, each
    document as a text source with its units as coded selections at their character positions."""
    documents = list(documents)
    now = datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    q = f"{{{PROJECT_NS}}}"
    root = etree.Element(f"{q}Project", nsmap={None: PROJECT_NS}, name=name, origin="autocoder",
                         creationDateTime=now)
    coders = sorted({u.coder for _, _, units in documents for u in units if u.coder})
    if coders:
        users = etree.SubElement(root, f"{q}Users")
        for coder in coders:
            etree.SubElement(users, f"{q}User", guid=guid("user", coder), name=coder)
    _codes(etree.SubElement(root, f"{q}CodeBook"), codebook, PROJECT_NS, with_none=True)
    files = {}
    if documents:
        sources = etree.SubElement(root, f"{q}Sources")
        for doc_name, text, units in documents:
            source_guid = guid("source", name, doc_name)
            files[f"sources/{source_guid}.txt"] = text
            source = etree.SubElement(sources, f"{q}TextSource", guid=source_guid, name=doc_name,
                                      plainTextPath=f"internal://{source_guid}.txt")
            for unit in units:
                who = {"creatingUser": guid("user", unit.coder)} if unit.coder else {}
                selection = etree.SubElement(source, f"{q}PlainTextSelection",
                                             guid=guid("selection", name, doc_name, unit.start, unit.end),
                                             name=unit.ref or f"{doc_name}:{unit.start}-{unit.end}",
                                             startPosition=str(unit.start), endPosition=str(unit.end), **who)
                if _note(unit):
                    etree.SubElement(selection, f"{q}Description").text = _note(unit)
                coding = etree.SubElement(selection, f"{q}Coding", guid=guid("coding", selection.get("guid")), **who)
                etree.SubElement(coding, f"{q}CodeRef", targetGUID=code_guid(codebook, unit.code))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", _xml(root, "Project.xsd"))
        for path, text in files.items():
            archive.writestr(path, text.encode("utf-8"))
    return out.getvalue()


def _open_qdpx(data: bytes, source: str, max_bytes: int) -> tuple[zipfile.ZipFile, dict]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = {info.filename.lower(): info for info in archive.infolist()}
    except zipfile.BadZipFile:
        raise InputError("not a .qdpx file (not a zip archive)", source=source) from None
    if sum(info.file_size for info in members.values()) > max_bytes:
        raise InputError(f"unpacks to more than {max_bytes:,} bytes", source=source)
    if "project.qde" not in members:
        raise InputError("no project.qde in the archive", source=source)
    return archive, members


def _project_root(archive: zipfile.ZipFile, members: dict, source: str) -> etree._Element:
    return parse_validated(archive.read(members["project.qde"]), "Project.xsd", f"{source}:project.qde")


def read_qdpx(data: bytes, codebook: Codebook, source: str, max_bytes: int) -> list[CodedUnit]:
    """The coded text selections of a .qdpx, with codes mapped to `codebook` by GUID or by name."""
    return read_project(data, codebook, source, max_bytes).units


def read_project_file(path: str | Path, codebook: Codebook) -> QdaProject:
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", source=str(path)) from None
    return read_project(data, codebook, str(path), MAX_PROJECT_BYTES)


def read_project(data: bytes, codebook: Codebook, source: str, max_bytes: int) -> QdaProject:
    """The text sources and coded text selections of a .qdpx, with codes mapped to `codebook` by GUID or by name."""
    archive, members = _open_qdpx(data, source, max_bytes)
    root = _project_root(archive, members, source)
    ns = {"q": PROJECT_NS}
    users = {u.get("guid").strip("{}").lower(): u.get("name") for u in root.findall("q:Users/q:User", ns)}
    names = {c.get("guid").strip("{}").lower(): c.get("name") for c in root.iter(f"{{{PROJECT_NS}}}Code")}
    by_guid = {code_guid(codebook, c): c for c in [*codebook.category_ids, NONE_CODE]}
    by_name = {**{c.name.lower(): c.id for c in codebook.categories}, **{c.lower(): c for c in codebook.category_ids},
               NONE_NAME.lower(): NONE_CODE, NONE_CODE.lower(): NONE_CODE}

    def text_of(element) -> str:
        inline = element.find("q:PlainTextContent", ns)
        if inline is not None:
            return inline.text or ""
        path = element.get("plainTextPath") or ""
        if not path.startswith("internal://"):
            raise InputError(f"text source {element.get('name')!r}: only sources inside the archive "
                             f"(internal://) can be read, not {path!r}", source=source)
        member = members.get("sources/" + path.removeprefix("internal://").lower())
        if member is None:
            raise InputError(f"text source {element.get('name')!r}: {path} is not in the archive", source=source)
        try:
            return archive.read(member).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError(f"{member.filename} is not UTF-8 text", source=source) from None

    units, unknown, documents = [], set(), {}
    for element in root.findall("q:Sources/q:TextSource", ns):
        doc, text = element.get("name") or element.get("guid"), text_of(element)
        documents[doc] = text
        for selection in element.findall("q:PlainTextSelection", ns):
            start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
            if not 0 <= start < end <= len(text):
                raise InputError(f"selection {selection.get('guid')} in {doc!r} runs outside its text "
                                 f"({start}-{end} of {len(text)} characters)", source=source)
            note = dict(_NOTE.findall(selection.findtext("q:Description", default="", namespaces=ns) or ""))
            for coding in selection.findall("q:Coding", ns):
                target = coding.find("q:CodeRef", ns).get("targetGUID").strip("{}").lower()
                code = by_guid.get(target) or by_name.get((names.get(target) or "").lower())
                if code is None:
                    unknown.add(names.get(target) or target)
                    continue
                coder = users.get((coding.get("creatingUser") or selection.get("creatingUser") or "").strip("{}").lower())
                units.append(CodedUnit(selection.get("name"), doc, start, end, text[start:end], note.get("section"),
                                       code, coder, _confidence(note.get("confidence")), note.get("model")))
    if unknown:
        raise InputError(f"codes not in the project's codebook {codebook.id!r}: {', '.join(sorted(unknown))}",
                         source=source)
    if not units:
        raise InputError("no coded text selections in the project", source=source)
    return QdaProject(documents, units)


def write_suggestions(name: str, codebook: Codebook,
                      coded: Iterable[tuple[Document, list[Unit], list[Suggestion]]]) -> bytes:
    """A .qdpx of a model's suggestions: each document with one coding per unit given a category, by the
    model as its user, its confidence in the selection's description."""
    return write_qdpx(name, codebook, (
        (document.id, document.text,
         [CodedUnit(unit.id, document.id, unit.start, unit.end, unit.text, unit.section, suggestion.category,
                    suggestion.model, suggestion.confidence, suggestion.model)
          for unit, suggestion in zip(units, suggestions) if suggestion.category is not None])
        for document, units, suggestions in coded))
