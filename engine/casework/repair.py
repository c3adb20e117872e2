"""Repairing a case by hand: suspend and resume it, move its token, cancel a waiting timer.

Coordinators and managers of the case's centre do it (``can_repair_case``), each action with a reason
that the audit keeps and the case's timeline shows. A coordinator reads no case content: the repair page
(``engine.casework.read.repair_view``) shows the case number, where the case is (element names) and
dates, nothing more.

While a case is **suspended** its timers hold: the sweep does not find its deadlines
(``engine.casework.deadlines``), reminders skip it, and its tasks cannot be completed. On resume each
clock follows :func:`shifts_on_resume`, the one rule (see docs/operations.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from engine.audit.chain import record
from engine.bpmn import repair, spiff
from engine.bpmn.properties import OPENED, STARTED
from engine.casework.cases import drive, load_workflow, lock_case
from engine.casework.projection import DeadlineScheduled
from engine.errors import NotFound, ValidationFailed
from engine.people.permissions import Principal, can_repair_case, can_view_case, require
from engine.store.models import Case, CaseTask, Deadline
from engine.store.uow import UnitOfWork

# --- the rule on resume --------------------------------------------------------------------------------

# A duration counted from when its step began (a task's ``opened``, a timer's ``started``) measures time
# the case spends at that step: the time it was held does not count, so it moves later by that time. A
# date, or a duration counted from a date in the case (``admitted_at``, ``referral_date`` ...), is the
# law's clock: it keeps its date, and fires at once on resume if it fell due while the case was held.
HELD_TIME_EXCLUDED_FROM = frozenset({OPENED, STARTED.name})


def shifts_on_resume(duration: str, anchor: str) -> bool:
    """Whether a clock written as ``duration`` (empty for a date or a computed value), counted from
    ``anchor``, moves later by the time its case was suspended. The one declaration of the rule."""
    return bool(duration) and anchor in HELD_TIME_EXCLUDED_FROM


# --- field messages (stable English; web/field_messages.py translates them) -----------------------------

MAX_REASON = 500
REASON_REQUIRED = "a reason is required"
REASON_TOO_LONG = f"at most {MAX_REASON} characters"
REASON_UNSTORABLE = "a character that cannot be kept (NUL or a lone surrogate)"
NOT_A_TARGET = "not a step the case can be moved to now"
NOT_REACHED = "the pathway cannot reach this step from where the case is by skipping tasks"
MOVE_FAILS = "moving there stops the case at an error of the pathway"
ERROR_REMAINS = "the step that failed is not behind this one: run the case again, or move back before it"
NOT_PENDING = "not a waiting timer of this case"
WOULD_STOP = "the case waits for nothing else: cancelling this timer would stop it"
CASE_CLOSED = "the case is closed"
NOT_SUSPENDED = "the case is not suspended"
SUSPENDED = "the case is suspended: resume it first"
NOT_RUNNING = "the case is stopped by an error: run it again first"

_REFUSALS = {
    "not_offered": NOT_A_TARGET,
    "not_reached": NOT_REACHED,
    "error_remains": ERROR_REMAINS,
    "not_waiting": NOT_PENDING,
    "would_stop": WOULD_STOP,
}


def check_reason(reason: str) -> dict[str, list[str]]:
    text = reason.strip()
    if not text:
        return {"reason": [REASON_REQUIRED]}
    if len(text) > MAX_REASON:
        return {"reason": [REASON_TOO_LONG]}
    if "\x00" in text or any("\ud800" <= char <= "\udfff" for char in text):
        return {"reason": [REASON_UNSTORABLE]}  # the audit's JSON on PostgreSQL cannot hold them
    return {}


def repairable(uow: UnitOfWork, who: Principal, public_id: str) -> Case:
    """The case, for one who may repair it; another centre's case does not exist (404)."""
    case = uow.session.scalar(select(Case).where(Case.public_id == public_id[:32]))
    if case is None or not (can_view_case(who, case) or can_repair_case(who, case)):
        raise NotFound("case not found")
    require(can_repair_case(who, case), "only a coordinator or the manager of the case's centre repairs it")
    return case


