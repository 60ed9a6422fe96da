"""A demo project: the synthetic SEND reports shipped in `corpora/`, segmented and coded by the model, with a
demo reviewer and a demo admin to sign in as."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from autocoder.corpus import CORPORA_DIR
from autocoder.readers import read_document

from .audit import record
from .auth import create_user, issue_token
from .coding import create_project, default_codebook, segment, store_document
from .context import Context
from .orm import Member, Project, User

DEMO_PROJECT = "demo"
DEMO_REPORTS = CORPORA_DIR / "documents" / "synthetic"
DEMO_USERS = {"demo-reviewer": "reviewer", "demo-admin": "admin"}
DEMO_TOKEN_LIFETIME = timedelta(days=7)
log = logging.getLogger("autocoder.api")


def load_demo(context: Context) -> None:
    """Create the demo project once; a restart finds it and leaves it as reviewers left it."""
    with context.sessions() as session:
        if session.scalar(select(Project).where(Project.name == DEMO_PROJECT)) is not None:
            return
        project = create_project(session, context, DEMO_PROJECT, default_codebook())
        for path in sorted(DEMO_REPORTS.glob("report_*.md")):
            document = read_document(path)
            store_document(session, context, project, document, path.name, str(path), segment(context, document))
        session.commit()
        log.info("demo project loaded", extra={"project": project.id, "reports": str(DEMO_REPORTS)})


def demo_sign_in(context: Context) -> dict[str, str]:
    """A new token for each demo user (made once, the reviewer assigned to the demo project), valid for a week:
    the start-up links carry them. Tokens of earlier starts stay valid until they expire. An admin and tokens are
    made, so the audit log has them, as the command line's."""
    tokens = {}
    with context.sessions() as session:
        project = session.scalar(select(Project).where(Project.name == DEMO_PROJECT))
        for name, role in DEMO_USERS.items():
            user = session.scalar(select(User).where(User.name == name))
            if user is None:
                user, _ = create_user(session, name, role)
                record(session, None, "user.create", f"user {user.id} ({user.name})", role=role)
            if role == "reviewer" and session.get(Member, (project.id, user.id)) is None:
                session.add(Member(project_id=project.id, user_id=user.id))
                record(session, None, "member.add", f"project {project.id} ({project.name})", user=user.name)
            tokens[name], _ = issue_token(session, user, DEMO_TOKEN_LIFETIME)
            record(session, None, "token.issue", f"user {user.id} ({user.name})",
                   expires_in_days=DEMO_TOKEN_LIFETIME.days)
        session.commit()
    return tokens


def sign_in_links(base_url: str, tokens: dict[str, str]) -> list[str]:
    """What `serve --demo` prints: the review page, signed in. The token is in the link's fragment, which a
    browser never sends, so it reaches no server's or proxy's log."""
    return [f"  {name} ({DEMO_USERS[name]}): {base_url}/review#token={token}" for name, token in tokens.items()]
