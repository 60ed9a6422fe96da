"""Uploaded files: checked by name, kept under the data directory or read into memory."""

from __future__ import annotations

import re
import shutil
import uuid
from pathlib import Path

from fastapi import UploadFile

from autocoder.errors import InputError


def upload_name(file: UploadFile, suffixes: tuple[str, ...]) -> str:
    name = Path(file.filename or "").name
    if not name:
        raise InputError("the upload has no file name")
    suffix = Path(name).suffix.lower()
    if suffix not in suffixes:
        raise InputError(f"unsupported file type {suffix or '(none)'!r}; expected one of {', '.join(suffixes)}",
                         source=name)
    return name


def read_upload(file: UploadFile, suffixes: tuple[str, ...]) -> tuple[str, bytes]:
    name = upload_name(file, suffixes)
    return name, file.file.read()


def save_upload(file: UploadFile, suffixes: tuple[str, ...], directory: Path) -> Path:
    """The upload copied to a new folder of its own under `directory`, under a safe version of its name."""
    name = upload_name(file, suffixes)
    target = directory / uuid.uuid4().hex / re.sub(r"[^\w.\-]", "_", name)
    target.parent.mkdir(parents=True)
    with target.open("wb") as out:
        shutil.copyfileobj(file.file, out)
    return target


def discard(path: Path) -> None:
    """Remove a saved upload that was refused, with the folder made for it."""
    shutil.rmtree(path.parent, ignore_errors=True)
