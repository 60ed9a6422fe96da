"""The review queue and decisions: an append-only log, with optimistic concurrency on each unit's version."""

from __future__ import annotations

from typing import Literal, NoReturn

from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy import func, literal, select, update
from sqlalchemy.orm import Session

from autocoder.codebook import Codebook
from autocoder.errors import InputError
from autocoder.types import NONE_CODE

from ..auth import ANYONE, current_user, project_access
from ..decisions import latest_decisions, standing, unit_histories
from ..coding import project_codebook
from ..deps import get_session
from ..errors import Conflict
from ..orm import Decision, Project, Suggestion, Unit, User
from ..payloads import (DecisionIn, DecisionOut, DecisionResult, RowId, Status, SuggestionOut, UnitDetail, UnitOut,
                        UnitPage)

router = APIRouter(tags=["review"])

STATUS_OF = {"accept": "accepted", "reject": "rejected", "recode": "recoded"}


def decision_out(decision: Decision, codebook: Codebook) -> DecisionOut:
    return DecisionOut(id=decision.id, unit_id=decision.unit_id, version=decision.version, action=decision.action,
                       code=decision.code, construct=codebook.construct_of(decision.code),
                       reviewer=decision.reviewer.name, comment=decision.comment,
                       suggestion_id=decision.suggestion_id, created_at=decision.created_at)


def unit_out(unit: Unit, decision: Decision | None, codebook: Codebook, cls=UnitOut, **extra) -> UnitOut:
    return cls(id=unit.id, document_id=unit.document_id, position=unit.position, ref=unit.ref, start=unit.start,
               end=unit.end, text=unit.text, section=unit.section, status=unit.status, code=unit.code,
               construct=codebook.construct_of(unit.code), version=unit.version,
               suggestion=SuggestionOut.model_validate(unit.suggestion) if unit.suggestion else None,
               decision=decision_out(decision, codebook) if decision else None, **extra)


def get_unit(session: Session, project: Project, unit_id: int) -> Unit:
    unit = session.get(Unit, unit_id, populate_existing=True)
    if unit is None or unit.project_id != project.id:
        raise HTTPException(404, f"no unit {unit_id} in project {project.id}")
    return unit


def _check_code(codebook: Codebook, code: str, what: str) -> None:
    if not codebook.is_code(code):
        raise InputError(f"unknown {what} {code!r} (codebook {codebook.id!r})")


@router.get("/projects/{project_id}/units", response_model=UnitPage)
def list_units(project: Project = Depends(project_access(*ANYONE)), session: Session = Depends(get_session),
               document_id: RowId | None = None, status: Status | None = None,
               category: str | None = Query(None, description="The unit's code: its decision's, else its suggestion's "
                                                               "(NONE: no category)."),
               construct: str | None = Query(None, description="Construct of that code."),
               min_confidence: float | None = Query(None, ge=0, le=1),
               max_confidence: float | None = Query(None, ge=0, le=1),
               order: Literal["position", "confidence"] = Query(
                   "position", description="position: document order; confidence: least confident suggestion first"),
               limit: int = Query(50, ge=1, le=1000), offset: int = Query(0, ge=0)):
    """The review queue: units with their suggestion and latest decision."""
    codebook = project_codebook(project)
    code = func.coalesce(Unit.code, Suggestion.category, literal(NONE_CODE))
    query = (select(Unit).outerjoin(Suggestion, Suggestion.id == Unit.suggestion_id)
             .where(Unit.project_id == project.id))
    if document_id is not None:
        query = query.where(Unit.document_id == document_id)
    if status is not None:
        query = query.where(Unit.status == status)
    if category is not None:
        _check_code(codebook, category, "category")
        query = query.where(code == category)
    if construct is not None:
        if construct not in codebook.construct_ids:
            raise InputError(f"unknown construct {construct!r} (codebook {codebook.id!r})")
        query = query.where(code.in_([c.id for c in codebook.categories_of(construct)]))
    if min_confidence is not None:
        query = query.where(Suggestion.confidence >= min_confidence)
    if max_confidence is not None:
        query = query.where(Suggestion.confidence <= max_confidence)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    position = (Unit.document_id, Unit.position)
    ordering = (Suggestion.confidence.asc().nulls_first(), *position) if order == "confidence" else position
    units = session.scalars(query.order_by(*ordering).limit(limit).offset(offset)).unique().all()
    decisions = latest_decisions(session, [u.id for u in units])
    return UnitPage(total=total, items=[unit_out(u, decisions.get(u.id), codebook) for u in units])


@router.get("/projects/{project_id}/units/{unit_id}", response_model=UnitDetail)
def get_unit_detail(unit_id: RowId, project: Project = Depends(project_access(*ANYONE)),
                    session: Session = Depends(get_session)):
    """A unit with its whole decision history."""
    codebook = project_codebook(project)
    unit = get_unit(session, project, unit_id)
    history = session.scalars(select(Decision).where(Decision.unit_id == unit.id).order_by(Decision.version)).all()
    kept = standing(history)
    return unit_out(unit, kept[-1] if kept else None, codebook, UnitDetail,
                    decisions=[decision_out(d, codebook) for d in history])


