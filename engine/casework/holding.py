"""Who completes a task: only its holder. Completing an unclaimed task of one's role takes it in the
same transaction (audited as ``task.claim`` with ``"with": "complete"``), so no completed task is left
without a holder; the task page says so before the worker submits. And what a second completer is told.
"""

from __future__ import annotations

from engine.audit.chain import record
from engine.clock import isoformat_local
from engine.people.permissions import Principal
from engine.store.models import CaseTask, User
from engine.store.uow import UnitOfWork


def take_for_completion(who: Principal, task: CaseTask) -> bool:
    """Make the completer the holder (``can_complete`` was checked under the case lock); whether it
    took the task. No statement of its own: the completion's UPDATE carries the holder too."""
    if task.assignee_id is not None or who.user_id is None:
        return False
    task.assignee_id = who.user_id
    return True


def record_taken(uow: UnitOfWork, who: Principal, task: CaseTask, taken: bool) -> None:
    if taken:
        detail = {"task": task.public_id, "with": "complete"}
        record(
            uow.session,
            uow.clock.now(),
            who,
            "task.claim",
            case_id=task.case_id,
            subject=task.name,
            detail=detail,
        )


def already_done(uow: UnitOfWork, task: CaseTask) -> str:
    """Who completed the task first and when (the caller may read the case: checked before)."""
    if task.status == "completed" and task.completed_at is not None:
        user = uow.session.get(User, task.completed_by_id) if task.completed_by_id is not None else None
        by = (user.display_name or user.username) if user is not None else "the system"
        return f"already completed by {by} at {isoformat_local(task.completed_at)}"
    return f"the task is {task.status}"
