"""Request and response bodies (pydantic), shared by the routers."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Literal

from annotated_types import Interval
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer

UTC = Annotated[datetime, PlainSerializer(lambda d: d.replace(tzinfo=timezone.utc).isoformat(), return_type=str)]
"""Stored as naive UTC; sent with its zone."""


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters (U+0000)")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]
"""A string that is stored or looked up: PostgreSQL's text type cannot hold NUL."""
Name = Annotated[Text, Field(min_length=1, max_length=200, pattern=r"\S")]
MAX_INT = 2**31 - 1
"""The databases' integer columns hold up to this."""
RowId = Annotated[int, Interval(ge=1, le=MAX_INT)]
"""A stored row's id in a path, query or body: out of range is a 422, never a database error."""
Status = Literal["pending", "accepted", "rejected", "recoded"]


class Orm(BaseModel):
    model_config = ConfigDict(from_attributes=True, validate_by_name=True, validate_by_alias=True)


Construct = Annotated[str | None, Field(alias="construct")]
"""Named `construct_` in Python: `construct` is a (deprecated) method of pydantic models."""


class UserIn(BaseModel):
    name: Name
    role: Literal["admin", "researcher", "reviewer"]


class UserOut(Orm):
    id: int
    name: str
    role: str
    created_at: UTC


class UserWithToken(UserOut):
    token: str = Field(description="Shown once: only its hash is stored.")


class TokenIn(BaseModel):
    expires_in_days: int | None = Field(None, ge=1, le=3650, description="The token stops working after this many "
                                                                         "days; it never expires if omitted.")


class TokenOut(BaseModel):
    token: str
    expires_at: UTC | None = None


class ProjectIn(BaseModel):
    name: Name
    codebook: dict | None = Field(None, description="A codebook in the library's JSON form; default: the codebook of the model the service was started with.")


class ProjectOut(Orm):
    id: int
    name: str
    codebook_id: str
    categories: int
    model_version: str | None
    created_at: UTC


class MemberIn(BaseModel):
    user_id: RowId


class DocumentOut(Orm):
    id: int
    name: str
    filename: str
    units: int
    created_at: UTC


class DocumentDetail(DocumentOut):
    text: str


class UploadOut(DocumentOut):
    model_version: str | None = Field(description="The model that made the units' suggestions (None: no model).")
    warnings: list[str] = Field(default_factory=list, description=(
        "Units kept but worth a look, each naming the file and line (a line not in English)."))


class SuggestionOut(Orm):
    id: int
    category: str | None
    construct_: Construct
    confidence: float
    ranked: list[tuple[str, float]]
    model_version: str
    created_at: UTC


class DecisionOut(Orm):
    id: int
    unit_id: int
    version: int
    action: str
    code: str
    construct_: Construct
    reviewer: str
    comment: str | None
    suggestion_id: int | None
    created_at: UTC


class UnitOut(Orm):
    id: int
    document_id: int
    position: int
    ref: str
    start: int
    end: int
    text: str
    section: str | None
    status: Status
    code: str | None = Field(description="The latest decision's code (category id or NONE); None while pending.")
    construct_: Construct
    version: int = Field(description="Decisions made so far: send it back as expected_version with a decision.")
    suggestion: SuggestionOut | None
    decision: DecisionOut | None = Field(description="The decision in force (the latest not undone).")


class UnitDetail(UnitOut):
    decisions: list[DecisionOut] = Field(description="Every decision on the unit, oldest first.")


class UnitPage(BaseModel):
    total: int
    items: list[UnitOut]


class DecisionIn(BaseModel):
    action: Literal["accept", "reject", "recode", "undo"] = Field(
        description="accept the suggestion, reject it (no category applies), recode to `category`, or undo your "
                    "decision in force (the unit returns to the state before it; the undo logs the code it withdrew)")
    expected_version: int = Field(ge=0, le=MAX_INT, description="The unit version the reviewer saw.")
    category: Text | None = Field(None, max_length=200, description="The category id, for recode only.")
    comment: Text | None = Field(None, max_length=5000)


class DecisionResult(BaseModel):
    unit: UnitOut
    decision: DecisionOut


class ModelOut(Orm):
    version: str
    codebook_id: str
    origin: str
    project_id: int | None
    train_units: int | None
    created_at: UTC


class HeldOutOut(BaseModel):
    """A retrained version's agreement with the reviewers on the reviewed units held out of its training."""

    units: int
    documents: int
    category_kappa: float | None
    construct_kappa: float | None
    previous_version: str | None
    """The project's active model when this one was trained, scored on the same units."""
    previous_category_kappa: float | None
    previous_construct_kappa: float | None


class ProjectModelOut(ModelOut):
    active: bool
    held_out: HeldOutOut | None


class ActivateIn(BaseModel):
    version: Text


class JobOut(Orm):
    id: int
    project_id: int
    kind: str
    status: str = Field(description="queued, running (in a worker process), done or failed")
    attempts: int = Field(description="How many times a worker has taken the job (a worker that died is retried)")
    model_version: str | None
    error: str | None
    created_at: UTC
    started_at: UTC | None
    finished_at: UTC | None


class ImportOut(BaseModel):
    imported: int
    codes: dict[str, int]


class TrainingExampleOut(Orm):
    id: int
    ref: str | None
    doc: str
    start: int | None
    end: int | None
    text: str
    section: str | None
    code: str
    coder: str | None
    source: str


class TrainingPage(BaseModel):
    total: int
    items: list[TrainingExampleOut]


class ResuggestOut(BaseModel):
    units: int
    model_version: str | None


class ReviewerProgress(BaseModel):
    name: str
    units: int = Field(description="Units on which a decision of theirs is in force.")


class ProgressOut(BaseModel):
    units: int
    reviewed: int = Field(description="Units not pending.")
    reviewers: list[ReviewerProgress] = Field(description="Most units first; a unit two reviewers decided counts "
                                                          "for both.")


class AuditEventOut(Orm):
    id: int
    created_at: UTC
    actor_id: int | None = Field(description="None: the command line (create-admin, restore).")
    actor: str
    action: str
    target: str
    details: dict | None


class AuditPage(BaseModel):
    total: int
    items: list[AuditEventOut] = Field(description="Newest first.")
