"""The schema as SQLAlchemy 2 typed ORM classes; `migrations/` creates it, these classes read and write it."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    """Naive UTC: SQLite keeps no time zone, so both databases store UTC without one."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Token(Base):
    """A bearer token, stored only as its SHA-256 hash."""

    __tablename__ = "tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    """None: the token does not expire."""
    user: Mapped[User] = relationship(lazy="joined")


class ModelVersion(Base):
    __tablename__ = "model_versions"
    version: Mapped[str] = mapped_column(Text, primary_key=True)
    codebook_id: Mapped[str] = mapped_column(Text)
    path: Mapped[str] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(String(20))
    """'initial' (the model the service was started with) or 'trained' (retrained from a project)."""
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL", use_alter=True,
                                                              name="fk_model_versions_project"))
    train_units: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Project(Base):
    __tablename__ = "projects"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    codebook: Mapped[dict] = mapped_column(JSON)
    """The codebook as the library reads it (`Codebook.from_dict`)."""
    model_version: Mapped[str | None] = mapped_column(ForeignKey("model_versions.version"))
    """The active model: it makes the suggestions for new units."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Member(Base):
    """A reviewer assigned to a project."""

    __tablename__ = "members"
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("project_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(Text)
    filename: Mapped[str] = mapped_column(Text)
    stored_path: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Suggestion(Base):
    """What a model version suggested for a unit; a unit keeps every suggestion it was given."""

    __tablename__ = "suggestions"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    category: Mapped[str | None] = mapped_column(Text)
    construct: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[float] = mapped_column(Float)
    ranked: Mapped[list] = mapped_column(JSON)
    model_version: Mapped[str] = mapped_column(ForeignKey("model_versions.version"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Unit(Base):
    """A unit of meaning: `document.text[start:end] == text`.

    `version` counts the decisions made on it; `status` and `code` mirror the latest decision (the
    log in `decisions` is the record) so that the review queue can filter without scanning the log.
    """

    __tablename__ = "units"
    __table_args__ = (Index("ix_units_project_status", "project_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    ref: Mapped[str] = mapped_column(Text)
    """The unit's id in the library's form (`doc:start-end`) or as given with pre-segmented units."""
    start: Mapped[int] = mapped_column("start_char")
    end: Mapped[int] = mapped_column("end_char")
    text: Mapped[str] = mapped_column(Text)
    section: Mapped[str | None] = mapped_column(String(50))
    suggestion_id: Mapped[int | None] = mapped_column(ForeignKey("suggestions.id", use_alter=True,
                                                                 name="fk_units_suggestion"))
    version: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    code: Mapped[str | None] = mapped_column(Text)
    suggestion: Mapped[Suggestion | None] = relationship(foreign_keys=[suggestion_id], lazy="joined")
    document: Mapped[Document] = relationship(lazy="raise")


class Decision(Base):
    """One reviewer's decision on a unit: rows are only ever added, never changed."""

    __tablename__ = "decisions"
    __table_args__ = (UniqueConstraint("unit_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    """The unit's version this decision made (the one it saw, plus one)."""
    action: Mapped[str] = mapped_column(String(20))
    code: Mapped[str] = mapped_column(Text)
    """The category id the unit now has, or NONE."""
    suggestion_id: Mapped[int | None] = mapped_column(ForeignKey("suggestions.id"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewer: Mapped[User] = relationship(lazy="joined")


class TrainingExample(Base):
    """A human-coded unit imported as training data (CSV, JSONL or REFI-QDA)."""

    __tablename__ = "training_examples"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    ref: Mapped[str | None] = mapped_column(Text)
    doc: Mapped[str] = mapped_column(Text)
    start: Mapped[int | None] = mapped_column("start_char")
    end: Mapped[int | None] = mapped_column("end_char")
    text: Mapped[str] = mapped_column(Text)
    section: Mapped[str | None] = mapped_column(String(50))
    code: Mapped[str] = mapped_column(Text)
    coder: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Job(Base):
    """A background job (retraining), run by a worker process (`api.jobs`); `status` is queued, running, done or
    failed. A running job's worker renews `heartbeat_at`; a job whose lease has run out is taken again."""

    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    worker: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    model_version: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class AuditEvent(Base):
    """An admin action (users, tokens, memberships, projects, model switches, imports, restores), recorded in the
    transaction that makes it; `actor` keeps the name at the time, `actor_id` is None for the command line."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(Text)
    details: Mapped[dict | None] = mapped_column(JSON)