@router.get("/projects/{project_id}/units/{unit_id}/decisions", response_model=list[DecisionOut])
def list_decisions(unit_id: RowId, project: Project = Depends(project_access(*ANYONE)),
                   session: Session = Depends(get_session)):
    codebook = project_codebook(project)
    unit = get_unit(session, project, unit_id)
    history = session.scalars(select(Decision).where(Decision.unit_id == unit.id).order_by(Decision.version))
    return [decision_out(d, codebook) for d in history]


@router.post("/projects/{project_id}/units/{unit_id}/decisions", status_code=201, response_model=DecisionResult,
             responses={409: {"description": "The unit changed since the reviewer saw it; the body has its current state."}})
def decide(unit_id: RowId, body: DecisionIn, project: Project = Depends(project_access("reviewer")),
           reviewer: User = Depends(current_user), session: Session = Depends(get_session)):
    """Accept the suggestion (of an abstention: agree that no category fits), reject it (no category applies),
    recode the unit to another category, or undo
    your decision in force (the unit returns to the state before it; the log keeps both).

    `expected_version` is the unit version the reviewer saw: if another decision came first, nothing
    is stored and the answer is 409 with the unit as it is now.
    """
    codebook = project_codebook(project)
    unit = get_unit(session, project, unit_id)
    if body.action == "undo":
        if unit.version != body.expected_version:  # what is in force may have changed: check before judging it
            _stale(session, project, unit_id, body.expected_version, codebook)
        status, code, logged, restored = _undo(body, unit, reviewer, session)
    else:
        status, code = STATUS_OF[body.action], _code_for(body, unit, codebook)
        logged = code
    # Check and bump the version in one statement: of two concurrent decisions on the same version,
    # the database lets exactly one match.
    bumped = session.execute(
        update(Unit).where(Unit.id == unit.id, Unit.version == body.expected_version)
        .values(version=Unit.version + 1, status=status, code=code)
        .execution_options(synchronize_session=False))
    if bumped.rowcount != 1:
        session.rollback()
        _stale(session, project, unit_id, body.expected_version, codebook)
    decision = Decision(unit_id=unit.id, version=body.expected_version + 1, action=body.action, code=logged,
                        suggestion_id=unit.suggestion_id, reviewer_id=reviewer.id, comment=body.comment)
    session.add(decision)
    session.commit()
    in_force = restored if body.action == "undo" else decision
    unit = get_unit(session, project, unit_id)
    return DecisionResult(unit=unit_out(unit, in_force, codebook), decision=decision_out(decision, codebook))


def _stale(session: Session, project: Project, unit_id: int, expected: int, codebook: Codebook) -> NoReturn:
    current = get_unit(session, project, unit_id)
    latest = latest_decisions(session, [current.id]).get(current.id)
    raise Conflict(f"unit {unit_id} is at version {current.version}, not {expected}: "
                   "someone decided it since you loaded it; review it again",
                   {"unit": unit_out(current, latest, codebook).model_dump(mode="json", by_alias=True)})


def _undo(body: DecisionIn, unit: Unit, reviewer: User, session: Session):
    """(status, code) the unit returns to, the code the undo logs (the one it withdraws) and the decision
    back in force (None: the unit is pending again)."""
    if body.category is not None:
        raise InputError("'category' goes with recode only, not undo")
    kept = standing(unit_histories(session, [unit.id]).get(unit.id, []))
    if not kept:
        raise InputError(f"unit {unit.id} has no decision in force to undo")
    withdrawn = kept[-1]
    if withdrawn.reviewer_id != reviewer.id:
        raise HTTPException(403, f"the decision in force on unit {unit.id} is {withdrawn.reviewer.name}'s; "
                                 "only they can undo it (recode the unit instead)")
    restored = kept[-2] if len(kept) > 1 else None
    if restored is None:
        return "pending", None, withdrawn.code, None
    return STATUS_OF[restored.action], restored.code, withdrawn.code, restored


def _code_for(body: DecisionIn, unit: Unit, codebook: Codebook) -> str:
    if body.action != "recode" and body.category is not None:
        raise InputError(f"'category' goes with recode only, not {body.action}")
    if body.action == "accept":
        if unit.suggestion is None:
            raise InputError("the unit has no suggestion to accept: reject the unit or recode it")
        # accepting an abstention agrees with the model that no category fits
        return unit.suggestion.category or NONE_CODE
    if body.action == "reject":
        return NONE_CODE
    if body.category is None:
        raise InputError("recode needs 'category', the category id to code the unit to")
    if body.category == NONE_CODE:
        raise InputError("to say no category applies, reject the unit")
    _check_code(codebook, body.category, "category")
    return body.category
