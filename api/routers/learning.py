"""Learning: retrain from a project's reviewed units and imported training data, switch the active model,
and refresh the suggestions of units still pending."""

from __future__ import annotations

import logging

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException
from sqlalchemy import select
from sqlalchemy.orm import Session

from autocoder.classify import CodebookClassifier
from autocoder.errors import InputError

from ..audit import record
from ..auth import STAFF, current_user, project_access, require
from ..coding import classifier_inputs, project_codebook, suggest
from ..context import Context
from ..deps import get_context, get_session
from ..modelstore import shared_encoder
from ..orm import Job, ModelVersion, Project, TrainingExample, Unit, User, utcnow
from ..payloads import ActivateIn, JobOut, ModelOut, ProjectOut, ResuggestOut, RowId
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


def training_set(session: Session, project: Project) -> tuple[list, list[str]]:
    """Reviewed units, read in context as the classifier reads them, and imported training examples."""
    reviewed = list(session.scalars(select(Unit).where(Unit.project_id == project.id, Unit.status != "pending")
                                    .order_by(Unit.document_id, Unit.position)))
    imported = session.execute(select(TrainingExample.text, TrainingExample.code)
                               .where(TrainingExample.project_id == project.id)).all()
    return ([*classifier_inputs(reviewed), *(text for text, _ in imported)],
            [*(u.code for u in reviewed), *(code for _, code in imported)])


def run_training(context: Context, job_id: int) -> None:
    with context.sessions() as session:
        job = session.get(Job, job_id)
        job.status = "running"
        session.commit()
        try:
            project = session.get(Project, job.project_id)
            codebook = project_codebook(project)
            inputs, codes = training_set(session, project)
            params = {}
            if project.model_version:  # keep the active model's settings (its abstention threshold above all)
                active = session.get(ModelVersion, project.model_version)
                params = context.models.classifier(active.version, active.path, codebook).get_params(deep=False)
            model = CodebookClassifier(**{**params, "codebook": codebook, "encoder": shared_encoder()})
            with context.models.compute:
                model.fit(inputs, codes)
            if session.get(ModelVersion, model.version) is None:
                path = model.save(context.settings.models_dir / model.version,
                                  extra={"trained_on": {"project": project.id, "units": len(inputs)}})
                session.add(ModelVersion(version=model.version, codebook_id=codebook.id, path=str(path.resolve()),
                                         origin="trained", project_id=project.id, train_units=len(inputs)))
            job.status, job.model_version = "done", model.version
        except Exception as exc:  # a failed job is recorded on the job for the caller; the service goes on
            log.exception("training failed", extra={"job": job_id})
            session.rollback()
            job = session.get(Job, job_id)
            job.status, job.error = "failed", str(exc)
        job.finished_at = utcnow()
        session.commit()


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
