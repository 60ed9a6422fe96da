"""A demo project: the synthetic SEND reports shipped in `corpora/`, segmented and coded by the model."""

from __future__ import annotations

import logging

from sqlalchemy import select

from autocoder.corpus import CORPORA_DIR
from autocoder.readers import read_document

from .coding import create_project, default_codebook, segment, store_document
from .context import Context
from .orm import Project

DEMO_PROJECT = "demo"
DEMO_REPORTS = CORPORA_DIR / "documents" / "synthetic"
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
