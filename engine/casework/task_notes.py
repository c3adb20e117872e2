"""What people add to a task besides its form: comments, and a follow-up date its holder sets.

A comment is a note on a task by anyone who may read its case (its author, time and text kept as
written, never edited); each one is audited (``task.comment``) and shown on the task page and the
case's timeline. A follow-up date is a reminder the holder sets for themself: the inbox shows it, and
on that day the reminder sweep (``engine.casework.reminders``) notifies the holder.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from engine.audit.chain import record
from engine.clock import local_date
from engine.errors import ConcurrencyConflict, NotFound, ValidationFailed
from engine.people.permissions import Principal, can_view_task, require
from engine.store.models import CaseTask, TaskComment, User
from engine.store.uow import UnitOfWork

MAX_COMMENT = 2000
MAX_FOLLOW_UP_DAYS = 366  # a reminder further off is a typo (2062 for 2026)


@dataclass(frozen=True)
class CommentView:
    author: str
    at: datetime
    body: str


def _task(uow: UnitOfWork, who: Principal, task_public_id: str) -> CaseTask:
    task = uow.session.scalar(select(CaseTask).where(CaseTask.public_id == task_public_id))
    if task is None or not can_view_task(who, task):
        raise NotFound("task not found")  # another centre's task does not exist for this user
    return task


def add_comment(uow: UnitOfWork, who: Principal, task_public_id: str, body: str) -> TaskComment:
    """A comment on a task, open or done: whoever may read the case may comment on its tasks."""
    task = _task(uow, who, task_public_id)
    text = body.strip()
    if not text:
        raise ValidationFailed("a comment needs text", {"body": ["required"]})
    if len(text) > MAX_COMMENT:
        raise ValidationFailed("the comment is too long", {"body": [f"at most {MAX_COMMENT} characters"]})
    now = uow.clock.now()
    comment = TaskComment(
        task_id=task.id, case_id=task.case_id, author_id=who.user_id, created_at=now, body=text
    )
    uow.session.add(comment)
    uow.session.flush()
    record(
        uow.session,
        now,
        who,
        "task.comment",
        case_id=task.case_id,
        subject=task.name,
        detail={"task": task.public_id, "comment": comment.id},
    )
    return comment


def comments_of(uow: UnitOfWork, task_id: int) -> list[CommentView]:
    """A task's comments, oldest first, with their authors' names (the caller checked the reader)."""
    rows = uow.session.execute(
        select(
            func.coalesce(func.nullif(User.display_name, ""), User.username, ""),
            TaskComment.created_at,
            TaskComment.body,
        )
        .outerjoin(User, User.id == TaskComment.author_id)
        .where(TaskComment.task_id == task_id)
        .order_by(TaskComment.created_at, TaskComment.id)
    ).all()
    return [CommentView(author, at, body) for author, at, body in rows]


def comment_texts(uow: UnitOfWork, ids: list[int]) -> dict[int, str]:
    """Comment texts by id, for the timeline's ``task.comment`` entries."""
    if not ids:
        return {}
    rows = uow.session.execute(select(TaskComment.id, TaskComment.body).where(TaskComment.id.in_(ids)))
    return {comment_id: body for comment_id, body in rows}


def set_follow_up(uow: UnitOfWork, who: Principal, task_public_id: str, day: date | None) -> CaseTask:
    """Set (or clear, with None) the follow-up date of an open task its caller holds."""
    task = _task(uow, who, task_public_id)
    if task.status != "open":
        raise ConcurrencyConflict(f"the task is {task.status}")
    require(
        who.user_id is not None and task.assignee_id == who.user_id,
        "only the one who holds the task sets its follow-up date",
    )
    today = local_date(uow.clock.now())
    if day is not None and not 0 <= (day - today).days <= MAX_FOLLOW_UP_DAYS:
        raise ValidationFailed(
            "the follow-up date is out of range",
            {"follow_up_on": [f"a date from today to {MAX_FOLLOW_UP_DAYS} days ahead"]},
        )
    task.follow_up_on, task.follow_up_sent_on = day, None
    uow.session.flush()
    detail = {"task": task.public_id, "on": day.isoformat() if day is not None else ""}
    record(
        uow.session,
        uow.clock.now(),
        who,
        "task.follow_up",
        case_id=task.case_id,
        subject=task.name,
        detail=detail,
    )
    return task
