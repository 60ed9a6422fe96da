"""Agreement (model vs reviewer, reviewer vs reviewer) and the paper's frequency tables, by the library."""

from __future__ import annotations

from collections import Counter, defaultdict
from itertools import combinations
from typing import Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from autocoder.agreement import agreement
from autocoder.classify import recorded_confusion
from autocoder.errors import InputError
from autocoder.frequencies import construct_intervals, frequency_table, published_table, to_markdown
from autocoder.types import Section

from ..auth import STAFF, project_access
from ..coding import project_codebook
from ..decisions import standing, unit_histories
from ..deps import get_session
from ..errors import Conflict
from ..orm import ModelVersion, Project, Unit
from ..payloads import ProgressOut, ReviewerProgress, RowId

router = APIRouter(tags=["agreement and tables"])

SectionQuery = Query(None, description="Only units in this report section.")
ResamplesQuery = Query(1000, ge=100, le=10000, description="Bootstrap resamples for kappa's 95% interval.")


def _units(project: Project, document_id: int | None, section: Section | None) -> Select:
    query = select(Unit).where(Unit.project_id == project.id)
    if document_id is not None:
        query = query.where(Unit.document_id == document_id)
    if section is not None:
        query = query.where(Unit.section == section.value)
    return query.order_by(Unit.document_id, Unit.position)


def _report(first: list, second: list, project: Project, resamples: int, **about) -> dict:
    reports = agreement(first, second, project_codebook(project), n_resamples=resamples)
    return {**about, "n": len(first), **{level: report.to_dict() for level, report in reports.items()}}


@router.get("/projects/{project_id}/agreement/model")
def model_agreement(project: Project = Depends(project_access(*STAFF)), session: Session = Depends(get_session),
                    document_id: RowId | None = None, section: Section | None = SectionQuery,
                    resamples: int = ResamplesQuery) -> dict:
    """The model's suggestions against the reviewers' current codes, over reviewed units: Cohen's kappa
    (with a bootstrap 95% interval), Krippendorff's alpha, per-label kappa and confusion, by category and
    by construct. A unit the model abstained on counts as NONE."""
    units = session.scalars(_units(project, document_id, section).where(Unit.status != "pending")).unique().all()
    if not units:
        raise Conflict("no reviewed units to compare yet")
    model = [u.suggestion.category if u.suggestion else None for u in units]
    return _report(model, [u.code for u in units], project, resamples, a="model", b="reviewers")


@router.get("/projects/{project_id}/agreement/reviewers")
def reviewer_agreement(project: Project = Depends(project_access(*STAFF)), session: Session = Depends(get_session),
                       a: str | None = Query(None, description="Reviewer name; with b, or neither for the pair "
                                                               "with the most units in common."),
                       b: str | None = None, document_id: RowId | None = None,
                       section: Section | None = SectionQuery, resamples: int = ResamplesQuery) -> dict:
    """Two reviewers' codes (each one's latest decision in force) on the units both decided."""
    codes = _reviewer_codes(session, _units(project, document_id, section).with_only_columns(Unit.id))
    if (a is None) != (b is None):
        raise InputError("name both reviewers (a and b), or neither")
    if a is None:
        pairs = Counter({(x, y): len(codes[x].keys() & codes[y].keys()) for x, y in combinations(sorted(codes), 2)})
        if not pairs or pairs.most_common(1)[0][1] == 0:
            raise Conflict("no unit has been decided by two reviewers yet")
        a, b = pairs.most_common(1)[0][0]
    common = sorted(codes[a].keys() & codes[b].keys())
    if not common:
        raise Conflict(f"no unit has been decided by both {a!r} and {b!r}")
    return _report([codes[a][u] for u in common], [codes[b][u] for u in common], project, resamples, a=a, b=b)


def _reviewer_codes(session: Session, unit_ids) -> dict[str, dict[int, str]]:
    """{reviewer: {unit id: code}} from the decisions in force (undone ones do not count)."""
    codes: dict[str, dict[int, str]] = defaultdict(dict)
    for unit_id, history in unit_histories(session, unit_ids).items():
        for decision in standing(history):
            codes[decision.reviewer.name][unit_id] = decision.code  # later decisions replace earlier ones
    return codes


