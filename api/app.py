"""The app factory: the routers mounted, and in its lifespan the database migrated and the models loaded once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.orm import Session

from autocoder.classify import CodebookClassifier

from .coding import remove_orphan_uploads
from .context import Context
from .db import make_engine, migrate, session_factory
from .errors import install as install_errors
from .middleware import BodyLimit, RequestLog
from .modelstore import ModelStore, shared_encoder
from .orm import ModelVersion
from .routers import analysis, audit, documents, exchange, health, learning, pages, projects, review, users
from .settings import Settings
from .signin import SignInLimiter

log = logging.getLogger("autocoder.api")

DESCRIPTION = """Review service for autocoder's suggestions.

Every endpoint but `/health` and `/ready` needs `Authorization: Bearer <token>`. Roles: **admin** (users,
projects), **researcher** (documents, models, agreement, tables, exports), **reviewer** (the review queue and
decisions, on projects they are assigned to). Admins can do what researchers can.
"""


def register_initial_model(session: Session, model_dir) -> CodebookClassifier:
    """The model the service starts with (with its own codebook), registered as a model version."""
    classifier = CodebookClassifier.load(model_dir, encoder=shared_encoder())
    path = str(model_dir.resolve())
    row = session.get(ModelVersion, classifier.version)
    if row is None:
        session.add(ModelVersion(version=classifier.version, codebook_id=classifier.codebook.id, path=path,
                                 origin="initial"))
    elif row.origin == "initial":
        row.path = path  # the same weights may have moved with the checkout
    session.commit()
    return classifier


def start_service(settings: Settings) -> Context:
    """What the service does before its first request: migrate the database, load the models, register the model
    it starts with, remove uploads a stop left behind, and load the demo project when asked."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.url, settings.sqlite_cache_kib)
    migrate(engine)
    sessions = session_factory(engine)
    models = ModelStore(settings.models_in_memory)
    models.warm_up()
    with sessions() as session:
        initial_model = register_initial_model(session, settings.model_dir)
        for folder in remove_orphan_uploads(session, settings.uploads_dir):
            log.warning("removed an upload no document refers to (the service stopped while storing it)",
                        extra={"path": str(folder)})
    context = Context(settings, engine, sessions, models, initial_model.version, initial_model.codebook.to_dict(),
                      SignInLimiter(settings.signin_clients, settings.signin_free_failures))
    if settings.demo:
        from .demo import demo_sign_in, load_demo

        load_demo(context)
        context.demo_tokens = demo_sign_in(context)
    return context


def create_app(settings: Settings | None = None, on_start: Callable[[Context], None] | None = None) -> FastAPI:
    """The app; its start-up work (`start_service`) runs in its lifespan, then `on_start` with the context."""
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        context = app.state.context = start_service(settings)
        log.info("started", extra={"model": context.initial_model,
                                   "database": context.engine.url.render_as_string()})
        if on_start is not None:
            on_start(context)
        yield
        context.engine.dispose()

    app = FastAPI(title="autocoder review service", description=DESCRIPTION, version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    install_errors(app)
    for module in (health, users, projects, documents, review, analysis, exchange, learning, audit, pages):
        app.include_router(module.router)
    app.mount("/review/static", pages.static, name="review-static")
    app.add_middleware(BodyLimit, max_bytes=settings.max_upload_bytes)
    app.add_middleware(RequestLog)
    return app
