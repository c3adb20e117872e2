"""Deadlines that act: find due deadline rows by index and fire each exactly once.

A deadline is fired under the case lock; firing re-checks that the row is still pending, so a
duplicated or redelivered message does nothing. All timers of the case that are due fire in the same
step, and each gets its ``fired_at`` (its lateness is ``fired_at - due_at``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from engine import cases, runtime
from engine.audit import record
from engine.errors import ConcurrencyConflict
from engine.forms import FormCatalog
from engine.permissions import SYSTEM
from engine.store.models import Deadline
from engine.store.uow import UnitOfWork


def due_deadline_ids(uow: UnitOfWork, now: datetime, limit: int = 1000) -> list[int]:
    """Ids of pending deadlines due at ``now``, oldest first (served by ix_deadline_pending_due)."""
    query = (
        select(Deadline.id)
        .where(Deadline.status == "pending", Deadline.due_at <= now)
        .order_by(Deadline.due_at)
        .limit(limit)
    )
    return list(uow.session.scalars(query))


def pending_deadlines(
    uow: UnitOfWork, due_before: datetime | None = None, limit: int = 500
) -> list[Deadline]:
    query = select(Deadline).where(Deadline.status == "pending").order_by(Deadline.due_at).limit(limit)
    if due_before is not None:
        query = query.where(Deadline.due_at <= due_before)
    return list(uow.session.scalars(query))


@dataclass(frozen=True)
class FireResult:
    deadline_id: int
    outcome: str  # fired | already | not_due | skipped


def fire_deadline(uow: UnitOfWork, deadline_id: int, forms: FormCatalog) -> FireResult:
    """Fire one deadline (and whatever else of its case is due) in the caller's transaction."""
    deadline = uow.session.get(Deadline, deadline_id)
    if deadline is None:
        return FireResult(deadline_id, "already")
    case = cases.lock_case(uow, deadline.case_id)
    uow.session.refresh(deadline)  # re-read under the lock: another worker may have fired it
    now = uow.clock.now()
    if deadline.status != "pending":
        return FireResult(deadline_id, "already")
    if deadline.due_at > now:
        return FireResult(deadline_id, "not_due")
    if case.status != "open":
        if case.status == "closed":
            deadline.status = "cancelled"
        return FireResult(deadline_id, "skipped")
    workflow = cases.load_workflow(uow, case)
    cases.drive(uow, case, forms, lambda: runtime.run(workflow))
    if deadline.status == "pending":  # the workflow still waits on it: mark it, do not fire twice
        deadline.status, deadline.fired_at = "fired", now
    lateness = (now - deadline.due_at).total_seconds()
    record(
        uow.session,
        now,
        SYSTEM,
        "deadline.fired",
        case_id=case.id,
        subject=deadline.kind,
        detail={
            "deadline": deadline.id,
            "element": deadline.element_id,
            "lateness_seconds": round(lateness, 3),
        },
    )
    return FireResult(deadline_id, "fired")


UowFactory = Callable[[], UnitOfWork]


def sweep(make_uow: UowFactory, forms: FormCatalog, limit: int = 1000) -> int:
    """Fire every due deadline, each in its own transaction; returns how many were fired."""
    with make_uow() as uow:
        ids = due_deadline_ids(uow, uow.clock.now(), limit)
    fired = 0
    for deadline_id in ids:
        with make_uow() as uow:
            try:
                result = fire_deadline(uow, deadline_id, forms)
                uow.commit()
            except ConcurrencyConflict:
                continue  # another worker has the case; its sweep fires this deadline
        fired += result.outcome == "fired"
    return fired
