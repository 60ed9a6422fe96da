"""Export a project's codes (CSV, JSONL, REFI-QDA .qdpx) and import human-coded data as training data."""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Query, UploadFile
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from autocoder import refi
from autocoder.codebook import Codebook
from autocoder.io import read_coded_units, write_csv, write_jsonl

from ..audit import record
from ..auth import STAFF, current_user, project_access
from ..coding import check_section, project_codebook
from ..context import Context
from ..decisions import latest_decisions
from ..deps import get_context, get_session
from ..orm import Document, Project, TrainingExample, Unit, User
from ..payloads import ImportOut, TrainingPage
from ..uploads import read_upload

router = APIRouter(tags=["export and import"])

MEDIA = {"csv": "text/csv", "jsonl": "application/x-ndjson", "qdpx": "application/zip"}


def _reviewed(session: Session, project: Project) -> list[tuple[Document, list[Unit]]]:
    documents = session.scalars(select(Document).where(Document.project_id == project.id).order_by(Document.id)).all()
    units = session.scalars(select(Unit).where(Unit.project_id == project.id, Unit.status != "pending")
                            .order_by(Unit.document_id, Unit.position)).unique().all()
    return [(d, [u for u in units if u.document_id == d.id]) for d in documents]


@router.get("/projects/{project_id}/export", response_class=Response,
            responses={200: {"content": {media: {} for media in MEDIA.values()}}})
def export(format: Literal["csv", "jsonl", "qdpx"] = Query(..., description="csv, jsonl, or qdpx (REFI-QDA)"),
           project: Project = Depends(project_access(*STAFF)), session: Session = Depends(get_session)):
    """The reviewed units with their current codes and who gave them; a .qdpx also has the codebook and
    every document's full text, for NVivo, ATLAS.ti and MAXQDA."""
    codebook = project_codebook(project)
    documents = _reviewed(session, project)
    decisions = latest_decisions(session, [u.id for _, units in documents for u in units])
    filename = f"{refi.slug(project.name)}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if format == "qdpx":
        data = refi.write_qdpx(project.name, codebook, (
            (d.name, d.text, [refi.CodedUnit(u.ref, d.name, u.start, u.end, u.text, u.section, u.code,
                                             decisions[u.id].reviewer.name) for u in units])
            for d, units in documents))
        return Response(data, media_type=MEDIA[format], headers=headers)
    records = [_record(d, u, decisions[u.id], codebook) for d, units in documents for u in units]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / filename
        if format == "csv":
            write_csv(path, records)
        else:
            write_jsonl(path, records)
        return Response(path.read_bytes(), media_type=MEDIA[format], headers=headers)


def _record(document: Document, unit: Unit, decision, codebook: Codebook) -> dict:
    suggestion = unit.suggestion
    return {
        "id": unit.ref, "doc": document.name, "start": unit.start, "end": unit.end, "text": unit.text,
        "section": unit.section, "category": unit.code, "construct": codebook.construct_of(unit.code),
        "status": unit.status, "coder": decision.reviewer.name,
        "decided_at": decision.created_at.isoformat() + "Z", "comment": decision.comment,
        "suggested": suggestion.category if suggestion else None,
        "confidence": round(suggestion.confidence, 4) if suggestion else None,
        "model_version": suggestion.model_version if suggestion else None,
    }


def _coded_records(path: Path, codebook: Codebook, source: str) -> list[refi.CodedUnit]:
    """Coded units from a CSV or JSONL file, as the CSV and JSONL exports write them."""
    return [refi.CodedUnit(u["id"], u["doc"], u["start"], u["end"], u["text"], u["section"], u["category"], u["coder"])
            for u in read_coded_units(path, codebook, source=source)]


@router.post("/projects/{project_id}/training-data", status_code=201, response_model=ImportOut)
def import_training_data(file: Annotated[UploadFile, File(description="Coded units: .csv, .jsonl or .qdpx")],
                         project: Project = Depends(project_access(*STAFF)), session: Session = Depends(get_session),
                         context: Context = Depends(get_context), user: User = Depends(current_user)):
    """Human-coded units for retraining: a CSV or JSONL with text and category (as the exports write them)
    or a REFI-QDA project whose codes match the project's codebook by GUID or name."""
    codebook = project_codebook(project)
    filename, data = read_upload(file, (".csv", ".jsonl", ".qdpx"))
    if filename.lower().endswith(".qdpx"):
        units = refi.read_qdpx(data, codebook, filename, max_bytes=10 * context.settings.max_upload_bytes)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"upload{Path(filename).suffix.lower()}"  # the client's name may not fit a file system
            path.write_bytes(data)
            units = _coded_records(path, codebook, filename)
    for unit in units:
        check_section(unit.section, filename)
    session.add_all(TrainingExample(project_id=project.id, ref=u.ref, doc=u.doc, start=u.start, end=u.end,
                                    text=u.text, section=u.section, code=u.code, coder=u.coder, source=filename)
                    for u in units)
    record(session, user, "import.training-data", f"project {project.id} ({project.name})", file=filename,
           units=len(units))
    session.commit()
    return ImportOut(imported=len(units), codes=dict(Counter(u.code for u in units)))


@router.get("/projects/{project_id}/training-data", response_model=TrainingPage)
def list_training_data(project: Project = Depends(project_access(*STAFF)), session: Session = Depends(get_session),
                       limit: int = Query(100, ge=1, le=10000), offset: int = Query(0, ge=0)):
    query = select(TrainingExample).where(TrainingExample.project_id == project.id)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    return TrainingPage(total=total, items=session.scalars(query.order_by(TrainingExample.id)
                                                           .limit(limit).offset(offset)).all())