def _refuse(fields: dict[str, list[str]]) -> None:
    if fields:
        raise ValidationFailed(
            "nothing was changed: " + "; ".join(t for v in fields.values() for t in v), fields
        )


def _status_problem(case: Case, allowed: Iterable[str]) -> dict[str, list[str]]:
    if case.status in allowed:
        return {}
    text = {"closed": CASE_CLOSED, "suspended": SUSPENDED, "incident": NOT_RUNNING}.get(case.status, "")
    return {"case": [text or NOT_SUSPENDED]}


def _audit(uow: UnitOfWork, who: Principal, action: str, case: Case, subject: str, **detail: Any) -> None:
    record(uow.session, uow.clock.now(), who, action, case_id=case.id, subject=subject[:200], detail=detail)


# --- suspend and resume -----------------------------------------------------------------------------------


def suspend_case(uow: UnitOfWork, who: Principal, public_id: str, reason: str) -> Case:
    """Hold a running case: nothing of it fires or is completed until it is resumed."""
    case = repairable(uow, who, public_id)
    _refuse(check_reason(reason))
    case = lock_case(uow, case.id)
    _refuse(_status_problem(case, ("open",)))
    case.status, case.suspended_at = "suspended", uow.clock.now()
    uow.session.flush()
    _audit(uow, who, "case.suspend", case, case.number, reason=reason.strip())
    return case


@dataclass(frozen=True)
class Resumed:
    case: Case
    held: timedelta
    shifted: list[str]  # element ids of the clocks moved later by ``held``


def resume_case(uow: UnitOfWork, who: Principal, public_id: str, reason: str) -> Resumed:
    """Run a suspended case again; its clocks follow :func:`shifts_on_resume`.

    The clocks that keep their date and fell due while the case was held fire now, in this step.
    """
    case = repairable(uow, who, public_id)
    _refuse(check_reason(reason))
    case = lock_case(uow, case.id)
    _refuse({"case": [NOT_SUSPENDED]} if case.status != "suspended" else {})
    now = uow.clock.now()
    held = max(now - (case.suspended_at or now), timedelta(0))
    workflow = load_workflow(uow, case)
    moved = repair.shift_timers(workflow, held, shifts_on_resume)
    _shift_deadline_rows(uow, case, moved)
    shifted = [timer.element_id for timer in moved] + _shift_task_rows(uow, case, held)
    case.status, case.suspended_at = "open", None
    uow.session.flush()
    _audit(
        uow,
        who,
        "case.resume",
        case,
        case.number,
        reason=reason.strip(),
        held_seconds=round(held.total_seconds()),
        shifted=sorted(set(shifted)),
    )
    drive(uow, case, lambda: spiff.run(workflow))
    return Resumed(case, held, sorted(set(shifted)))


def _shift_deadline_rows(uow: UnitOfWork, case: Case, moved: list[repair.ShiftedTimer]) -> None:
    """The pending rows of the moved timers follow them (the sync then finds them unchanged)."""
    if not moved:
        return
    rows = list(
        uow.session.scalars(select(Deadline).where(Deadline.case_id == case.id, Deadline.status == "pending"))
    )
    for timer in moved:
        for row in rows:
            if row.element_id == timer.element_id and abs(row.due_at - timer.before) < timedelta(seconds=1):
                row.due_at = timer.after
    uow.emit(DeadlineScheduled(min(timer.after for timer in moved)))  # wakes the embedded sweeper


def _shift_task_rows(uow: UnitOfWork, case: Case, held: timedelta) -> list[str]:
    open_rows = uow.session.scalars(
        select(CaseTask).where(CaseTask.case_id == case.id, CaseTask.status == "open")
    )
    shifted = []
    for row in open_rows:
        if row.due_at is not None and shifts_on_resume(row.due_duration, row.due_from):
            row.due_at = row.due_at + held
            shifted.append(row.element_id)
    return shifted


# --- move the token ---------------------------------------------------------------------------------------