@router.get("/projects/{project_id}/progress", response_model=ProgressOut)
def progress(project: Project = Depends(project_access(*STAFF)), session: Session = Depends(get_session),
             document_id: RowId | None = None) -> ProgressOut:
    """How much is reviewed, and how many units each reviewer has reviewed."""
    query = _units(project, document_id, None)
    statuses = session.scalars(query.with_only_columns(Unit.status)).all()
    codes = _reviewer_codes(session, query.with_only_columns(Unit.id))
    reviewers = sorted((ReviewerProgress(name=name, units=len(units)) for name, units in codes.items()),
                       key=lambda r: (-r.units, r.name))
    return ProgressOut(units=len(statuses), reviewed=sum(s != "pending" for s in statuses), reviewers=reviewers)


@router.get("/projects/{project_id}/frequencies", responses={200: {"content": {"text/markdown": {}, "text/csv": {}}}})
def frequencies(project: Project = Depends(project_access(*STAFF)), session: Session = Depends(get_session),
                level: Literal["category", "construct"] = Query(
                    "category", description="category: the paper's Table 3; construct: its Table 5"),
                codes: Literal["current", "reviewed", "model"] = Query(
                    "current", description="current: a unit's decision, else its suggestion; reviewed: decided "
                                           "units only; model: the suggestions"),
                document_id: RowId | None = None, section: Section | None = SectionQuery,
                by_section: bool = Query(False, description="A column per report section."),
                published: bool = Query(False, description="The codebook's own published frequencies instead."),
                intervals: bool = Query(False, description="With level=construct: each proportion's estimate and "
                                        "95% interval, bootstrapped over the documents; with codes=model, also "
                                        "corrected for the active model's held-out misclassifications."),
                format: Literal["json", "csv", "md"] = "json"):
    """A frequency table of the project's (or a document's, or a section's) codes."""
    codebook = project_codebook(project)
    if intervals and (level != "construct" or published or not codebook.constructs):
        raise InputError("intervals are for the construct table (level=construct) of the project's own codes, "
                         "with a codebook that has constructs")
    if published:
        table = published_table(codebook, level)
    elif intervals:
        units = _coded_units(session, project, document_id, section, codes)
        if not units:
            raise Conflict("no units to estimate proportions from")
        table = construct_intervals(_unit_codes(units, codes), [str(u.document_id) for u in units], codebook,
                                    _model_confusion(session, project) if codes == "model" else None)
    else:
        units = _coded_units(session, project, document_id, section, codes)
        table = frequency_table(_unit_codes(units, codes), codebook, level,
                                groups=[u.section for u in units] if by_section else None)
    if format == "md":
        return PlainTextResponse(to_markdown(table), media_type="text/markdown")
    if format == "csv":
        return PlainTextResponse(table.to_csv(index=False), media_type="text/csv")
    return {"level": level, "codes": None if published else codes, "columns": list(table.columns),
            "rows": table.to_dict(orient="records")}


def _coded_units(session: Session, project: Project, document_id: int | None, section: Section | None,
                 codes: str) -> list[Unit]:
    query = _units(project, document_id, section)
    if codes == "reviewed":
        query = query.where(Unit.status != "pending")
    return list(session.scalars(query).unique().all())


def _unit_codes(units: list[Unit], codes: str) -> list[str | None]:
    """A unit's suggestion (codes=model), else its decision when it has one."""
    suggested = [u.suggestion.category if u.suggestion else None for u in units]
    return suggested if codes == "model" else [u.code or s for u, s in zip(units, suggested)]


def _model_confusion(session: Session, project: Project) -> dict | None:
    """The active model's out-of-fold construct confusion counts, if its version records them."""
    version = session.get(ModelVersion, project.model_version) if project.model_version else None
    if version is None:
        return None
    try:
        return recorded_confusion(version.path)
    except (OSError, ValueError):
        return None

