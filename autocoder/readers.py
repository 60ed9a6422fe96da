"""Read report files (.txt, .md, .docx, .pdf) into `Document`s; every failure is an `InputError`."""

from __future__ import annotations

import codecs
import zipfile
from pathlib import Path

from .errors import InputError
from .types import Document

SUFFIXES = (".txt", ".md", ".docx", ".pdf")
MAX_BYTES = 50 * 1024 * 1024
"""Larger files are refused: no report comes near it, and parsing would hold it all in memory."""


def decode_text(raw: bytes, source: str) -> str:
    """UTF-8 (with or without BOM) or UTF-16 with a BOM; anything else is refused, not guessed."""
    if b"\x00" in raw and not raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputError("binary file, not text", source=source)
    try:
        if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return raw.decode("utf-16")
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); save the file as UTF-8",
            source=source, line=line,
        ) from None


def _read_docx(path: Path) -> str:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise InputError(f"not a readable .docx file ({exc.__class__.__name__})", source=str(path)) from None
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            lines.append(block.text)
        elif isinstance(block, Table):
            lines.extend("\t".join(cell.text for cell in row.cells) for row in block.rows)
    return "\n".join(lines)


def _read_pdf(path: Path) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            raise InputError("encrypted PDF; remove the password and try again", source=str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
    except InputError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise InputError(f"not a readable PDF ({exc.__class__.__name__}: {exc})", source=str(path)) from None
    return "\n\n".join(pages)


def read_document(path: str | Path, doc_id: str | None = None, max_bytes: int = MAX_BYTES) -> Document:
    path = Path(path)
    source = str(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(f"unsupported file type {suffix or '(none)'!r}; expected one of {', '.join(SUFFIXES)}",
                         source=source)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError("file not found", source=source) from None
    if size > max_bytes:
        raise InputError(f"file is {size:,} bytes, over the limit of {max_bytes:,}", source=source)
    if suffix == ".docx":
        text = _read_docx(path)
    elif suffix == ".pdf":
        text = _read_pdf(path)
    else:
        text = decode_text(path.read_bytes(), source)
    if not text.strip():
        raise InputError("document has no text", source=source)
    return Document(id=doc_id or path.stem, text=text, path=source)
