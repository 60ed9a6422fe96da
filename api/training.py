"""Retraining, as a worker runs it: a project's reviewed units and imported training data are trained on by the
library's one training function (`autocoder.train.train_and_evaluate`: temperature and threshold fitted by
grouped cross-validation), and the new version is scored on reviewed units held out of training."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from autocoder.agreement import agreement
from autocoder.classify import CodebookClassifier
from autocoder.codebook import Codebook
from autocoder.pipeline import Pipeline
from autocoder.train import CodedSet, save_trained, train_and_evaluate

from .coding import library_unit, project_codebook
from .db import make_engine, session_factory
from .jobs import Runner, lower_priority, run_queued, work
from .modelstore import shared_encoder, shared_segmenter
from .orm import Job, ModelVersion, Project, TrainingExample, Unit
from .settings import Settings


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


def train_project_model(session: Session, job: Job, settings: Settings) -> str:
    """Train a new model version for the job's project and register it (not made active); its version."""
    project = session.get(Project, job.project_id)
    codebook = project_codebook(project)
    train, held_out = training_set(session, project, codebook)
    params, previous = {}, None
    if project.model_version:  # keep the active model's settings; its temperature and threshold are refitted
        active = session.get(ModelVersion, project.model_version)
        previous = Pipeline.load(active.path, codebook, encoder=shared_encoder(), segmenter=shared_segmenter())
        params = previous.model.get_params(deep=False)
    model = CodebookClassifier(**{**params, "codebook": codebook, "encoder": shared_encoder()})
    results = train_and_evaluate(model, codebook, train=train, held_out={})
    figures = held_out_figures(held_out, codebook, Pipeline(model, shared_segmenter()), previous,
                               project.model_version)
    if session.get(ModelVersion, model.version) is None:
        path = save_trained(model, results, settings.models_dir / model.version,
                            extra={"trained_on": {"project": project.id, "units": len(train)}, "held_out": figures})
        session.add(ModelVersion(version=model.version, codebook_id=codebook.id, path=str(path.resolve()),
                                 origin="trained", project_id=project.id, train_units=len(train)))
    return model.version


def job_runners(settings: Settings) -> dict[str, Runner]:
    """What a worker runs for each kind of job."""
    return {"train": partial(train_project_model, settings=settings)}


def run_jobs(settings: Settings, sessions) -> list[int]:
    """The jobs queued now, run in this process as a worker runs them."""
    return run_queued(sessions, job_runners(settings), timedelta(seconds=settings.job_lease_seconds))


def run_worker(settings: Settings, parent: int | None = None) -> None:
    """`autocoder worker`: take jobs from the service's database until stopped (or its server is gone)."""
    lower_priority()
    engine = make_engine(settings.url, settings.sqlite_cache_kib)
    try:
        work(session_factory(engine), job_runners(settings), timedelta(seconds=settings.job_lease_seconds), parent)
    finally:
        engine.dispose()
