"""Documents: uploaded reports (segmented and coded here) or pre-segmented units."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, HTTPException, UploadFile
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from autocoder.errors import InputError
from autocoder.io import joined_document, read_units
from autocoder.checks import document_warnings
from autocoder.readers import SUFFIXES, read_document

from ..auth import ANYONE, STAFF, project_access
from ..coding import check_section, segment, store_document
from ..context import Context
from ..deps import get_context, get_session
from ..errors import Conflict
from ..orm import Document, Project, Unit
from ..payloads import DocumentDetail, DocumentOut, RowId, UploadOut
from ..uploads import check_printable, discard, save_upload

router = APIRouter(tags=["documents"])

UNIT_SUFFIXES = (".jsonl", ".csv")
DocName = Annotated[str | None, Form(max_length=300, description="Default: the file name without its suffix.")]


def _check_name(session: Session, project: Project, name: str) -> None:
    if not name.strip():
        raise InputError("document name is empty")
    check_printable(name, "document name")
    if session.scalar(select(Document.id).where(Document.project_id == project.id, Document.name == name)):
        raise Conflict(f"project already has a document named {name!r}")


def _upload(session: Session, context: Context, project: Project, file: UploadFile, suffixes: tuple[str, ...],
            name: str | None, parse) -> UploadOut:
    """Save the upload, parse it into a document and units, store them with suggestions; on bad input,
    nothing is kept."""
    filename, saved = save_upload(file, suffixes, context.settings.uploads_dir / str(project.id))
    try:
        name = name or Path(filename).stem
        _check_name(session, project, name)
        document, units, refs = parse(saved, name)
        row, unit_rows = store_document(session, context, project, document, filename, str(saved), units, refs)
        # Lines of an uploaded report; pre-segmented units (refs given) have no lines to name.
        warnings = document_warnings(filename, document.text, units) if refs is None else []
        session.commit()
    except Exception as exc:
        session.rollback()
        discard(saved)
        if isinstance(exc, InputError) and exc.source == str(saved):
            raise exc.with_source(filename) from None  # the name the sender knows, not the server's path
        raise
    return UploadOut(id=row.id, name=row.name, filename=row.filename, units=len(unit_rows),
                     created_at=row.created_at, model_version=project.model_version if unit_rows else None,
                     warnings=warnings)


@router.post("/projects/{project_id}/documents", status_code=201, response_model=UploadOut)
def upload_document(file: Annotated[UploadFile, File(description="A report: .txt, .md, .docx or .pdf")],
                    name: DocName = None, project: Project = Depends(project_access(*STAFF)),
                    session: Session = Depends(get_session), context: Context = Depends(get_context)):
    """Upload a report: it is segmented into units of meaning and each unit gets the active model's suggestion."""
    def parse(path: Path, doc_name: str):
        document = read_document(path, doc_id=doc_name, max_bytes=context.settings.max_upload_bytes)
        return document, segment(context, document), None

    return _upload(session, context, project, file, SUFFIXES, name, parse)


@router.post("/projects/{project_id}/documents/units", status_code=201, response_model=UploadOut)
def upload_units(file: Annotated[UploadFile, File(description="Units as JSONL or CSV: id, text, section (optional)")],
                 name: DocName = None, project: Project = Depends(project_access(*STAFF)),
                 session: Session = Depends(get_session), context: Context = Depends(get_context)):
    """Upload pre-segmented units as one document; each unit keeps its id and gets a suggestion."""
    def parse(path: Path, doc_name: str):
        records = read_units(path)
        for record in records:
            check_section(record["section"], path.name)
        document, units = joined_document(records, doc_name, str(path))
        return document, units, [str(r["id"]) for r in records]

    return _upload(session, context, project, file, UNIT_SUFFIXES, name, parse)


def _document_out(session: Session, document: Document, detail: bool = False) -> DocumentOut:
    count = session.scalar(select(func.count()).select_from(Unit).where(Unit.document_id == document.id))
    cls = DocumentDetail if detail else DocumentOut
    return cls(id=document.id, name=document.name, filename=document.filename, units=count,
               created_at=document.created_at, **({"text": document.text} if detail else {}))


@router.get("/projects/{project_id}/documents", response_model=list[DocumentOut])
def list_documents(project: Project = Depends(project_access(*ANYONE)), session: Session = Depends(get_session)):
    documents = session.scalars(select(Document).where(Document.project_id == project.id).order_by(Document.id))
    return [_document_out(session, d) for d in documents]


@router.get("/projects/{project_id}/documents/{document_id}", response_model=DocumentDetail)
def get_document(document_id: RowId, project: Project = Depends(project_access(*ANYONE)),
                 session: Session = Depends(get_session)):
    document = session.get(Document, document_id)
    if document is None or document.project_id != project.id:
        raise HTTPException(404, f"no document {document_id} in project {project.id}")
    return _document_out(session, document, detail=True)
