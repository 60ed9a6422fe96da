"""Learning: retrain from a project's reviewed units and imported training data, switch the active model,
and refresh the suggestions of units still pending."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException
from sqlalchemy import select
from sqlalchemy.orm import Session

from autocoder.errors import InputError

from ..audit import record
from ..auth import STAFF, current_user, project_access, require
from ..coding import project_codebook, project_out, suggest
from ..context import Context
from ..deps import get_context, get_session
from ..jobs import enqueue
from ..orm import Job, ModelVersion, Project, Unit, User
from ..payloads import ActivateIn, JobOut, ModelOut, ProjectModelOut, ProjectOut, ResuggestOut, RowId

router = APIRouter(tags=["models"])


@router.get("/models", response_model=list[ModelOut])
def list_models(session: Session = Depends(get_session), _user: User = Depends(require(*STAFF))):
    return session.scalars(select(ModelVersion).order_by(ModelVersion.created_at)).all()


@router.post("/projects/{project_id}/models", status_code=202, response_model=JobOut)
def retrain(project: Project = Depends(project_access(*STAFF)), user: User = Depends(current_user),
            session: Session = Depends(get_session)):
    """Queue training a new model version from the project's reviewed units and imported training data (with
    the codebook's own text, as the library trains), for a worker process: reviewers' requests never wait on it.
    Poll the job; the new version is not made active until you switch to it."""
    return enqueue(session, project.id, "train", user.id)


@router.get("/projects/{project_id}/jobs/{job_id}", response_model=JobOut)
def get_job(job_id: RowId, project: Project = Depends(project_access(*STAFF)), session: Session = Depends(get_session)):
    job = session.get(Job, job_id)
    if job is None or job.project_id != project.id:
        raise HTTPException(404, f"no job {job_id} in project {project.id}")
    return job


@router.get("/projects/{project_id}/models", response_model=list[ProjectModelOut])
def project_models(project: Project = Depends(project_access(*STAFF)), session: Session = Depends(get_session),
                   context: Context = Depends(get_context)):
    """The versions trained for this project, the model it started with and the active one, newest first, each
    with its kappa on the reviewed units held out of its training (and the kappa of the model before it)."""
    wanted = {context.initial_model, project.model_version}
    versions = session.scalars(select(ModelVersion).where(
        (ModelVersion.project_id == project.id) | ModelVersion.version.in_([v for v in wanted if v]))
        .order_by(ModelVersion.created_at.desc())).all()
    codebook_id = project_codebook(project).id
    return [ProjectModelOut(**ModelOut.model_validate(v).model_dump(), active=v.version == project.model_version,
                            held_out=_saved_figures(v.path))
            for v in versions if v.codebook_id == codebook_id]


def _saved_figures(path: str) -> dict | None:
    try:
        return json.loads((Path(path) / "model.json").read_text(encoding="utf-8")).get("held_out")
    except (OSError, json.JSONDecodeError):  # a model directory moved or removed since: no figures to show
        return None


@router.put("/projects/{project_id}/model", response_model=ProjectOut)
def activate(body: ActivateIn, project: Project = Depends(project_access(*STAFF)),
             session: Session = Depends(get_session), user: User = Depends(current_user)):
    """Make a model version the project's active one: it makes the suggestions for new units."""
    version = session.get(ModelVersion, body.version)
    if version is None:
        raise HTTPException(404, f"no model version {body.version!r}")
    codebook = project_codebook(project)
    if version.codebook_id != codebook.id:
        raise InputError(f"model {version.version!r} codes with codebook {version.codebook_id!r}, "
                         f"not the project's {codebook.id!r}")
    record(session, user, "model.activate", f"project {project.id} ({project.name})", version=version.version,
           previous=project.model_version)
    project.model_version = version.version
    session.commit()
    return project_out(project)


@router.post("/projects/{project_id}/suggestions", response_model=ResuggestOut)
def resuggest(project: Project = Depends(project_access(*STAFF)), session: Session = Depends(get_session),
              context: Context = Depends(get_context)):
    """New suggestions from the active model for every pending unit; decided units keep the suggestion
    they were decided on, and every unit keeps its earlier suggestions."""
    units = session.scalars(select(Unit).where(Unit.project_id == project.id, Unit.status == "pending")
                            .order_by(Unit.id)).unique().all()
    version = suggest(session, context, project, list(units))
    session.commit()
    return ResuggestOut(units=len(units) if version else 0, model_version=version)
