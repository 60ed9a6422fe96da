"""The decision log's queries: each unit's decisions, those still in force, and the one in force. Routers read the
log through these, never by hand."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from .orm import Decision


def standing(history: Iterable[Decision]) -> list[Decision]:
    """The decisions of a unit's log (oldest first) still in force: an undo withdraws the latest one in force."""
    kept: list[Decision] = []
    for decision in history:
        if decision.action == "undo":
            kept.pop()
        else:
            kept.append(decision)
    return kept


def unit_histories(session: Session, unit_ids) -> dict[int, list[Decision]]:
    """Each unit's decision log, oldest first (units without decisions left out)."""
    rows = session.scalars(select(Decision).where(Decision.unit_id.in_(unit_ids)).order_by(Decision.version))
    histories: dict[int, list[Decision]] = defaultdict(list)
    for decision in rows:
        histories[decision.unit_id].append(decision)
    return histories


def latest_decisions(session: Session, unit_ids: list[int]) -> dict[int, Decision]:
    """Each unit's decision in force, the one its status and code come from (units with none left out)."""
    if not unit_ids:
        return {}
    return {unit_id: kept[-1] for unit_id, history in unit_histories(session, unit_ids).items()
            if (kept := standing(history))}
