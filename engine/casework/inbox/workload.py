"""The team's workload, for case leads and managers: per worker of their centres, how many open tasks
each holds, how many of those are overdue and how many fall due this week (the next 7 days, as the
inbox's ``due=week`` counts them). One grouped query over the open tasks' holder index."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, select

from engine.casework.inbox.listing import local_midnight
from engine.people.permissions import REASSIGNERS, Principal, require
from engine.store.models import CaseTask, Centre, Membership, User
from engine.store.uow import UnitOfWork


@dataclass(frozen=True)
class WorkerLoad:
    user_id: int
    name: str
    role: str
    centre_id: int
    centre_name: str
    open: int
    overdue: int
    due_week: int


def team_workload(uow: UnitOfWork, who: Principal) -> list[WorkerLoad]:
    """Every active member of the caller's led centres, with their open, overdue and due-this-week tasks."""
    centres = who.centres_with(REASSIGNERS)
    require(bool(centres), "the workload view is for case leads and managers")
    now = uow.clock.now()
    week_end = local_midnight(now, 7)

    def total(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    held = and_(
        CaseTask.status == "open",
        CaseTask.assignee_id == Membership.user_id,
        CaseTask.centre_id == Membership.centre_id,
    )
    rows = uow.session.execute(
        select(
            User.id,
            func.coalesce(func.nullif(User.display_name, ""), User.username),
            Membership.role,
            Centre.id,
            Centre.name,
            func.count(CaseTask.id),
            total(CaseTask.due_at < now),
            total(and_(CaseTask.due_at >= now, CaseTask.due_at < week_end)),
        )
        .select_from(Membership)
        .join(User, User.id == Membership.user_id)
        .join(Centre, Centre.id == Membership.centre_id)
        .outerjoin(CaseTask, held)
        .where(Membership.centre_id.in_(centres), User.active.is_(True))
        .group_by(User.id, User.display_name, User.username, Membership.role, Centre.id, Centre.name)
        .order_by(Centre.name, func.count(CaseTask.id).desc(), User.display_name, User.username)
    ).all()
    return [WorkerLoad(*(row[:5]), *(int(value) for value in row[5:])) for row in rows]
