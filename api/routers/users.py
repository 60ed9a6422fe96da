"""Users and their tokens (admin), and who am I (anyone)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends, HTTPException
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..audit import record
from ..auth import ANYONE, create_user, issue_token, require
from ..deps import get_session
from ..orm import User
from ..payloads import RowId, TokenIn, TokenOut, UserIn, UserOut, UserWithToken

router = APIRouter(tags=["users"])


@router.post("/users", status_code=201, response_model=UserWithToken)
def add_user(body: UserIn, session: Session = Depends(get_session), admin: User = Depends(require("admin"))):
    user, token = create_user(session, body.name, body.role)
    record(session, admin, "user.create", f"user {user.id} ({user.name})", role=user.role)
    session.commit()
    return UserWithToken(**UserOut.model_validate(user).model_dump(), token=token)


@router.get("/users", response_model=list[UserOut])
def list_users(session: Session = Depends(get_session), _admin: User = Depends(require("admin"))):
    return session.scalars(select(User).order_by(User.id)).all()


@router.post("/users/{user_id}/tokens", status_code=201, response_model=TokenOut)
def new_token(user_id: RowId, body: TokenIn | None = None, session: Session = Depends(get_session),
              admin: User = Depends(require("admin"))):
    """A new token for the user, valid for `expires_in_days` if given; their other tokens keep working."""
    user = session.get(User, user_id)
    if user is None:
        raise HTTPException(404, f"no user {user_id}")
    days = body.expires_in_days if body else None
    token, expires_at = issue_token(session, user, timedelta(days=days) if days else None)
    record(session, admin, "token.issue", f"user {user.id} ({user.name})", expires_in_days=days)
    session.commit()
    return TokenOut(token=token, expires_at=expires_at)


@router.get("/me", response_model=UserOut)
def me(user: User = Depends(require(*ANYONE))):
    return user
