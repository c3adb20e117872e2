"""Reminders to a task's holder, found by the sweep: due tomorrow, overdue, and the follow-up day.

Each runs on the open tasks someone holds, by index (``ix_case_task_status_due``,
``ix_case_task_status_follow_up``), and marks the task with what it told: the due date it warned of
(``due_soon_sent_for``, ``overdue_sent_for``) or the follow-up date (``follow_up_sent_on``). A task
whose due date moves is warned again for the new date; a second sweep, or a duplicate message, finds
the mark and sends nothing. Notifications are rows in the caller's transaction; e-mails after commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, select

from engine.clock import local_date
from engine.notify.messages import TASK_DUE_SOON, TASK_FOLLOW_UP, TASK_OVERDUE
from engine.notify.notifications import notify_users
from engine.store.models import Case, CaseTask, User
from engine.store.uow import UnitOfWork

DAY_BEFORE = timedelta(hours=24)
BATCH = 500  # per kind and run; a backlog drains over the next sweeps


@dataclass(frozen=True)
class RemindersSent:
    due_soon: int
    overdue: int
    follow_up: int

    @property
    def total(self) -> int:
        return self.due_soon + self.overdue + self.follow_up


def send_reminders(uow: UnitOfWork) -> RemindersSent:
    """Notify holders of tasks due within a day, of tasks just overdue, and of today's follow-ups."""
    now = uow.clock.now()
    today = local_date(now)
    held_open = (CaseTask.status == "open", CaseTask.assignee_id.is_not(None))
    soon = _tell(
        uow,
        TASK_DUE_SOON,
        [
            *held_open,
            CaseTask.due_at > now,
            CaseTask.due_at <= now + DAY_BEFORE,
            _not_told(CaseTask.due_soon_sent_for),
        ],
        lambda task: setattr(task, "due_soon_sent_for", task.due_at),
    )
    overdue = _tell(
        uow,
        TASK_OVERDUE,
        [*held_open, CaseTask.due_at <= now, _not_told(CaseTask.overdue_sent_for)],
        lambda task: setattr(task, "overdue_sent_for", task.due_at),
    )
    follow_up = _tell(
        uow,
        TASK_FOLLOW_UP,
        [
            *held_open,
            CaseTask.follow_up_on <= today,
            or_(CaseTask.follow_up_sent_on.is_(None), CaseTask.follow_up_sent_on != CaseTask.follow_up_on),
        ],
        lambda task: setattr(task, "follow_up_sent_on", task.follow_up_on),
    )
    return RemindersSent(soon, overdue, follow_up)


def _not_told(mark: Any) -> ColumnElement[bool]:
    return or_(mark.is_(None), mark != CaseTask.due_at)


def _tell(uow: UnitOfWork, kind: str, where: list[Any], mark: Any) -> int:
    rows = uow.session.execute(
        select(CaseTask, Case, User)
        .join(Case, Case.id == CaseTask.case_id)
        .join(User, User.id == CaseTask.assignee_id)
        .where(*where, Case.status == "open")
        .order_by(CaseTask.id)
        .limit(BATCH)
        .with_for_update(of=CaseTask, skip_locked=True)
    ).all()
    for task, case, user in rows:
        params = {"number": case.number, "task": task.name, "task_id": task.public_id}
        notify_users(uow, [user], kind, params, case, link=f"/tasks/{task.public_id}")
        mark(task)
    uow.session.flush()
    return len(rows)
