"""The audit log: every admin action is recorded in the transaction that makes it, so none is kept unlogged."""

from __future__ import annotations

import getpass

from sqlalchemy.orm import Session

from .orm import AuditEvent, User

ACTIONS = ("user.create", "token.issue", "member.add", "project.create", "model.activate", "import.codebook",
           "import.training-data", "backup.restore")


def record(session: Session, actor: User | None, action: str, target: str, **details) -> None:
    """Add the event to `session` (committed with the action); `actor` None: the command line, as the OS user."""
    assert action in ACTIONS, action
    session.add(AuditEvent(actor_id=actor.id if actor else None,
                           actor=actor.name if actor else f"command line ({getpass.getuser()})",
                           action=action, target=target, details=details or None))
