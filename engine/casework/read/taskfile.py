"""One task as its page shows it: the task, its case, its data or draft, and what else is open now.

Drafts are saved by ``engine.casework.drafts.save_draft``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from engine.casework.read.casefile import TaskSummary, record_read, task_query, task_summary
from engine.casework.task_notes import CommentView, comments_of
from engine.errors import NotFound
from engine.pathways.names import english_names_of_version
from engine.people.permissions import Principal, can_view_task
from engine.store.models import Case, CaseTask
from engine.store.uow import UnitOfWork


@dataclass(frozen=True)
class TaskView:
    task: TaskSummary
    case_id: str
    case_number: str
    display_name: str
    case_status: str
    data: dict[str, Any] | None
    draft: dict[str, Any] | None
    case_open_tasks: list[TaskSummary] = field(default_factory=list)
    comments: list[CommentView] = field(default_factory=list)
    follow_up_on: date | None = None
    can_follow_up: bool = False  # the reader holds the open task: the follow-up date is theirs to set
    pathway_version_id: int = 0  # the case's: its forms are those this version was deployed with


def read_task(uow: UnitOfWork, who: Principal, task_public_id: str) -> TaskView:
    """A task with its form data or draft, and the case's open tasks (what comes next); records the read."""
    view, case = _task_view(uow, who, task_public_id)
    record_read(uow, who, case, {"view": "task", "task": view.task.public_id})
    return view


def completed_task(uow: UnitOfWork, who: Principal, task_public_id: str) -> TaskView:
    """The task its caller has just completed, and what comes next: no read is recorded.

    The completion's own audit entry (``task.complete``) already says who touched the case; the
    data shown back are the caller's own, so a second entry (``case.read``) would only double the trail.
    """
    return _task_view(uow, who, task_public_id)[0]


def _task_view(uow: UnitOfWork, who: Principal, task_public_id: str) -> tuple[TaskView, Case]:
    row = uow.session.execute(task_query(CaseTask.public_id == task_public_id)).first()
    if row is None or not can_view_task(who, row[0]):
        raise NotFound("task not found")
    task: CaseTask = row[0]
    case = uow.session.get(Case, task.case_id)
    assert case is not None
    open_rows = uow.session.execute(
        task_query((CaseTask.case_id == case.id) & (CaseTask.status == "open"))
    ).all()
    names_en = english_names_of_version(uow, case.pathway_version_id)
    view = TaskView(
        task=task_summary(who, row, names_en),
        case_id=case.public_id,
        case_number=case.number,
        display_name=case.display_name,
        case_status=case.status,
        data=task.data,
        draft=task.draft,
        case_open_tasks=[task_summary(who, r, names_en) for r in open_rows],
        comments=comments_of(uow, task.id),
        follow_up_on=task.follow_up_on,
        can_follow_up=task.status == "open" and who.user_id is not None and task.assignee_id == who.user_id,
        pathway_version_id=case.pathway_version_id,
    )
    return view, case
