"""The dashboard of a centre: today's figures, each the count of a list a manager can open.

A manager sees the whole centre; a case lead the same figures limited to the cases they lead (a case
with a task of the lead's role that they hold or completed). Places, the waiting list and turn-aways
belong to the centre, not to anybody's work, and are the same for both. Every figure is one or two
indexed queries, whatever the number of cases (``bench/dashboard_bench.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import ColumnElement, case, false, func, select, true

from engine.casework.read.led import led_case_ids, led_tasks
from engine.casework.read.stays import exit_planning_started, month_bounds, near_cap, this_month
from engine.clock import SOFIA, local_date
from engine.errors import NotFound
from engine.pathways.names import english_names_of_version
from engine.people import places
from engine.people.centres import occupancy
from engine.people.permissions import Principal, dashboard_scope, require
from engine.store.models import Case, CaseTask, Centre, Deadline, SweepStatus, TurnAway, User
from engine.store.uow import UnitOfWork

WEEK_DAYS = 7


@dataclass(frozen=True)
class Count:
    key: str  # what the list behind it filters on: an element id, a username ("" for nobody), a reason
    label: str
    count: int
    label_en: str = ""  # a task kind's English name (the diagram's ``name_en``), if it has one


@dataclass(frozen=True)
class Lateness:
    """Timers fired in the last day and how late the sweep fired them."""

    fired: int
    max_seconds: float
    p95_seconds: float
    sweep_last_run: datetime | None


@dataclass(frozen=True)
class Dashboard:
    centre_id: int
    code: str
    name: str
    kind: str
    scope: str  # centre | team
    today: date
    month: str  # YYYY-MM, Sofia
    residents: int
    capacity: int
    waiting: int
    turn_aways: list[Count]
    arrivals: int
    exits: int
    overdue_by_kind: list[Count]
    overdue_by_worker: list[Count]
    due_week: int
    timers_week: int
    near_cap_planned: int
    near_cap_unplanned: int
    incidents: int
    lateness: Lateness

    @property
    def overdue(self) -> int:
        return sum(count.count for count in self.overdue_by_kind)

    @property
    def turned_away(self) -> int:
        return sum(count.count for count in self.turn_aways)


def get_dashboard_centre(uow: UnitOfWork, who: Principal, code: str) -> tuple[Centre, str]:
    """The centre and the reader's scope of it: 404 for a centre unknown or not the reader's (as the
    API answers for cases), 403 for the reader's centre where their role has no dashboard."""
    centre = uow.session.scalar(select(Centre).where(Centre.code == code[:40]))
    if centre is None or who.role_in(centre.id) is None:
        raise NotFound("no such centre")
    scope = dashboard_scope(who, centre.id)
    require(scope is not None, "you may not read this centre's dashboard")
    assert scope is not None
    return centre, scope


def dashboard_centres(uow: UnitOfWork, who: Principal) -> list[Centre]:
    """The centres whose dashboard the reader sees, by name."""
    ids = [centre for centre in who.roles if dashboard_scope(who, centre)]
    return list(uow.session.scalars(select(Centre).where(Centre.id.in_(ids)).order_by(Centre.name)))


def led_cases(who: Principal, centre: Centre, scope: str) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """The reader's cases and tasks: all of them for a manager; for a case lead, the conditions "the
    case is one they lead" on ``case_file.id`` and on ``case_task.case_id``."""
    if scope == "centre":
        return true(), true()
    return led_case_ids(who, centre.id), led_tasks(who, centre.id)


def month_start(now: datetime) -> datetime:
    return month_bounds(this_month(now))[0]


def local_midnight(now: datetime, days_ahead: int) -> datetime:
    day = local_date(now) + timedelta(days=days_ahead)
    return datetime(day.year, day.month, day.day, tzinfo=SOFIA).astimezone(UTC)


def read_dashboard(uow: UnitOfWork, who: Principal, code: str) -> Dashboard:
    centre, scope = get_dashboard_centre(uow, who, code)
    now = uow.clock.now()
    mine, my_tasks = led_cases(who, centre, scope)
    by_kind, by_worker = _overdue(uow, centre.id, my_tasks, now)
    planned, unplanned = _near_cap(uow, centre, mine, now)
    return Dashboard(
        centre_id=centre.id,
        code=centre.code,
        name=centre.name,
        kind=centre.kind,
        scope=scope,
        today=local_date(now),
        month=local_date(now).strftime("%Y-%m"),
        residents=occupancy(uow, centre).open_cases,
        capacity=centre.capacity,
        waiting=places.waiting_count(uow, centre.id),
        turn_aways=_turn_aways(uow, centre.id, month_start(now)),
        arrivals=_count_cases(uow, Case.centre_id == centre.id, Case.admitted_at >= month_start(now), mine),
        exits=_count_cases(uow, Case.centre_id == centre.id, Case.left_at >= month_start(now), mine),
        overdue_by_kind=by_kind,
        overdue_by_worker=by_worker,
        due_week=_due_week(uow, centre.id, my_tasks, now),
        timers_week=_timers_week(uow, centre.id, mine, now),
        near_cap_planned=planned,
        near_cap_unplanned=unplanned,
        incidents=_count_cases(uow, Case.centre_id == centre.id, Case.status == "incident", mine),
        lateness=_lateness(uow, centre.id, now),
    )


