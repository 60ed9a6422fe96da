"""Uploaded files: checked by name, kept under the data directory or read into memory."""

from __future__ import annotations

import re
import shutil
import unicodedata
import uuid
from pathlib import Path

from fastapi import UploadFile

from autocoder.errors import InputError

STORED_STEM_CHARS = 100
"""A saved upload's name keeps this much of the original's: file systems allow 255 bytes."""


def check_printable(value: str, what: str) -> None:
    """Refuse control characters (NUL above all, which PostgreSQL cannot store) in a name."""
    if any(unicodedata.category(c) == "Cc" for c in value):
        raise InputError(f"{what} {value!r} contains control characters")


def upload_name(file: UploadFile, suffixes: tuple[str, ...]) -> str:
    """The upload's own file name: the last part of what the client sent, with either separator (browsers on
    Windows have sent whole paths such as C:\\Users\\me\\report.docx)."""
    name = re.split(r"[\\/]", file.filename or "")[-1]
    if not name:
        raise InputError("the upload has no file name")
    check_printable(name, "the file name")
    suffix = Path(name).suffix.lower()
    if suffix not in suffixes:
        raise InputError(f"unsupported file type {suffix or '(none)'!r}; expected one of {', '.join(suffixes)}",
                         source=name)
    return name


def read_upload(file: UploadFile, suffixes: tuple[str, ...]) -> tuple[str, bytes]:
    name = upload_name(file, suffixes)
    return name, file.file.read()


def save_upload(file: UploadFile, suffixes: tuple[str, ...], directory: Path) -> tuple[str, Path]:
    """The upload's own name, and where it was copied: a new folder of its own under `directory`, under a name
    made of the original's letters, digits, dots and dashes only."""
    name = upload_name(file, suffixes)
    path = Path(name)
    stem = re.sub(r"[^A-Za-z0-9_.\-]", "_", path.stem)[:STORED_STEM_CHARS]
    target = directory / uuid.uuid4().hex / (stem + path.suffix.lower())
    target.parent.mkdir(parents=True)
    with target.open("wb") as out:
        shutil.copyfileobj(file.file, out)
    return name, target


def discard(path: Path) -> None:
    """Remove a saved upload that was refused, with the folder made for it."""
    shutil.rmtree(path.parent, ignore_errors=True)