def move_case(uow: UnitOfWork, who: Principal, public_id: str, element_id: str, reason: str) -> Case:
    """Move the case's token to ``element_id`` of its own version: back to redo a step (its earlier
    answers become the draft), or forward, skipping the ready steps on the way. Data are kept."""
    case = repairable(uow, who, public_id)
    element_id = element_id.strip()[:200]
    fields = check_reason(reason) | ({} if element_id else {"element_id": [NOT_A_TARGET]})
    _refuse(fields)
    case = lock_case(uow, case.id)
    _refuse(_status_problem(case, ("open", "incident")))
    workflow = load_workflow(uow, case)
    targets = {target.element_id: target for target in repair.move_targets(workflow)}
    if element_id not in targets:
        _refuse({"element_id": [NOT_A_TARGET]})
    with _refused_as("element_id", NOT_A_TARGET):
        skipped = repair.move_to(workflow, element_id)
    earlier = _latest_answers(uow, case, element_id) if targets[element_id].direction == "back" else None
    drive(uow, case, lambda: workflow)
    if earlier:
        _prefill(uow, case, element_id, earlier)
    _audit(
        uow,
        who,
        "case.move",
        case,
        targets[element_id].name,
        reason=reason.strip(),
        element=element_id,
        direction=targets[element_id].direction,
        skipped=skipped,
    )
    return case


def _latest_answers(uow: UnitOfWork, case: Case, element_id: str) -> dict[str, Any] | None:
    data: dict[str, Any] | None = uow.session.scalar(
        select(CaseTask.data)
        .where(CaseTask.case_id == case.id, CaseTask.element_id == element_id, CaseTask.status == "completed")
        .order_by(CaseTask.completed_at.desc(), CaseTask.id.desc())
        .limit(1)
    )
    return data


def _prefill(uow: UnitOfWork, case: Case, element_id: str, answers: dict[str, Any]) -> None:
    """The step opened again starts from what was entered the last time it was done."""
    for row in uow.session.scalars(
        select(CaseTask).where(
            CaseTask.case_id == case.id, CaseTask.element_id == element_id, CaseTask.status == "open"
        )
    ):
        row.draft = {**answers, **(row.draft or {})}


# --- cancel a waiting timer -------------------------------------------------------------------------------


def cancel_deadline(uow: UnitOfWork, who: Principal, public_id: str, deadline_id: int, reason: str) -> Case:
    """Cancel one waiting timer of the case: its deadline row is cancelled, the rest of the case goes on."""
    case = repairable(uow, who, public_id)
    _refuse(check_reason(reason))
    case = lock_case(uow, case.id)
    _refuse(_status_problem(case, ("open",)))
    row = uow.session.get(Deadline, deadline_id) if 0 < deadline_id < 2**31 else None  # an INTEGER key
    if row is None or row.case_id != case.id or row.status != "pending":
        _refuse({"deadline": [NOT_PENDING]})
    assert row is not None
    workflow = load_workflow(uow, case)
    with _refused_as("deadline", NOT_PENDING):
        repair.cancel_timer(workflow, row.element_id)
    row.status = "cancelled"
    uow.session.flush()
    drive(uow, case, lambda: workflow)
    _audit(
        uow,
        who,
        "deadline.cancel",
        case,
        row.kind,
        reason=reason.strip(),
        deadline=row.id,
        element=row.element_id,
        due_at=row.due_at.isoformat(),
    )
    return case


@contextmanager
def _refused_as(field: str, otherwise: str) -> Iterator[None]:
    """A move or cancel the workflow refuses, or that stops at an error of the pathway, is a field error
    on ``field``; nothing was changed (the caller's transaction is discarded)."""
    try:
        yield
    except repair.MoveRefused as refused:
        raise ValidationFailed(
            "nothing was changed", {field: [_REFUSALS.get(refused.reason, otherwise)]}
        ) from None
    except spiff.RuntimeFailure as failure:
        raise ValidationFailed(
            "nothing was changed", {field: [f"{MOVE_FAILS} ({failure.element_id})"]}
        ) from None
