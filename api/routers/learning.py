"""Learning: retrain from a project's reviewed units and imported training data, switch the active model,
and refresh the suggestions of units still pending."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException
from sqlalchemy import select
from sqlalchemy.orm import Session

from autocoder.agreement import agreement
from autocoder.classify import CodebookClassifier
from autocoder.codebook import Codebook
from autocoder.errors import InputError
from autocoder.pipeline import Pipeline
from autocoder.train import CodedSet, save_trained, train_and_evaluate

from ..audit import record
from ..auth import STAFF, current_user, project_access, require
from ..coding import library_unit, project_codebook, suggest
from ..context import Context
from ..deps import get_context, get_session
from ..modelstore import shared_encoder, shared_segmenter
from ..orm import Job, ModelVersion, Project, TrainingExample, Unit, User, utcnow
from ..payloads import ActivateIn, JobOut, ModelOut, ProjectModelOut, ProjectOut, ResuggestOut, RowId
from .projects import project_out

router = APIRouter(tags=["models"])
log = logging.getLogger("autocoder.api")


@router.get("/models", response_model=list[ModelOut])
def list_models(session: Session = Depends(get_session), _user: User = Depends(require(*STAFF))):
    return session.scalars(select(ModelVersion).order_by(ModelVersion.created_at)).all()


@router.post("/projects/{project_id}/models", status_code=202, response_model=JobOut)
def retrain(background: BackgroundTasks, project: Project = Depends(project_access(*STAFF)),
            user: User = Depends(current_user), session: Session = Depends(get_session),
            context: Context = Depends(get_context)):
    """Start training a new model version from the project's reviewed units and imported training data
    (with the codebook's own text, as the library trains). Poll the job; the new version is not made
    active until you switch to it."""
    job = Job(project_id=project.id, kind="train", status="queued", created_by=user.id)
    session.add(job)
    session.commit()
    background.add_task(run_training, context, job.id)
    return job


@router.get("/projects/{project_id}/jobs/{job_id}", response_model=JobOut)
def get_job(job_id: RowId, project: Project = Depends(project_access(*STAFF)), session: Session = Depends(get_session)):
    job = session.get(Job, job_id)
    if job is None or job.project_id != project.id:
        raise HTTPException(404, f"no job {job_id} in project {project.id}")
    return job


HELD_OUT_EVERY = 5
"""Every fifth document with reviewed units (in upload order) is held out of retraining: its reviewed units
score each new version beside the model it would replace."""


def training_set(session: Session, project: Project, codebook: Codebook) -> tuple[CodedSet, list[Unit]]:
    """Reviewed units (each document read in order, so that neighbours give each other context) and imported
    training examples, as the library trains on coded units; and the reviewed units held out to score the new
    model on."""
    reviewed = list(session.scalars(select(Unit).where(Unit.project_id == project.id, Unit.status != "pending")
                                    .order_by(Unit.document_id, Unit.position)))
    documents = sorted({u.document_id for u in reviewed})
    held_out_documents = set(documents[HELD_OUT_EVERY - 1::HELD_OUT_EVERY])
    train = [{"doc": str(u.document_id), "start": u.start, "end": u.end, "text": u.text, "section": u.section,
              "category": u.code} for u in reviewed if u.document_id not in held_out_documents]
    imported = [{"doc": f"imported/{e.doc}", "start": e.start, "end": e.end, "text": e.text, "section": e.section,
                 "category": e.code}
                for e in session.scalars(select(TrainingExample).where(TrainingExample.project_id == project.id)
                                         .order_by(TrainingExample.id))]
    for record in train + imported:
        record["construct"] = codebook.construct_of(record["category"])
    return (CodedSet.from_records(train + imported),
            [u for u in reviewed if u.document_id in held_out_documents])


def held_out_figures(held_out: list[Unit], codebook: Codebook, model: Pipeline, previous: Pipeline | None,
                     previous_version: str | None) -> dict | None:
    """Kappa of the new model, and of the one before, with the reviewers' codes of the held-out units."""
    if not held_out:
        return None
    units = [library_unit(u) for u in held_out]
    codes = [u.code for u in held_out]

    def kappas(pipeline: Pipeline | None) -> tuple[float | None, float | None]:
        if pipeline is None:
            return None, None
        reports = agreement(codes, [s.category for s in pipeline.suggest(units)], codebook, n_resamples=200)
        return reports["category"].kappa, reports["construct"].kappa if "construct" in reports else None

    (kappa, construct_kappa), (before, construct_before) = kappas(model), kappas(previous)
    return {"units": len(held_out), "documents": len({u.document_id for u in held_out}), "category_kappa": kappa,
            "construct_kappa": construct_kappa, "previous_version": previous_version,
            "previous_category_kappa": before, "previous_construct_kappa": construct_before}


def run_training(context: Context, job_id: int) -> None:
    with context.sessions() as session:
        job = session.get(Job, job_id)
        job.status = "running"
        session.commit()
        try:
            project = session.get(Project, job.project_id)
            codebook = project_codebook(project)
            train, held_out = training_set(session, project, codebook)
            params, previous = {}, None
            if project.model_version:  # keep the active model's settings; its temperature and threshold are refitted
                active = session.get(ModelVersion, project.model_version)
                previous = context.models.pipeline(active.version, active.path, codebook)
                params = previous.model.get_params(deep=False)
            model = CodebookClassifier(**{**params, "codebook": codebook, "encoder": shared_encoder()})
            with context.models.compute:
                results = train_and_evaluate(model, codebook, train=train, held_out={})
                figures = held_out_figures(held_out, codebook, Pipeline(model, shared_segmenter()), previous,
                                           project.model_version)
            if session.get(ModelVersion, model.version) is None:
                path = save_trained(model, results, context.settings.models_dir / model.version,
                                    extra={"trained_on": {"project": project.id, "units": len(train)},
                                           "held_out": figures})
                session.add(ModelVersion(version=model.version, codebook_id=codebook.id, path=str(path.resolve()),
                                         origin="trained", project_id=project.id, train_units=len(train)))
            job.status, job.model_version = "done", model.version
        except Exception as exc:  # a failed job is recorded on the job for the caller; the service goes on
            log.exception("training failed", extra={"job": job_id})
            session.rollback()
            job = session.get(Job, job_id)
            job.status, job.error = "failed", str(exc)
        job.finished_at = utcnow()
        session.commit()


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
