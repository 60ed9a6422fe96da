"""REFI-QDA exchange (QDA-XML 1.0): projects (.qdpx: project.qde plus sources/*.txt) and codebooks (.qdc).

Constructs are codes that cannot be coded, holding their categories; units reviewed as fitting no
category are coded to an extra NONE code, so an export says which units were judged uncodable.
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

from autocoder.codebook import Codebook
from autocoder.errors import InputError
from autocoder.types import NONE_CODE

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
SCHEMAS = Path(__file__).resolve().parent / "schemas"
_GUIDS = uuid.UUID("5f0c6a2e-4d0b-4c57-9d8e-2b1a7c3e9f10")
NONE_NAME = "NONE (no category applies)"
_SECTION = re.compile(r"^section: (\w+)$")


def guid(*parts: object) -> str:
    return str(uuid.uuid5(_GUIDS, "\x1f".join(map(str, parts))))


def code_guid(codebook: Codebook, code: str) -> str:
    return guid("code", codebook.id, code)


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "code"


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
    if with_none:
        code(codes, code_guid(codebook, NONE_CODE), NONE_NAME, "true",
             "Units reviewed and found to fit no category of the codebook.")


def write_qdc(codebook: Codebook) -> bytes:
    root = etree.Element(f"{{{CODEBOOK_NS}}}CodeBook", nsmap={None: CODEBOOK_NS}, origin="autocoder")
    _codes(root, codebook, CODEBOOK_NS, with_none=False)
    return _xml(root, "Codebook.xsd")


def read_qdc(data: bytes, source: str, codebook_id: str) -> dict:
    """A codebook in the library's form: top-level codes with codes inside are constructs, the codable
    codes inside them (at any depth) categories; top-level codes on their own go to an 'ungrouped' construct."""
    root = parse_validated(data, "Codebook.xsd", source)
    ns = {"q": CODEBOOK_NS}
    constructs, categories, ids = [], [], set()

    def unique(name: str) -> str:
        base = candidate = slug(name)
        n = 1
        while candidate in ids or candidate == NONE_CODE.lower():
            n += 1
            candidate = f"{base}_{n}"
        ids.add(candidate)
        return candidate

    def description(element) -> str:
        return (element.findtext("q:Description", default="", namespaces=ns) or "").strip()

    ungrouped = []
    for top in root.findall("q:Codes/q:Code", ns):
        inner = top.findall(".//q:Code", ns)
        if not inner:
            if top.get("name") != NONE_NAME:
                ungrouped.append(top)
            continue
        construct_id = unique(top.get("name"))
        constructs.append({"id": construct_id, "name": top.get("name"), "definition": description(top)})
        categories += [{"id": unique(c.get("name")), "name": c.get("name"), "construct": construct_id,
                        "principle": description(c)} for c in inner if c.get("isCodable") in ("true", "1")]
    if ungrouped:
        construct_id = unique("ungrouped")
        constructs.append({"id": construct_id, "name": "Ungrouped"})
        categories += [{"id": unique(c.get("name")), "name": c.get("name"), "construct": construct_id,
                        "principle": description(c)} for c in ungrouped]
    book = {"id": codebook_id, "name": root.get("origin") or codebook_id, "constructs": constructs,
            "categories": categories}
    Codebook.from_dict(book, source=source)
    return book


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
                if unit.section:
                    etree.SubElement(selection, f"{q}Description").text = f"section: {unit.section}"
                coding = etree.SubElement(selection, f"{q}Coding", guid=guid("coding", selection.get("guid")), **who)
                etree.SubElement(coding, f"{q}CodeRef", targetGUID=code_guid(codebook, unit.code))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", _xml(root, "Project.xsd"))
        for path, text in files.items():
            archive.writestr(path, text.encode("utf-8"))
    return out.getvalue()


def read_qdpx(data: bytes, codebook: Codebook, source: str, max_bytes: int) -> list[CodedUnit]:
    """The coded text selections of a .qdpx, with codes mapped to `codebook` by GUID or by name."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = {info.filename.lower(): info for info in archive.infolist()}
    except zipfile.BadZipFile:
        raise InputError("not a .qdpx file (not a zip archive)", source=source) from None
    if sum(info.file_size for info in members.values()) > max_bytes:
        raise InputError(f"unpacks to more than {max_bytes:,} bytes", source=source)
    if "project.qde" not in members:
        raise InputError("no project.qde in the archive", source=source)
    root = parse_validated(archive.read(members["project.qde"]), "Project.xsd", f"{source}:project.qde")
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

    units, unknown = [], set()
    for element in root.findall("q:Sources/q:TextSource", ns):
        doc, text = element.get("name") or element.get("guid"), text_of(element)
        for selection in element.findall("q:PlainTextSelection", ns):
            start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
            if not 0 <= start < end <= len(text):
                raise InputError(f"selection {selection.get('guid')} in {doc!r} runs outside its text "
                                 f"({start}-{end} of {len(text)} characters)", source=source)
            section = _SECTION.match(selection.findtext("q:Description", default="", namespaces=ns) or "")
            for coding in selection.findall("q:Coding", ns):
                target = coding.find("q:CodeRef", ns).get("targetGUID").strip("{}").lower()
                code = by_guid.get(target) or by_name.get((names.get(target) or "").lower())
                if code is None:
                    unknown.add(names.get(target) or target)
                    continue
                coder = users.get((coding.get("creatingUser") or selection.get("creatingUser") or "").strip("{}").lower())
                units.append(CodedUnit(selection.get("name"), doc, start, end, text[start:end],
                                       section.group(1) if section else None, code, coder))
    if unknown:
        raise InputError(f"codes not in the project's codebook {codebook.id!r}: {', '.join(sorted(unknown))}",
                         source=source)
    if not units:
        raise InputError("no coded text selections in the project", source=source)
    return units
