"""Storing documents, units and the model's suggestions: the library segments and suggests, this records it."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from autocoder.codebook import DEFAULT_CODEBOOK, Codebook
from autocoder.errors import InputError
from autocoder.types import Document as LibDocument
from autocoder.types import Section
from autocoder.types import Unit as LibUnit

from .context import Context
from .errors import Conflict
from .orm import Document, ModelVersion, Project, Suggestion, Unit
from .payloads import ProjectOut


def default_codebook() -> dict:
    """The paper's codebook, as stored with the demo project."""
    return json.loads(DEFAULT_CODEBOOK.read_text(encoding="utf-8"))


def create_project(session: Session, context: Context, name: str, codebook: dict) -> Project:
    try:
        book = Codebook.from_dict(codebook, source="codebook")
    except (ValueError, AttributeError) as exc:  # shapes the library's own checks do not catch
        raise InputError(f"not a codebook: {exc}", source="codebook") from None
    if session.scalar(select(Project).where(Project.name == name)) is not None:
        raise Conflict(f"a project named {name!r} already exists")
    initial = session.get(ModelVersion, context.initial_model)
    project = Project(name=name, codebook=codebook,
                      model_version=initial.version if initial.codebook_id == book.id else None)
    session.add(project)
    session.flush()
    return project


def project_codebook(project: Project) -> Codebook:
    return Codebook.from_dict(project.codebook, source=f"project {project.id}")


def project_out(project: Project) -> ProjectOut:
    book = project_codebook(project)
    return ProjectOut(id=project.id, name=project.name, codebook_id=book.id, categories=len(book.categories),
                      model_version=project.model_version, created_at=project.created_at)


def segment(context: Context, document: LibDocument) -> list[LibUnit]:
    with context.models.compute:
        return context.models.segmenting.segment(document)


def store_document(session: Session, context: Context, project: Project, document: LibDocument, filename: str,
                   stored_path: str, units: list[LibUnit], refs: list[str] | None = None) -> tuple[Document, list[Unit]]:
    """The document, its units (refs default to the library's `doc:start-end` ids) and their suggestions."""
    row = Document(project_id=project.id, name=document.id, filename=filename, stored_path=stored_path,
                   text=document.text)
    session.add(row)
    session.flush()
    units_rows = [
        Unit(project_id=project.id, document_id=row.id, position=i, ref=refs[i] if refs else u.id,
             start=u.start, end=u.end, text=u.text, section=u.section, version=0, status="pending")
        for i, u in enumerate(units)
    ]
    session.add_all(units_rows)
    session.flush()
    suggest(session, context, project, units_rows)
    return row, units_rows


UPLOAD_FOLDER = re.compile(r"[0-9a-f]{32}")
"""The folder `save_upload` makes for each upload (a uuid4 in hex)."""


def remove_orphan_uploads(session: Session, uploads_dir: Path) -> list[Path]:
    """Remove saved uploads that no document refers to: a stop between saving the file and committing the
    document (whose rows are stored in that one transaction) leaves the file alone. Run at start, before
    requests, by the one service process that writes to this data directory; the folders removed."""
    kept = {Path(path).parent.name for path in session.scalars(select(Document.stored_path))}
    orphans = [folder for folder in sorted(uploads_dir.glob("*/*"))
               if folder.is_dir() and UPLOAD_FOLDER.fullmatch(folder.name) and folder.name not in kept]
    for folder in orphans:
        shutil.rmtree(folder)
    return orphans


def library_unit(unit: Unit) -> LibUnit:
    """A stored unit as the library's: its document is the stored document's id."""
    return LibUnit(str(unit.document_id), unit.start, unit.end, unit.text, unit.section)


def suggest(session: Session, context: Context, project: Project, units: list[Unit]) -> str | None:
    """New suggestions for `units` from the project's active model; the version that made them, if any."""
    if project.model_version is None or not units:
        return None
    version = session.get(ModelVersion, project.model_version)
    pipeline = context.models.pipeline(version.version, version.path, project_codebook(project))
    with context.models.compute:
        suggestions = pipeline.suggest([library_unit(u) for u in units])
    rows = [Suggestion(unit_id=u.id, category=s.category, construct=s.construct, confidence=s.confidence,
                       ranked=[[c, round(p, 4)] for c, p in s.ranked], model_version=version.version)
            for u, s in zip(units, suggestions)]
    session.add_all(rows)
    session.flush()
    for unit, suggestion in zip(units, rows):
        unit.suggestion_id = suggestion.id
        unit.suggestion = suggestion
    return version.version


SECTIONS = tuple(s.value for s in Section)


def check_section(section: str | None, source: str, line: int | None = None) -> None:
    if section is not None and section not in SECTIONS:
        raise InputError(f"unknown section {section!r}; expected one of {', '.join(SECTIONS)}", source=source,
                         line=line)
