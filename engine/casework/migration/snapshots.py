"""A case as it was before a migration, kept to revert it: its state, its open task rows and its
pending deadline rows, column by column, as JSON. Reverting writes them back as they were, removes
the rows the migration added, and keeps what people did on the tasks since (their holder and draft).
"""

from __future__ import annotations

import base64
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, LargeBinary, delete, select

from engine.store.models import Case, CaseTask, Deadline, UTCDateTime
from engine.store.uow import UnitOfWork

CASE_COLUMNS = (
    "pathway_version_id", "workflow_state", "serializer_version", "status", "closed_at", "left_at",
    "incident_element", "incident_message", "incident_expression", "incident_problem",
)  # fmt: skip
# What people do on an open task while the case stays where it is: a revert keeps it.
KEPT_ON_TASKS = (
    "assignee_id",
    "draft",
    "follow_up_on",
    "follow_up_sent_on",
    "due_soon_sent_for",
    "overdue_sent_for",
)


def _dump(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"b64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _load(column: Any, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column.type, LargeBinary):
        return base64.b64decode(value["b64"])
    if isinstance(column.type, UTCDateTime):
        return datetime.fromisoformat(value)
    if isinstance(column.type, Date):
        return date.fromisoformat(value)
    return value


def _row(item: Any, names: tuple[str, ...] | None = None) -> dict[str, Any]:
    columns = item.__table__.columns
    return {c.key: _dump(getattr(item, c.key)) for c in columns if names is None or c.key in names}


def take(uow: UnitOfWork, case: Case) -> dict[str, Any]:
    tasks = uow.session.scalars(
        select(CaseTask).where(CaseTask.case_id == case.id, CaseTask.status == "open")
    )
    pending = uow.session.scalars(
        select(Deadline).where(Deadline.case_id == case.id, Deadline.status == "pending")
    )
    return {
        "case": _row(case, CASE_COLUMNS),
        "tasks": [_row(task) for task in tasks],
        "deadlines": [_row(deadline) for deadline in pending],
    }


def remember_inserted(uow: UnitOfWork, case: Case, snapshot: dict[str, Any]) -> None:
    """Note in the snapshot the rows the migration added (a revert removes them)."""
    had_tasks = {item["id"] for item in snapshot["tasks"]}
    had_deadlines = {item["id"] for item in snapshot["deadlines"]}
    tasks = uow.session.scalars(
        select(CaseTask.id).where(CaseTask.case_id == case.id, CaseTask.status == "open")
    )
    pending = uow.session.scalars(
        select(Deadline.id).where(Deadline.case_id == case.id, Deadline.status == "pending")
    )
    snapshot["inserted_tasks"] = sorted(set(tasks) - had_tasks)
    snapshot["inserted_deadlines"] = sorted(set(pending) - had_deadlines)


def restore(uow: UnitOfWork, case: Case, snapshot: dict[str, Any]) -> None:
    """Write the case, its task rows and its deadline rows back as the snapshot has them."""
    session = uow.session
    if snapshot.get("inserted_tasks"):
        session.execute(delete(CaseTask).where(CaseTask.id.in_(snapshot["inserted_tasks"])))
    if snapshot.get("inserted_deadlines"):
        session.execute(delete(Deadline).where(Deadline.id.in_(snapshot["inserted_deadlines"])))
    columns = Case.__table__.columns
    for name, value in snapshot["case"].items():
        setattr(case, name, _load(columns[name], value))
    _put_back(uow, CaseTask, snapshot["tasks"], KEPT_ON_TASKS)
    _put_back(uow, Deadline, snapshot["deadlines"], ())
    session.flush()
    session.expire(case, ["pathway_version"])


def _put_back(
    uow: UnitOfWork, model: type[CaseTask] | type[Deadline], rows: list[dict[str, Any]], kept: tuple[str, ...]
) -> None:
    columns = model.__table__.columns
    for values in rows:
        item = uow.session.get(model, values["id"])
        if item is None:
            continue
        for name, value in values.items():
            if name not in kept:
                setattr(item, name, _load(columns[name], value))
