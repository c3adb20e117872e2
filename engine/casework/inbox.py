"""The inbox: a case worker's open tasks, read from the ``case_task`` table (never the workflow state).

"My tasks" are open tasks assigned to me; "unclaimed" are open tasks nobody holds whose role is mine
in that centre; case leads and managers also see their whole team's open tasks. Overdue first, then
by due date. Claiming, unclaiming and reassigning are compare-and-set updates, audited one by one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, false, func, or_, select, update
from sqlalchemy.orm import aliased

from engine.audit.chain import record
from engine.casework.read.led import led_case_ids
from engine.clock import SOFIA, local_date
from engine.errors import ConcurrencyConflict, NotFound, ValidationFailed
from engine.paging import page_count
from engine.people.permissions import (
    CASE_READERS,
    REASSIGNERS,
    Principal,
    can_be_assigned,
    can_claim,
    can_reassign,
    can_unclaim,
    can_view_task,
    require,
)
from engine.store.models import Case, CaseTask, Centre, Membership, Pathway, PathwayVersion, User
from engine.store.uow import UnitOfWork

SCOPES = ("all", "mine", "unclaimed", "team")
DUE_FILTERS = ("", "overdue", "today", "week")
PER_PAGE = 25


@dataclass(frozen=True)
class InboxFilters:
    scope: str = "all"
    centre_id: int | None = None
    pathway: str = ""
    task_type: str = ""  # an element id or a form key
    due: str = ""  # "", overdue, today, week
    assignee: str = ""  # a username, or "-" for nobody (the dashboard's overdue work per worker)
    led: bool = False  # only the cases I lead (a case lead's dashboard)

    def check(self) -> InboxFilters:
        fields: dict[str, list[str]] = {}
        if self.scope not in SCOPES:
            fields["scope"] = [f"one of {', '.join(SCOPES)}"]
        if self.due not in DUE_FILTERS:
            fields["due"] = ["one of overdue, today, week"]
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
    rows = _rows(uow, and_(narrowed, scopes[filters.scope]), now, page, per_page)
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
    if filters.due == "overdue":
        conditions.append(CaseTask.due_at < now)
    elif filters.due in ("today", "week"):
        days = 1 if filters.due == "today" else 7
        conditions.append(and_(CaseTask.due_at >= now, CaseTask.due_at < _local_midnight(now, days)))
    return conditions


def _local_midnight(now: datetime, days_ahead: int) -> datetime:
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


def _rows(
    uow: UnitOfWork, where: ColumnElement[bool], now: datetime, page: int, per_page: int
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
            func.coalesce(assignee.display_name, assignee.username, ""),
        )
        .outerjoin(assignee, assignee.id == CaseTask.assignee_id)
        .where(where)
        .order_by(
            case((CaseTask.due_at < now, 0), else_=1),
            CaseTask.due_at.is_(None),
            CaseTask.due_at,
            CaseTask.id,
        )
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return [InboxRow(*row) for row in uow.session.execute(query)]


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
    today = and_(CaseTask.due_at >= now, CaseTask.due_at < _local_midnight(now, 1))
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
        _joined(Centre.id, Centre.name, Pathway.key, Pathway.name, CaseTask.element_id, CaseTask.name)
        .where(visible)
        .distinct()
        .limit(1000)
    ).all()
    centres = {str(row[0]): row[1] for row in found}
    pathways = {row[2]: row[3] for row in found}
    task_types = {row[4]: row[5] for row in found}
    return _sorted(centres), _sorted(pathways), _sorted(task_types)


def _sorted(options: dict[str, str]) -> list[FilterOption]:
    return sorted((FilterOption(value, label) for value, label in options.items()), key=lambda o: o.label)


# --- claim, unclaim, reassign ----------------------------------------------------------------------


def _open_task(uow: UnitOfWork, who: Principal, task_public_id: str) -> CaseTask:
    task = uow.session.scalar(select(CaseTask).where(CaseTask.public_id == task_public_id))
    if task is None or not can_view_task(who, task):
        raise NotFound("task not found")  # another centre's task does not exist for this user
    if task.status != "open":
        raise ConcurrencyConflict(f"the task is {task.status}")
    return task


def _set_assignee(uow: UnitOfWork, task: CaseTask, expected: int | None, new: int | None) -> None:
    """Compare-and-set: only if nobody changed the assignee since we read it."""
    same = CaseTask.assignee_id.is_(None) if expected is None else CaseTask.assignee_id == expected
    result = uow.session.execute(
        update(CaseTask)
        .where(CaseTask.id == task.id, CaseTask.status == "open", same)
        .values(assignee_id=new)
        .execution_options(synchronize_session="fetch")
    )
    if getattr(result, "rowcount", 1) != 1:
        raise ConcurrencyConflict("someone else changed this task at the same time")


def _name_of(uow: UnitOfWork, user_id: int | None) -> str:
    user = uow.session.get(User, user_id) if user_id is not None else None
    return (user.display_name or user.username) if user is not None else ""


def claim(uow: UnitOfWork, who: Principal, task_public_id: str) -> CaseTask:
    task = _open_task(uow, who, task_public_id)
    require(can_be_assigned(who.role_in(task.centre_id), task), "this task is for another role")
    if task.assignee_id == who.user_id:
        return task
    if task.assignee_id is not None:
        raise ConcurrencyConflict(f"already claimed by {_name_of(uow, task.assignee_id)}")
    require(can_claim(who, task), "this task is for another role")
    _set_assignee(uow, task, None, who.user_id)
    _audit(uow, who, "task.claim", task, {})
    return task


def unclaim(uow: UnitOfWork, who: Principal, task_public_id: str) -> CaseTask:
    """Give a task back to the team: its holder may, and so may the case lead and the manager."""
    task = _open_task(uow, who, task_public_id)
    own_role = can_be_assigned(who.role_in(task.centre_id), task)
    require(
        own_role or can_unclaim(who, task), "only the holder, the case lead or the manager may release a task"
    )
    if task.assignee_id is None:
        return task  # nobody holds it: nothing to release
    require(can_unclaim(who, task), "only the holder, the case lead or the manager may release a task")
    previous = task.assignee_id
    _set_assignee(uow, task, previous, None)
    _audit(uow, who, "task.unclaim", task, {"from": _username(uow, previous)})
    return task


def reassign(uow: UnitOfWork, who: Principal, task_public_id: str, username: str | None) -> CaseTask:
    """Give the task to a colleague whose role in the task's centre is the task's role (or to nobody)."""
    task = _open_task(uow, who, task_public_id)
    require(can_reassign(who, task), "only the case lead or the manager may reassign")
    target = _assignable_user(uow, task, username) if username else None
    new_id = target.id if target is not None else None
    if new_id == task.assignee_id:
        return task
    previous = task.assignee_id
    _set_assignee(uow, task, previous, new_id)
    _audit(uow, who, "task.reassign", task, {"from": _username(uow, previous), "to": username or ""})
    return task


def _assignable_user(uow: UnitOfWork, task: CaseTask, username: str) -> User:
    user = uow.session.scalar(select(User).where(User.username == username.strip().lower()))
    role = next((m.role for m in user.memberships if m.centre_id == task.centre_id), None) if user else None
    if user is None or not user.active or not can_be_assigned(role, task):
        raise ValidationFailed(
            "cannot assign the task", {"assignee": ["choose a colleague with this task's role"]}
        )
    return user


def _username(uow: UnitOfWork, user_id: int | None) -> str:
    user = uow.session.get(User, user_id) if user_id is not None else None
    return user.username if user is not None else ""


def _audit(uow: UnitOfWork, who: Principal, action: str, task: CaseTask, detail: dict[str, str]) -> None:
    record(
        uow.session,
        uow.clock.now(),
        who,
        action,
        case_id=task.case_id,
        subject=task.name,
        detail={"task": task.public_id, **detail},
    )


@dataclass(frozen=True)
class Assignee:
    username: str
    name: str


def assignee_options(uow: UnitOfWork, who: Principal) -> dict[tuple[int, str], list[Assignee]]:
    """Colleagues a case lead or manager may give tasks to, by (centre id, role): one query."""
    centres = who.centres_with(REASSIGNERS)
    if not centres:
        return {}
    rows = uow.session.execute(
        select(Membership.centre_id, Membership.role, User.username, User.display_name)
        .join(User, User.id == Membership.user_id)
        .where(Membership.centre_id.in_(centres), User.active.is_(True))
        .order_by(User.display_name, User.username)
    )
    options: dict[tuple[int, str], list[Assignee]] = {}
    for centre_id, role, username, name in rows:
        options.setdefault((centre_id, role), []).append(Assignee(username, name or username))
    return options
