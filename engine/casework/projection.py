"""Read models kept in step with a case's workflow: inbox rows and deadline rows.

Called after every workflow step, in the same transaction, so the inbox and the timer sweep never see
a state the workflow does not have. A step changes few rows: the rows are diffed in memory against
the workflow (only ids and keys are read) and what changed is written in one statement per kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update

from engine.audit.chain import record
from engine.bpmn import events, spiff, state
from engine.bpmn.due import task_due
from engine.bpmn.expressions.evaluator import Evaluator
from engine.bpmn.properties import OPENED, STARTED
from engine.casework.escalations import announce_escalations
from engine.clock import is_duration
from engine.errors import ExpressionError
from engine.notify.notifications import (
    DEADLINE_FIRED,
    PATHWAY_THREW,
    deadline_params,
    notify_roles,
    recipients,
    thrown_params,
)
from engine.pathways.versions import parsed_version
from engine.people.permissions import SYSTEM
from engine.people.roles import resolve_role, resolve_roles
from engine.store.models import Case, CaseTask, Deadline, Notification
from engine.store.uow import UnitOfWork

DAY = timedelta(hours=24)  # the daily caps count the last 24 hours


def sync_case(uow: UnitOfWork, case: Case, workflow: spiff.Workflow) -> None:
    """Bring the read models in line; a due date that fails or a daily cap raises RuntimeFailure."""
    _announce_thrown(uow, case, workflow)  # marks what it announced in the state dumped below
    case.workflow_state, case.serializer_version = state.dump_state(workflow), state.SERIALIZER_VERSION
    now = uow.clock.now()
    if case.status == "closed":
        cancel_open_work(uow, case)
        return
    ready, waiting = spiff.ready_human_tasks(workflow), spiff.waiting_timers(workflow)
    # a message waits for a person who may deliver it (the case page's button): the case is not stuck
    if not ready and not waiting and not events.waiting_messages(workflow):
        # never wait silently for a signal that may not come: say so
        signals = ", ".join(spiff.waited_signals(workflow))
        raise spiff.RuntimeFailure(case.pathway_version.process_id, "stuck", signals, workflow)
    _sync_tasks(uow, case, ready, now, workflow)
    _sync_deadlines(uow, case, waiting, now)
    uow.session.flush()


def _sync_tasks(
    uow: UnitOfWork, case: Case, ready: list[spiff.HumanTask], now: datetime, workflow: Any
) -> None:
    """Diff the open rows (ids only) against the ready tasks; cancel and insert in one statement each."""
    open_rows: dict[str, int] = {
        task_id: row_id
        for task_id, row_id in uow.session.execute(
            select(CaseTask.workflow_task_id, CaseTask.id).where(
                CaseTask.case_id == case.id, CaseTask.status == "open"
            )
        ).all()
    }
    ready_ids = {task.id for task in ready}
    # Every new row is built (and its due date computed) before anything changes: a failure parks the
    # case with its read models as they were.
    opened = [task for task in ready if task.id not in open_rows]
    new = [_new_row(uow, case, task, now, workflow) for task in opened]
    if new:
        _check_task_cap(uow, case, new[0]["element_id"], len(new), now, workflow)
    # interrupted (a boundary event) or gone with its sub-process
    _set_status(uow, CaseTask, [row for task, row in open_rows.items() if task not in ready_ids], "cancelled")
    if new:
        uow.session.execute(insert(CaseTask), new)
        announce_escalations(uow, case, opened)


def _set_status(uow: UnitOfWork, model: type[CaseTask] | type[Deadline], ids: list[int], status: str) -> None:
    if ids:  # an ORM update: rows already loaded in the session see the new status too
        uow.session.execute(update(model).where(model.id.in_(ids)).values(status=status))


def _check_task_cap(
    uow: UnitOfWork, case: Case, element: str, adding: int, now: datetime, workflow: Any
) -> None:
    since = now - DAY
    query = select(func.count()).where(CaseTask.case_id == case.id, CaseTask.created_at > since)
    if (uow.session.scalar(query) or 0) + adding > uow.limits.max_tasks_per_day:
        raise spiff.RuntimeFailure(element, "task_cap", "", workflow)


def _check_notification_cap(uow: UnitOfWork, case: Case, element: str, adding: int) -> None:
    since = uow.clock.now() - DAY
    query = select(func.count()).where(Notification.case_id == case.id, Notification.created_at > since)
    if (uow.session.scalar(query) or 0) + adding > uow.limits.max_notifications_per_day:
        raise spiff.RuntimeFailure(element, "notification_cap")


def _new_row(
    uow: UnitOfWork, case: Case, task: spiff.HumanTask, now: datetime, workflow: Any
) -> dict[str, Any]:
    props = task.properties
    return {
        "case_id": case.id,
        "centre_id": case.centre_id,
        "workflow_task_id": task.id,
        "element_id": task.element_id,
        "name": task.name[:300],
        "role": resolve_role(props.role or task.lane or "") or "case_lead",
        "form_key": props.form,
        "created_at": now,
        "due_at": _due(uow, task, now, workflow),
        "legal_source": props.legal_source[:300],
        **_counted(props.due if is_duration(props.due) else "", props.due_from),
        "ends_stay": props.ends_stay,
        "item_label": _item_label(uow, task, workflow),
        "status": "open",
        "draft": spiff.prefill_of(task) or None,
    }


def _due(uow: UnitOfWork, task: spiff.HumanTask, now: datetime, workflow: Any) -> datetime | None:
    """A task's due date (see :mod:`engine.bpmn.due`). One that cannot be computed parks the case
    (RuntimeFailure) instead of leaving the task without the due date its pathway asks for."""
    try:
        return task_due(task.properties, task.data, now, Evaluator(uow.clock))
    except ExpressionError as error:
        raise spiff.RuntimeFailure(task.element_id, "due_date", task.properties.due, workflow) from error


def _item_label(uow: UnitOfWork, task: spiff.HumanTask, workflow: Any) -> str:
    """Which item a multi-instance task is for (its ``item_label``); one that fails parks the case."""
    expression = task.properties.item_label
    if not expression:
        return ""
    try:
        value = Evaluator(uow.clock).evaluate(expression, task.data)
    except ExpressionError as error:
        raise spiff.RuntimeFailure(task.element_id, error.problem, expression, workflow) from error
    return str(value)[:200]


@dataclass(frozen=True)
class DeadlineScheduled:
    """After commit: new deadline rows, the earliest due at ``due_at`` (wakes the embedded sweeper)."""

    due_at: datetime


def _sync_deadlines(uow: UnitOfWork, case: Case, waiting: list[spiff.WaitingTimer], now: datetime) -> None:
    """Diff the pending rows against the waiting timers: fire, cancel and insert only what changed."""
    pending = uow.session.execute(
        select(Deadline.id, Deadline.element_id, Deadline.due_at).where(
            Deadline.case_id == case.id, Deadline.status == "pending"
        )
    ).all()
    wanted = {(timer.element_id, timer.due_at): timer for timer in waiting}
    cancelled = []
    for row_id, element_id, due_at in pending:
        if wanted.pop((element_id, due_at), None) is not None:
            continue
        if due_at <= now:
            _fire(uow, case, row_id, now)  # it fired inside this step
        else:
            cancelled.append(row_id)  # its activity ended before it fell due
    _set_status(uow, Deadline, cancelled, "cancelled")
    if wanted:
        uow.session.execute(insert(Deadline), [_new_deadline(case, timer, now) for timer in wanted.values()])
        uow.emit(DeadlineScheduled(min(timer.due_at for timer in wanted.values())))


def _fire(uow: UnitOfWork, case: Case, row_id: int, now: datetime) -> None:
    row = uow.session.get_one(Deadline, row_id)
    row.status, row.fired_at = "fired", now
    announce_fired(uow, case, row)


def _new_deadline(case: Case, timer: spiff.WaitingTimer, now: datetime) -> dict[str, Any]:
    return {
        "case_id": case.id,
        "element_id": timer.element_id,
        "kind": timer.name[:300],
        "due_at": timer.due_at,
        "legal_source": timer.properties.legal_source[:300],
        **_counted(timer.written, timer.properties.due_from or STARTED.name),
        "status": "pending",
        "created_at": now,
    }


def _counted(duration: str, anchor: str) -> dict[str, str]:
    """How a due date was counted, for the case page: the duration and its anchor (both "" if computed)."""
    if not duration:
        return {"due_duration": "", "due_from": ""}
    return {"due_duration": duration[:40], "due_from": (anchor or OPENED)[:40]}


def announce_fired(uow: UnitOfWork, case: Case, row: Deadline) -> None:
    """Audit a deadline that fired (with its lateness) and notify the roles its timer names in ``notify``."""
    fired_at = row.fired_at or uow.clock.now()
    record(
        uow.session,
        fired_at,
        SYSTEM,
        "deadline.fired",
        case_id=case.id,
        subject=row.kind,
        detail={
            "deadline": row.id,
            "element": row.element_id,
            "lateness_seconds": round((fired_at - row.due_at).total_seconds(), 3),
        },
    )
    props = spiff.event_properties_of(parsed_version(case.pathway_version), row.element_id)
    roles = resolve_roles(props.notify)
    if roles:
        _check_notification_cap(uow, case, row.element_id, len(recipients(uow, case.centre_id, roles)))
        notify_roles(uow, case, roles, DEADLINE_FIRED, deadline_params(case.number, row.kind, props.name_en))


def _announce_thrown(uow: UnitOfWork, case: Case, workflow: spiff.Workflow) -> None:
    """Send tasks and throw events the last step reached: audited, and the roles they name notified.

    The notification says the case number and the element's name from the diagram, never a value of
    the case (whoever holds the role may not open the case).
    """
    for thrown in events.collect_thrown(workflow):
        record(
            uow.session,
            uow.clock.now(),
            SYSTEM,
            "case.thrown",
            case_id=case.id,
            subject=thrown.label[:200],
            detail={"element": thrown.element_id, "kind": thrown.kind, "name": thrown.name},
        )
        roles = resolve_roles(thrown.properties.notify)
        if roles:
            _check_notification_cap(uow, case, thrown.element_id, len(recipients(uow, case.centre_id, roles)))
            params = thrown_params(case.number, thrown.label, thrown.properties.name_en)
            notify_roles(uow, case, roles, PATHWAY_THREW, params)


def cancel_open_work(uow: UnitOfWork, case: Case) -> None:
    """A closed case has no open tasks and no pending deadlines left."""
    uow.session.execute(
        update(CaseTask)
        .where(CaseTask.case_id == case.id, CaseTask.status == "open")
        .values(status="cancelled")
    )
    uow.session.execute(
        update(Deadline)
        .where(Deadline.case_id == case.id, Deadline.status == "pending")
        .values(status="cancelled")
    )
    uow.session.flush()
