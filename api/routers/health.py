"""Liveness and readiness: the only endpoints that need no token."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..context import Context
from ..deps import get_context
from ..errors import database_unavailable

router = APIRouter(tags=["operations"])


@router.get("/health")
def health() -> dict:
    """The process is up."""
    return {"status": "ok"}


@router.get("/ready")
def ready(context: Context = Depends(get_context)):
    """The database answers and the model is loaded: the service can take requests."""
    try:
        with context.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return database_unavailable(status="unavailable", database=exc.__class__.__name__)
    return {"status": "ready", "model": context.initial_model}
