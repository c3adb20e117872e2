"""The inbox's list: a case worker's open tasks, read from the ``case_task`` table (never the workflow).

"My tasks" are open tasks assigned to me; "unclaimed" are open tasks nobody holds whose role is mine
in that centre; case leads and managers also see their whole team's open tasks. Overdue first, then
by due date (or by case number or task name). A search matches a case number or the person's name;
the search text is a query parameter and a bound SQL parameter, so it reaches no log line
(``engine.private_logs``, ``hide_parameters`` in ``engine.store.db``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, false, func, or_, select
from sqlalchemy.orm import aliased

from engine.bpmn.names import legal_source_en
from engine.casework.read.led import led_case_ids
from engine.clock import SOFIA, local_date
from engine.errors import ValidationFailed
from engine.paging import page_count
from engine.pathways.names import english_names_of
from engine.people.permissions import (
    CASE_READERS,
    REASSIGNERS,
    Principal,
)
from engine.store.models import Case, CaseTask, Centre, Pathway, PathwayVersion, User
from engine.store.uow import UnitOfWork

SCOPES = ("all", "mine", "unclaimed", "team")
DUE_FILTERS = ("", "overdue", "today", "week", "follow_up")
SORTS = ("due", "case", "task")
PER_PAGE = 25
MAX_PER_PAGE = 100
MAX_SEARCH = 100


@dataclass(frozen=True)
class InboxFilters:
    scope: str = "all"
    centre_id: int | None = None
    pathway: str = ""
    task_type: str = ""  # an element id or a form key
    due: str = ""  # "", overdue, today, week, follow_up (my follow-up date has come)
    q: str = ""  # a case number or part of a person's name
    sort: str = "due"  # due, case, task
    holder: int | None = None  # the user id holding the tasks (the workload view links here)
    assignee: str = ""  # a username, or "-" for nobody (the dashboard's overdue work per worker)
    led: bool = False  # only the cases I lead (a case lead's dashboard)

    def check(self) -> InboxFilters:
        fields: dict[str, list[str]] = {}
        if self.scope not in SCOPES:
            fields["scope"] = [f"one of {', '.join(SCOPES)}"]
        if self.due not in DUE_FILTERS:
            fields["due"] = [f"one of {', '.join(DUE_FILTERS[1:])}"]
        if self.sort not in SORTS:
            fields["sort"] = [f"one of {', '.join(SORTS)}"]
        if len(self.q) > MAX_SEARCH:
            fields["q"] = [f"at most {MAX_SEARCH} characters"]
        if len(self.pathway) > 80 or len(self.task_type) > 200 or len(self.assignee) > 80:
            fields["task_type" if len(self.task_type) > 200 else "pathway"] = ["too long"]
        if fields:
            raise ValidationFailed("unknown inbox filter", fields)
        return self


@dataclass(frozen=True)
class InboxRow:
    task_id: str
    case_id: str
    case_number: str
    display_name: str
    task_name: str
    element_id: str
    form_key: str
    role: str
    centre_id: int
    centre_name: str
    pathway: str
    due_at: datetime | None
    legal_source: str
    assignee_id: int | None
    assignee_name: str
    follow_up_on: date | None
    item_label: str = ""  # which item of a multi-instance task the row is for ("Иван, 9 г.")
    version_id: int = (
        0  # the case's pathway version (and its sha256), whose diagram names the task in English
    )
    version_sha: str = ""
    case_status: str = ""  # "suspended": the case is held, its tasks wait
    name_en: str = ""  # the task's English name (``name_en``), if the diagram has one
    legal_source_en: str = ""  # the task's English legal source (``legal_source_en``), if it has one


@dataclass(frozen=True)
class InboxCounts:
    mine: int
    unclaimed: int
    team: int
    matching: int
    overdue: int
    due_today: int


@dataclass(frozen=True)
class FilterOption:
    value: str
    label: str
    label_en: str = ""  # a task type's English name, if its diagram has one


@dataclass(frozen=True)
class InboxPage:
    rows: list[InboxRow]
    counts: InboxCounts
    page: int
    per_page: int
    centres: list[FilterOption]
    pathways: list[FilterOption]
    task_types: list[FilterOption]
    can_see_team: bool

    @property
    def pages(self) -> int:
        return page_count(self.counts.matching, self.per_page)


def list_inbox(
    uow: UnitOfWork, who: Principal, filters: InboxFilters, page: int = 1, per_page: int = PER_PAGE
) -> InboxPage:
    """One page of the inbox with its counts: three queries whatever the number of rows."""
    filters.check()
    per_page = min(max(1, per_page), MAX_PER_PAGE)
    now = uow.clock.now()
    scopes = _scope_conditions(who)
    # Every visible task is in a centre whose cases I read; saying so lets the index on
    # (status, centre_id, role, due_at) narrow the scan before the OR is evaluated.
    readable = CaseTask.centre_id.in_(who.centres_with(CASE_READERS))
    visible = and_(readable, or_(scopes["mine"], scopes["unclaimed"], scopes["team"]))
    # Redundant with ``visible``, but it lets the planner walk ix_case_task_inbox_role by
    # (status, centre) instead of every open task of every centre.
    in_my_centres = CaseTask.centre_id.in_(who.centres_with(CASE_READERS))
    narrowed = and_(CaseTask.status == "open", in_my_centres, visible, *_filter_conditions(filters, now, who))
    page = max(1, page)
    rows = _rows(uow, and_(narrowed, scopes[filters.scope]), now, filters.sort, page, per_page)
    counts = _counts(uow, narrowed, scopes, filters.scope, now)
    centres, pathways, task_types = _options(uow, and_(CaseTask.status == "open", visible))
    return InboxPage(
        rows, counts, page, per_page, centres, pathways, task_types, bool(who.centres_with(REASSIGNERS))
    )


def _scope_conditions(who: Principal) -> dict[str, ColumnElement[bool]]:
    readable = who.centres_with(CASE_READERS)
    role_pairs = [
        and_(CaseTask.centre_id == centre, CaseTask.role == role)
        for centre, role in who.roles.items()
        if centre in readable
    ]
    mine = (
        and_(CaseTask.assignee_id == who.user_id, CaseTask.centre_id.in_(readable)) if readable else false()
    )
    unclaimed = and_(CaseTask.assignee_id.is_(None), or_(false(), *role_pairs))
    reassigning = who.centres_with(REASSIGNERS)
    team = CaseTask.centre_id.in_(reassigning) if reassigning else false()
    return {"mine": mine, "unclaimed": unclaimed, "team": team, "all": or_(mine, unclaimed)}


def _filter_conditions(filters: InboxFilters, now: datetime, who: Principal) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [led_case_ids(who)] if filters.led else []
    if filters.assignee:
        held_by = select(User.id).where(User.username == filters.assignee).scalar_subquery()
        conditions.append(
            CaseTask.assignee_id.is_(None) if filters.assignee == "-" else CaseTask.assignee_id == held_by
        )
    if filters.centre_id is not None:
        conditions.append(CaseTask.centre_id == filters.centre_id)
    if filters.pathway:
        conditions.append(Pathway.key == filters.pathway)
    if filters.task_type:
        conditions.append(
            or_(CaseTask.element_id == filters.task_type, CaseTask.form_key == filters.task_type)
        )
    if filters.holder is not None:
        conditions.append(CaseTask.assignee_id == filters.holder)
    if term := filters.q.strip():
        conditions.append(_matches(term))
    if filters.due == "follow_up":
        conditions.append(CaseTask.follow_up_on <= local_date(now))
    elif filters.due == "overdue":
        conditions.append(CaseTask.due_at < now)
    elif filters.due in ("today", "week"):
        days = 1 if filters.due == "today" else 7
        conditions.append(and_(CaseTask.due_at >= now, CaseTask.due_at < local_midnight(now, days)))
    return conditions


def _matches(term: str) -> ColumnElement[bool]:
    """A case number or a part of the person's name, whatever the letter case (Cyrillic too: SQLite's
    ``lower`` is replaced by Python's in ``engine.store.db``). ``%`` and ``_`` are taken literally."""
    folded = term.lower()
    return or_(
        func.lower(Case.number).contains(folded, autoescape=True),
        func.lower(Case.display_name).contains(folded, autoescape=True),
    )


