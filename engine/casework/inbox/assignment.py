"""Taking, releasing and reassigning tasks: compare-and-set updates, audited one by one.

The audit entry of a reassignment names whom the task went to (``to``: a username, or "" when it was
released); the new holder is notified (``task.assigned``) in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from engine.audit.chain import record
from engine.errors import ConcurrencyConflict, NotFound, ValidationFailed
from engine.notify.messages import TASK_ASSIGNED
from engine.notify.notifications import notify_users
from engine.people.permissions import (
    REASSIGNERS,
    Principal,
    can_be_assigned,
    can_claim,
    can_reassign,
    can_unclaim,
    can_view_task,
    require,
)
from engine.store.models import Case, CaseTask, Membership, User
from engine.store.uow import UnitOfWork


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
    to = target.username if target is not None else ""
    _audit(uow, who, "task.reassign", task, {"from": _username(uow, previous), "to": to})
    if target is not None and target.id != who.user_id:
        _tell_new_holder(uow, task, target)
    return task


def _tell_new_holder(uow: UnitOfWork, task: CaseTask, target: User) -> None:
    case = uow.session.get(Case, task.case_id)
    assert case is not None
    params = {"number": case.number, "task": task.name, "task_id": task.public_id}
    notify_users(uow, [target], TASK_ASSIGNED, params, case, link=f"/tasks/{task.public_id}")


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
    user_id: int = 0


def assignee_options(uow: UnitOfWork, who: Principal) -> dict[tuple[int, str], list[Assignee]]:
    """Colleagues a case lead or manager may give tasks to, by (centre id, role): one query."""
    centres = who.centres_with(REASSIGNERS)
    if not centres:
        return {}
    rows = uow.session.execute(
        select(Membership.centre_id, Membership.role, User.username, User.display_name, User.id)
        .join(User, User.id == Membership.user_id)
        .where(Membership.centre_id.in_(centres), User.active.is_(True))
        .order_by(User.display_name, User.username)
    )
    options: dict[tuple[int, str], list[Assignee]] = {}
    for centre_id, role, username, name, user_id in rows:
        options.setdefault((centre_id, role), []).append(Assignee(username, name or username, user_id))
    return options
