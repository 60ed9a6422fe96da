"""The audit log, for admins."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..auth import require
from ..deps import get_session
from ..orm import AuditEvent, User
from ..payloads import AuditPage

router = APIRouter(tags=["audit"])


@router.get("/audit", response_model=AuditPage)
def audit_log(session: Session = Depends(get_session), _admin: User = Depends(require("admin")),
              limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0)):
    """Admin actions (users, tokens, memberships, projects, model switches, imports, restores), newest first."""
    total = session.scalar(select(func.count()).select_from(AuditEvent))
    items = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit).offset(offset)).all()
    return AuditPage(total=total, items=items)
