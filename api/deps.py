"""Request-scoped dependencies: the service context and a database session per request."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request
from sqlalchemy.orm import Session

from .context import Context


def get_context(request: Request) -> Context:
    return request.app.state.context


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.context.sessions() as session:
        yield session