def local_midnight(now: datetime, days_ahead: int) -> datetime:
    """The start of the day ``days_ahead`` days after today, as Sofia reads the date."""
    day = local_date(now) + timedelta(days=days_ahead)
    return datetime(day.year, day.month, day.day, tzinfo=SOFIA)


def _joined(*columns: Any) -> Any:
    return (
        select(*columns)
        .select_from(CaseTask)
        .join(Case, Case.id == CaseTask.case_id)
        .join(PathwayVersion, PathwayVersion.id == Case.pathway_version_id)
        .join(Pathway, Pathway.id == PathwayVersion.pathway_id)
        .join(Centre, Centre.id == CaseTask.centre_id)
    )


def _order(sort: str, now: datetime) -> list[Any]:
    by_due = [case((CaseTask.due_at < now, 0), else_=1), CaseTask.due_at.is_(None), CaseTask.due_at]
    first = {"case": [Case.number], "task": [CaseTask.name], "due": []}[sort]
    return [*first, *by_due, CaseTask.id]


def _rows(
    uow: UnitOfWork, where: ColumnElement[bool], now: datetime, sort: str, page: int, per_page: int
) -> list[InboxRow]:
    assignee = aliased(User)
    query = (
        _joined(
            CaseTask.public_id,
            Case.public_id,
            Case.number,
            Case.display_name,
            CaseTask.name,
            CaseTask.element_id,
            CaseTask.form_key,
            CaseTask.role,
            CaseTask.centre_id,
            Centre.name,
            Pathway.key,
            CaseTask.due_at,
            CaseTask.legal_source,
            CaseTask.assignee_id,
            func.coalesce(func.nullif(assignee.display_name, ""), assignee.username, ""),
            CaseTask.follow_up_on,
            CaseTask.item_label,
            Case.pathway_version_id,
            PathwayVersion.sha256,
            Case.status,
        )
        .outerjoin(assignee, assignee.id == CaseTask.assignee_id)
        .where(where)
        .order_by(*_order(sort, now))
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    rows = [InboxRow(*row) for row in uow.session.execute(query)]
    names_en = english_names_of(uow, {(row.version_id, row.version_sha) for row in rows})
    return [
        replace(
            row,
            name_en=names_en.get(row.version_id, {}).get(row.element_id, ""),
            legal_source_en=legal_source_en(names_en.get(row.version_id), row.element_id),
        )
        for row in rows
    ]


def _counts(
    uow: UnitOfWork,
    narrowed: ColumnElement[bool],
    scopes: dict[str, ColumnElement[bool]],
    scope: str,
    now: datetime,
) -> InboxCounts:
    def total(condition: ColumnElement[bool]) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    chosen = scopes[scope]
    today = and_(CaseTask.due_at >= now, CaseTask.due_at < local_midnight(now, 1))
    row = uow.session.execute(
        _joined(
            total(scopes["mine"]),
            total(scopes["unclaimed"]),
            total(scopes["team"]),
            total(chosen),
            total(and_(chosen, CaseTask.due_at < now)),
            total(and_(chosen, today)),
        ).where(narrowed)
    ).one()
    return InboxCounts(*(int(value) for value in row))


def _options(
    uow: UnitOfWork, visible: ColumnElement[bool]
) -> tuple[list[FilterOption], list[FilterOption], list[FilterOption]]:
    found = uow.session.execute(
        _joined(
            Centre.id,
            Centre.name,
            Pathway.key,
            Pathway.name,
            CaseTask.element_id,
            CaseTask.name,
            Case.pathway_version_id,
            PathwayVersion.sha256,
        )
        .where(visible)
        .distinct()
        .limit(1000)
    ).all()
    centres = {str(row[0]): row[1] for row in found}
    pathways = {row[2]: row[3] for row in found}
    task_types = {row[4]: row[5] for row in found}
    names_en = english_names_of(uow, {(row[6], row[7]) for row in found})
    english: dict[str, str] = {}
    for row in found:
        name_en = names_en.get(row[6], {}).get(row[4], "")
        if name_en:
            english.setdefault(row[4], name_en)
    types = [replace(o, label_en=english.get(o.value, "")) for o in _sorted(task_types)]
    return _sorted(centres), _sorted(pathways), types


def _sorted(options: dict[str, str]) -> list[FilterOption]:
    return sorted((FilterOption(value, label) for value, label in options.items()), key=lambda o: o.label)
