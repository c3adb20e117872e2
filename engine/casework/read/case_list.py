"""The list of cases a reader may open: their centres' cases, newest first, one query per page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select

from engine.casework.read.led import led_case_ids
from engine.casework.read.stays import exit_planning_started, month_bounds, near_cap
from engine.errors import ValidationFailed
from engine.paging import Page
from engine.people.centres import staying
from engine.people.permissions import CASE_READERS, Principal
from engine.store.models import Case, CaseTask, Centre, Pathway, PathwayVersion
from engine.store.uow import UnitOfWork

STATUSES = ("open", "incident", "suspended", "closed", "all")
PER_PAGE = 25


@dataclass(frozen=True)
class CaseRow:
    public_id: str
    number: str
    display_name: str
    centre_name: str
    pathway: str
    legal_basis: str
    status: str
    admitted_at: datetime
    open_tasks: int


CaseListPage = Page[CaseRow]
STAYS = ("", "staying", "near_cap")
EXIT_PLANNING = ("", "started", "not_started")


@dataclass(frozen=True)
class CaseFilters:
    """The dashboard's lists: a centre's arrivals or exits of a month, its residents, those near the cap
    with or without exit planning, the cases I lead."""

    centre: str = ""  # a centre code
    arrived: str = ""  # YYYY-MM
    left: str = ""  # YYYY-MM
    stay: str = ""  # "", staying, near_cap
    exit_planning: str = ""  # "", started, not_started
    led: bool = False

    def conditions(self, who: Principal, now: datetime) -> list[ColumnElement[bool]]:
        if self.stay not in STAYS:
            raise ValidationFailed("unknown filter", {"stay": ["one of staying, near_cap"]})
        if self.exit_planning not in EXIT_PLANNING:
            raise ValidationFailed("unknown filter", {"exit_planning": ["one of started, not_started"]})
        conditions: list[ColumnElement[bool]] = [led_case_ids(who)] if self.led else []
        if self.centre:
            conditions.append(Centre.code == self.centre[:40])
        for name, column in (("arrived", Case.admitted_at), ("left", Case.left_at)):
            month = getattr(self, name)
            if month:
                first, following = month_bounds(month, name)
                conditions += [column >= first, column < following]
        if self.stay == "staying":
            conditions.append(staying())
        elif self.stay == "near_cap":
            conditions += [near_cap(now), Centre.kind == "crisis_centre"]
        if self.exit_planning:
            started = exit_planning_started()
            conditions.append(started if self.exit_planning == "started" else ~started)
        return conditions


def list_cases(
    uow: UnitOfWork,
    who: Principal,
    status: str = "open",
    search: str = "",
    page: int = 1,
    filters: CaseFilters | None = None,
) -> CaseListPage:
    conditions = matching(who, uow.clock.now(), status, search, filters, who.centres_with(CASE_READERS))
    page = max(1, page)
    open_tasks = (
        select(CaseTask.case_id, func.count().label("n"))
        .where(CaseTask.status == "open")
        .group_by(CaseTask.case_id)
        .subquery()
    )
    rows = uow.session.execute(
        select(
            Case.public_id,
            Case.number,
            Case.display_name,
            Centre.name,
            Pathway.key,
            Case.legal_basis,
            Case.status,
            Case.admitted_at,
            func.coalesce(open_tasks.c.n, 0),
        )
        .join(Centre, Centre.id == Case.centre_id)
        .join(PathwayVersion, PathwayVersion.id == Case.pathway_version_id)
        .join(Pathway, Pathway.id == PathwayVersion.pathway_id)
        .outerjoin(open_tasks, open_tasks.c.case_id == Case.id)
        .where(*conditions)
        .order_by(Case.admitted_at.desc(), Case.id.desc())
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE)
    ).all()
    total = (
        uow.session.scalar(
            select(func.count())
            .select_from(Case)
            .join(Centre, Centre.id == Case.centre_id)
            .where(*conditions)
        )
        or 0
    )
    return CaseListPage([CaseRow(*row) for row in rows], int(total), page, PER_PAGE)


def matching(
    who: Principal,
    now: datetime,
    status: str,
    search: str,
    filters: CaseFilters | None,
    centre_ids: list[int],
) -> list[ColumnElement[bool]]:
    """The case list's conditions (on ``case_file`` joined with ``centre``), within the given centres."""
    if status not in STATUSES:
        raise ValidationFailed("unknown status", {"status": [f"one of {', '.join(STATUSES)}"]})
    conditions: list[ColumnElement[bool]] = [Case.centre_id.in_(centre_ids)]
    conditions += (filters or CaseFilters()).conditions(who, now)
    if status != "all":
        conditions.append(Case.status == status)
    term = search.strip()[:100]
    if term:
        like = f"%{term.replace('%', '').replace('_', '')}%"
        conditions.append(or_(Case.number.ilike(like), Case.display_name.ilike(like)))
    return conditions
