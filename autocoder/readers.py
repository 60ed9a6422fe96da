"""Read report files (.txt, .md, .docx, .pdf) into `Document`s; every failure is an `InputError`."""

from __future__ import annotations

import codecs
import re
import zipfile
from pathlib import Path

from .errors import InputError
from .types import Document

SUFFIXES = (".txt", ".md", ".docx", ".pdf")
MAX_BYTES = 50 * 1024 * 1024
"""Larger files are refused: no report comes near it, and parsing would hold it all in memory."""
MAX_UNPACKED_BYTES = 4 * MAX_BYTES
"""A .docx is a zip archive: what its parts unpack to is checked against this before any is decompressed, since a
zip bomb of a few kilobytes unpacks to gigabytes."""
_SURROGATE = re.compile("[\ud800-\udfff]")


def check_text(text: str, source: str, line: int | None = None) -> None:
    """Refuse text that cannot be stored as it is: NUL characters (PostgreSQL's text type has no room for them)
    and unpaired surrogates (halves of a UTF-16 pair, which no UTF-8 can encode)."""
    for pattern, what in (("\x00", "a NUL character (U+0000)"), (_SURROGATE, "an unpaired surrogate (U+D800-U+DFFF)")):
        found = re.search(pattern, text)
        if found:
            at = line if line is not None else text.count("\n", 0, found.start()) + 1
            raise InputError(f"text contains {what} at character {found.start()}", source=source, line=at)


def decode_text(raw: bytes, source: str) -> str:
    """UTF-8 (with or without BOM) or UTF-16 with a BOM; anything else is refused, not guessed: a wrong guess
    would change the text, and every unit's offsets with it."""
    utf16 = raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if b"\x00" in raw and not utf16:
        raise InputError("binary file, not text (UTF-16 text needs a byte-order mark)", source=source)
    encoding = "UTF-16" if utf16 else "UTF-8"
    try:
        text = raw.decode("utf-16" if utf16 else "utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        hint = ""
        if not utf16 and _decodes(raw, "cp1252"):
            hint = "; it looks like Windows-1252 or Latin-1"
        raise InputError(f"not {encoding} text (byte 0x{raw[exc.start]:02x} at offset {exc.start}{hint}); "
                         "save the file as UTF-8", source=source, line=line) from None
    return text


def _decodes(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _read_docx(path: Path) -> str:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError) as exc:
        raise InputError(f"not a readable .docx file ({exc.__class__.__name__})", source=str(path)) from None
    # zipfile stops decompressing a member at its declared size, so the declared sizes bound the real ones.
    if unpacked > MAX_UNPACKED_BYTES:
        raise InputError(f"the .docx would unpack to {unpacked:,} bytes, over the limit of {MAX_UNPACKED_BYTES:,} "
                         "(a zip bomb?); refused without unpacking it", source=str(path))
    lines: list[str] = []
    try:
        for block in docx.Document(str(path)).iter_inner_content():
            if isinstance(block, Paragraph):
                lines.append(block.text)
            elif isinstance(block, Table):
                lines.extend("\t".join(cell.text for cell in row.cells) for row in block.rows)
    except Exception as exc:  # python-docx and lxml raise many kinds of error on a damaged file
        raise InputError(f"not a readable .docx file ({exc.__class__.__name__})", source=str(path)) from None
    return "\n".join(lines)


def _read_pdf(path: Path) -> str:
    from pypdf import PasswordType, PdfReader
    from pypdf.errors import DependencyError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            # Many PDFs are encrypted only to restrict printing or copying, and open without a password.
            try:
                opened = reader.decrypt("") != PasswordType.NOT_DECRYPTED
            except DependencyError:  # AES, without the optional `cryptography` package
                opened = False
            if not opened:
                raise InputError("encrypted PDF; save a copy without a password and try again", source=str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
    except InputError:
        raise
    except Exception as exc:  # pypdf raises many kinds of error on a damaged file
        raise InputError(f"not a readable PDF ({exc.__class__.__name__}: {exc})", source=str(path)) from None
    return "\n\n".join(pages)


def _has_visible_text(text: str) -> bool:
    """Anything but whitespace and invisible characters (zero-width spaces and joiners, BOMs, controls)."""
    return any(c.isprintable() and not c.isspace() for c in text)


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
    if not _has_visible_text(text):
        hint = " (a scanned PDF has only images of its pages: run OCR on it first)" if suffix == ".pdf" else ""
        raise InputError(f"document has no text{hint}", source=source)
    check_text(text, source)
    return Document(id=doc_id or path.stem, text=text, path=source)