def _count_cases(uow: UnitOfWork, *conditions: ColumnElement[bool]) -> int:
    return int(uow.session.scalar(select(func.count()).select_from(Case).where(*conditions)) or 0)


def _turn_aways(uow: UnitOfWork, centre_id: int, since: datetime) -> list[Count]:
    found = dict(
        uow.session.execute(
            select(TurnAway.reason, func.count())
            .where(TurnAway.centre_id == centre_id, TurnAway.at >= since)
            .group_by(TurnAway.reason)
        ).all()
    )
    return [Count(reason, reason, int(found.get(reason, 0))) for reason in places.TURN_AWAY_REASONS]


def open_tasks_of(centre_id: int, mine: ColumnElement[bool]) -> list[ColumnElement[bool]]:
    """Open tasks of the centre (``mine``: of the cases in the reader's scope)."""
    return [CaseTask.status == "open", CaseTask.centre_id == centre_id, mine]


def _overdue(
    uow: UnitOfWork, centre_id: int, mine: ColumnElement[bool], now: datetime
) -> tuple[list[Count], list[Count]]:
    rows = uow.session.execute(
        select(
            CaseTask.element_id,
            func.min(CaseTask.name),
            func.min(Case.pathway_version_id),
            User.username,
            func.min(func.coalesce(func.nullif(User.display_name, ""), User.username)),
            func.count(),
        )
        .select_from(CaseTask)
        .join(Case, Case.id == CaseTask.case_id)
        .outerjoin(User, User.id == CaseTask.assignee_id)
        .where(*open_tasks_of(centre_id, mine), CaseTask.due_at < now)
        .group_by(CaseTask.element_id, User.username)
    ).all()
    kinds: dict[str, Count] = {}
    workers: dict[str, Count] = {}
    names_en = {version: english_names_of_version(uow, version) for version in {row[2] for row in rows}}
    for element_id, name, version, username, display, n in rows:
        kind = kinds.get(element_id, Count(element_id, name, 0, names_en[version].get(element_id, "")))
        kinds[element_id] = Count(element_id, kind.label, kind.count + n, kind.label_en)
        worker = workers.get(username or "", Count(username or "", display or "", 0))
        workers[username or ""] = Count(worker.key, worker.label, worker.count + n)

    def ranked(counts: dict[str, Count]) -> list[Count]:
        return sorted(counts.values(), key=lambda c: (-c.count, c.label))

    return ranked(kinds), ranked(workers)


def _due_week(uow: UnitOfWork, centre_id: int, mine: ColumnElement[bool], now: datetime) -> int:
    """Open tasks due from now to the end of the seventh day (the inbox's "this week")."""
    return int(
        uow.session.scalar(
            select(func.count())
            .select_from(CaseTask)
            .where(
                *open_tasks_of(centre_id, mine),
                CaseTask.due_at >= now,
                CaseTask.due_at < local_midnight(now, WEEK_DAYS),
            )
        )
        or 0
    )


def _timers_week(uow: UnitOfWork, centre_id: int, mine: ColumnElement[bool], now: datetime) -> int:
    return int(
        uow.session.scalar(
            select(func.count())
            .select_from(Deadline)
            .join(Case, Case.id == Deadline.case_id)
            .where(
                Deadline.status == "pending",
                Deadline.due_at >= now,
                Deadline.due_at < local_midnight(now, WEEK_DAYS),
                Case.centre_id == centre_id,
                mine,
            )
        )
        or 0
    )


def near_cap_conditions(centre: Centre, now: datetime) -> list[ColumnElement[bool]]:
    """Residents of a crisis centre near the cap (a community support centre has none)."""
    if centre.kind != "crisis_centre":
        return [false()]
    return [Case.centre_id == centre.id, near_cap(now)]


def _near_cap(uow: UnitOfWork, centre: Centre, mine: ColumnElement[bool], now: datetime) -> tuple[int, int]:
    started = exit_planning_started()
    row = uow.session.execute(
        select(
            func.coalesce(func.sum(case((started, 1), else_=0)), 0),
            func.count(),
        ).where(*near_cap_conditions(centre, now), mine)
    ).one()
    planned, total = int(row[0]), int(row[1])
    return planned, total - planned


def _lateness(uow: UnitOfWork, centre_id: int, now: datetime) -> Lateness:
    rows = uow.session.execute(
        select(Deadline.due_at, Deadline.fired_at)
        .join(Case, Case.id == Deadline.case_id)
        .where(Deadline.fired_at >= now - timedelta(days=1), Case.centre_id == centre_id)
    ).all()
    late = sorted(max((fired - due).total_seconds(), 0.0) for due, fired in rows if fired is not None)
    last_run = uow.session.scalar(select(SweepStatus.last_run_at).where(SweepStatus.id == 1))
    if not late:
        return Lateness(0, 0.0, 0.0, last_run)
    p95 = late[min(len(late) - 1, round(0.95 * (len(late) - 1)))]
    return Lateness(len(late), late[-1], p95, last_run)
