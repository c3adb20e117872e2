"""Drafts: unfinished form data kept on an open task, for its holder to finish later."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from engine.audit.chain import record
from engine.casework.cases import forms_of_task
from engine.errors import ConcurrencyConflict, NotFound, ValidationFailed
from engine.pathways.forms import FormCatalog
from engine.people.permissions import Principal, can_save_draft, can_view_task, require
from engine.store.models import CaseTask
from engine.store.uow import UnitOfWork

MAX_DRAFT_BYTES = 200_000


def save_draft(
    uow: UnitOfWork, who: Principal, task_public_id: str, data: Any, forms: FormCatalog
) -> CaseTask:
    """Keep unfinished form data on the task; only known fields, no other validation."""
    task = uow.session.scalar(select(CaseTask).where(CaseTask.public_id == task_public_id))
    if task is None or not can_view_task(who, task):
        raise NotFound("task not found")
    if task.status != "open":
        raise ConcurrencyConflict(f"the task is {task.status}; the draft was not saved")
    require(can_save_draft(who, task), "this task is for another role or another person")
    _check_draft(task, data, forms_of_task(uow, task, forms))
    task.draft = dict(data)
    record(
        uow.session,
        uow.clock.now(),
        who,
        "task.draft",
        case_id=task.case_id,
        subject=task.name,
        detail={"task": task.public_id, "fields": sorted(data)},
    )
    return task


def _check_draft(task: CaseTask, data: Any, forms: FormCatalog) -> None:
    if not isinstance(data, dict):
        raise ValidationFailed("a draft must be an object", {"data": ["must be an object"]})
    known = set(forms.get(task.form_key).schema.get("properties", {})) if task.form_key else set()
    unknown = sorted(str(name) for name in data if name not in known)
    if unknown:
        raise ValidationFailed("unknown fields", {name: ["unknown field"] for name in unknown})
    if len(json.dumps(data, default=str)) > MAX_DRAFT_BYTES:
        raise ValidationFailed("the draft is too large", {"data": ["too large"]})
