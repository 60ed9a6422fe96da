"""Bearer tokens and roles: admin (users, projects), researcher (documents, models, exports), reviewer (decisions)."""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from autocoder.errors import InputError

from .context import Context
from .deps import get_context, get_session
from .errors import Conflict
from .orm import Member, Project, Token, User, utcnow
from .payloads import RowId

ROLES = ("admin", "researcher", "reviewer")
STAFF = ("admin", "researcher")
"""Admins can do what researchers can."""
ANYONE = ROLES

_bearer = HTTPBearer(auto_error=False, description="A token from `autocoder create-admin` or POST /users.")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(session: Session, user: User, lifetime: timedelta | None = None) -> tuple[str, datetime | None]:
    """A new random token for `user` and when it expires (None: never); only its hash is stored, so this is
    the one time it is seen."""
    token = secrets.token_urlsafe(32)
    expires_at = utcnow() + lifetime if lifetime is not None else None
    session.add(Token(user_id=user.id, token_hash=hash_token(token), expires_at=expires_at))
    return token, expires_at


def create_user(session: Session, name: str, role: str) -> tuple[User, str]:
    if role not in ROLES:
        raise InputError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if session.scalar(select(User).where(User.name == name)) is not None:
        raise Conflict(f"a user named {name!r} already exists")
    user = User(name=name, role=role)
    session.add(user)
    session.flush()
    token, _ = issue_token(session, user)
    return user, token


def current_user(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
                 session: Session = Depends(get_session), context: Context = Depends(get_context)) -> User:
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None:
        raise HTTPException(401, "missing bearer token (Authorization: Bearer <token>)", headers=challenge)
    client = request.client.host if request.client else "unknown"
    wait = context.signin.wait(client)
    if wait > 0:  # the token is not even looked at: guessing goes no faster than the wait allows
        raise HTTPException(429, f"too many failed tokens from this address; try again in {math.ceil(wait)} s",
                            headers={"Retry-After": str(math.ceil(wait))})
    token = session.scalar(select(Token).where(Token.token_hash == hash_token(credentials.credentials)))
    if token is None:
        context.signin.failed(client)
        raise HTTPException(401, "invalid token", headers=challenge)
    if token.expires_at is not None and token.expires_at <= utcnow():
        context.signin.failed(client)
        raise HTTPException(401, "token expired", headers=challenge)
    return token.user


def _check_role(user: User, roles: tuple[str, ...]) -> None:
    if user.role not in roles:
        raise HTTPException(403, f"role {user.role!r} may not do this (needs {' or '.join(roles)})")


def require(*roles: str) -> Callable[..., User]:
    """A dependency giving the caller, who must have one of `roles`."""
    def dependency(user: User = Depends(current_user)) -> User:
        _check_role(user, roles)
        return user
    return dependency


def project_access(*roles: str) -> Callable[..., Project]:
    """A dependency giving the path's project, for a caller with one of `roles`; reviewers only see
    the projects they are assigned to."""
    def dependency(project_id: RowId, user: User = Depends(current_user),
                   session: Session = Depends(get_session)) -> Project:
        _check_role(user, roles)
        project = session.get(Project, project_id)
        if project is None:
            raise HTTPException(404, f"no project {project_id}")
        if user.role == "reviewer" and session.get(Member, (project_id, user.id)) is None:
            raise HTTPException(403, "you are not assigned to this project")
        return project
    return dependency
