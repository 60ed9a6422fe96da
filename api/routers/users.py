"""Users and their tokens (admin), and who am I (anyone)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..auth import ANYONE, create_user, issue_token, require
from ..deps import get_session
from ..orm import User
from ..payloads import TokenOut, UserIn, UserOut, UserWithToken

router = APIRouter(tags=["users"])


@router.post("/users", status_code=201, response_model=UserWithToken)
def add_user(body: UserIn, session: Session = Depends(get_session), _admin: User = Depends(require("admin"))):
    user, token = create_user(session, body.name, body.role)
    session.commit()
    return UserWithToken(**UserOut.model_validate(user).model_dump(), token=token)


@router.get("/users", response_model=list[UserOut])
def list_users(session: Session = Depends(get_session), _admin: User = Depends(require("admin"))):
    return session.scalars(select(User).order_by(User.id)).all()


@router.post("/users/{user_id}/tokens", status_code=201, response_model=TokenOut)
def new_token(user_id: int, session: Session = Depends(get_session), _admin: User = Depends(require("admin"))):
    user = session.get(User, user_id)
    if user is None:
        raise HTTPException(404, f"no user {user_id}")
    token = issue_token(session, user)
    session.commit()
    return TokenOut(token=token)


@router.get("/me", response_model=UserOut)
def me(user: User = Depends(require(*ANYONE))):
    return user
