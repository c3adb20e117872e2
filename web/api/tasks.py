"""``/api/v1/tasks``: the caller's inbox, claiming a task, completing it with its form data."""

from __future__ import annotations

from typing import Any

from engine.casework import inbox
from engine.casework.cases import complete_task
from engine.casework.read import taskfile
from engine.casework.read.casefile import task_query, task_summary
from engine.people.centres import find_centre
from engine.people.permissions import can_use_inbox, require
from engine.store.models import CaseTask
from web.api.auth import caller
from web.api.base import api_blueprint, errors
from web.api.schemas import CompletedSchema, CompleteSchema, InboxPageSchema, InboxQuerySchema, TaskSchema
from web.db import current_services, reads_only, request_uow

blp = api_blueprint("tasks", "The inbox and the work on tasks")
NO_CENTRE = 0  # no centre has id 0: an unknown centre code matches no task


@blp.get("/tasks")
@blp.arguments(InboxQuerySchema, location="query", as_kwargs=True)
@blp.response(200, InboxPageSchema)
@errors(blp, 403, 422)
@reads_only
def list_tasks(page: int, page_size: int, centre: str, **filters: Any) -> dict[str, Any]:
    """The caller's inbox: overdue first, then by due date; the same filters as the inbox page."""
    who = caller()
    require(can_use_inbox(who), "the inbox is for staff who work on cases")
    uow = request_uow()
    centre_id = None
    if centre:
        found = find_centre(uow, centre)
        centre_id = found.id if found is not None else NO_CENTRE
    result = inbox.list_inbox(uow, who, inbox.InboxFilters(centre_id=centre_id, **filters), page, page_size)
    return {
        "items": result.rows,
        "counts": result.counts,
        "page": result.page,
        "page_size": result.per_page,
        "total": result.counts.matching,
    }


@blp.post("/tasks/<task_id>/claim")
@blp.response(200, TaskSchema)
@errors(blp, 403, 404, 409)
def claim_task(task_id: str) -> Any:
    """Take an unclaimed task of your role; claiming your own task again changes nothing."""
    who = caller()
    task = inbox.claim(request_uow(), who, task_id)
    return _summary(task.id)


@blp.post("/tasks/<task_id>/complete")
@blp.arguments(CompleteSchema)
@blp.response(200, CompletedSchema)
@errors(blp, 400, 403, 404, 409, 422, 503)
def complete(body: dict[str, Any], task_id: str) -> dict[str, Any]:
    """Complete a task with its form's data and move the case on.

    422 names each field that does not fit the form's JSON Schema; 409 says who completed the
    task first and when. Nothing is stored on any error.
    """
    who = caller()
    uow = request_uow()
    complete_task(uow, who, task_id, body["data"], current_services().forms)
    view = taskfile.completed_task(uow, who, task_id)
    return {
        "task": view.task,
        "case": {"id": view.case_id, "number": view.case_number, "display_name": view.display_name},
        "case_status": view.case_status,
        "next_tasks": view.case_open_tasks,
    }


def _summary(task_pk: int) -> Any:
    row = request_uow().session.execute(task_query(CaseTask.id == task_pk)).one()
    return task_summary(caller(), row)
