"""Deadlines that act: find due deadline rows by index and fire each exactly once.

A deadline is fired under the case lock; firing re-checks that the row is still pending, so a
duplicated or redelivered message does nothing. All timers of the case that are due fire in the same
step, and each gets its ``fired_at`` (its lateness is ``fired_at - due_at``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import InterfaceError, OperationalError

from engine.bpmn import spiff
from engine.casework import cases
from engine.casework.projection import announce_fired
from engine.casework.reminders import send_reminders
from engine.errors import ConcurrencyConflict
from engine.store.models import Case, Deadline, SweepStatus
from engine.store.uow import UnitOfWork

log = logging.getLogger(__name__)
# Cases whose deadlines wait: parked by an error (a retry fires them) or suspended by a coordinator
# (resuming fires or shifts them, engine/casework/repair.py).
HELD = ("incident", "suspended")


def due_deadline_ids(uow: UnitOfWork, now: datetime, limit: int = 1000) -> list[int]:
    """Ids of pending deadlines due at ``now``, oldest first (served by ix_deadline_pending_due).

    Cases parked as incidents are left out: their deadlines cannot fire until a coordinator retries
    the case (the retry fires them), and re-finding them every sweep would starve the others. So are
    suspended cases: their timers hold until the case is resumed.
    """
    return list(uow.session.scalars(_due_by(now, Deadline.id).limit(limit)))


@dataclass(frozen=True)
class DueDeadline:
    id: int
    due_at: datetime


def deadlines_due_by(uow: UnitOfWork, until: datetime, limit: int = 1000) -> list[DueDeadline]:
    """Pending deadlines due at or before ``until`` (which may lie ahead), oldest first, with their times.

    Beat uses it to hand the workers what falls due before its next run, each with a wake-up time.
    """
    rows = uow.session.execute(_due_by(until, Deadline.id, Deadline.due_at).limit(limit))
    return [DueDeadline(deadline_id, due_at) for deadline_id, due_at in rows]


def next_due_at(uow: UnitOfWork, after: datetime) -> datetime | None:
    """When the earliest pending deadline due after ``after`` falls due (cases parked as incidents aside).

    A sweeper passes the instant its last sweep began: what was due then and is still pending failed
    to fire, and waits for the next regular sweep rather than being retried in a tight loop.
    """
    query = _due_by(None, Deadline.due_at).where(Deadline.due_at > after).limit(1)
    due_at: datetime | None = uow.session.scalar(query)
    return due_at


def _due_by(until: datetime | None, *columns: Any) -> Select[Any]:
    query = (
        select(*columns)
        .join(Case, Case.id == Deadline.case_id)
        .where(Deadline.status == "pending", Case.status.not_in(HELD))
        .order_by(Deadline.due_at)
    )
    return query if until is None else query.where(Deadline.due_at <= until)


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
    fired: int = 0  # deadline rows of the case that fired in this step (this one and any also due)
    seconds_to_due: float = 0.0  # for not_due: how long until it falls due


def fire_deadline(uow: UnitOfWork, deadline_id: int) -> FireResult:
    """Fire one deadline (and whatever else of its case is due) in the caller's transaction.

    Every deadline that fires in the step is audited with its lateness and notifies the roles its
    timer names (see :func:`engine.casework.projection.announce_fired`); notifications are rows in this
    transaction.
    """
    deadline = uow.session.get(Deadline, deadline_id)
    if deadline is None:
        return FireResult(deadline_id, "already")
    case = cases.lock_case(uow, deadline.case_id)
    uow.session.refresh(deadline)  # re-read under the lock: another worker may have fired it
    now = uow.clock.now()
    if deadline.status != "pending":
        return FireResult(deadline_id, "already")
    if deadline.due_at > now:
        return FireResult(deadline_id, "not_due", seconds_to_due=(deadline.due_at - now).total_seconds())
    if case.status != "open":
        if case.status == "closed":
            deadline.status = "cancelled"
        return FireResult(deadline_id, "skipped")
    due = list(
        uow.session.scalars(
            select(Deadline).where(
                Deadline.case_id == case.id, Deadline.status == "pending", Deadline.due_at <= now
            )
        )
    )
    workflow = cases.load_workflow(uow, case)
    cases.drive(uow, case, lambda: spiff.run(workflow))
    if deadline.status != "fired":
        # Still pending: the workflow waits on it (or stopped at an incident); cancelled: the case
        # ended in this very step. Either way it fell due and was handled now: mark it, never twice.
        deadline.status, deadline.fired_at = "fired", now
        cases.guard(uow, case, lambda: announce_fired(uow, case, deadline))
    return FireResult(deadline_id, "fired", sum(row.status == "fired" for row in due))


UowFactory = Callable[[], UnitOfWork]


def sweep(make_uow: UowFactory, limit: int = 1000, runner: str = "") -> int:
    """Fire every due deadline, each in its own transaction; returns how many were fired.

    Works through due deadlines ``limit`` at a time until none is left. One deadline that fails is
    logged and left pending for the next sweep; a lost database stops the sweep (the caller retries).
    With ``runner`` set the run is recorded for ``/healthz``.
    """
    fired = found = 0
    while True:
        with make_uow() as uow:
            ids = due_deadline_ids(uow, uow.clock.now(), limit)
        found += len(ids)
        batch = sum(_fire_one(make_uow, deadline_id) for deadline_id in ids)
        fired += batch
        if len(ids) < limit or batch == 0:
            break
    _send_reminders(make_uow)
    if runner:
        with make_uow() as uow:
            record_sweep(uow, found, fired, runner)
            _commit_quietly(uow)
    return fired


def _send_reminders(make_uow: UowFactory) -> None:
    """The holders' reminders (due tomorrow, overdue, follow-up) ride on the sweep, in their own
    transaction; two sweepers at once: one commits, the other's marks lose the race and it sends nothing."""
    with make_uow() as uow:
        send_reminders(uow)
        _commit_quietly(uow)


def _fire_one(make_uow: UowFactory, deadline_id: int) -> int:
    try:
        with make_uow() as uow:
            result = fire_deadline(uow, deadline_id)
            uow.commit()
    except ConcurrencyConflict:
        return 0  # another worker has the case; whoever holds it fires this deadline
    except (OperationalError, InterfaceError):
        raise
    except Exception:
        log.exception("deadline %s could not be fired; it stays pending", deadline_id)
        return 0
    return result.fired


# --- the last sweep, for /healthz -------------------------------------------------------------------


@dataclass(frozen=True)
class SweepRun:
    at: datetime
    due: int
    fired: int | None  # None when the sweep only dispatched the deadlines to workers
    runner: str


def record_sweep(uow: UnitOfWork, due: int, fired: int | None, runner: str) -> None:
    """Remember this sweep in the one-row ``sweep_status`` table (the caller commits)."""
    row = uow.session.get(SweepStatus, 1)
    if row is None:
        row = SweepStatus(id=1)
        uow.session.add(row)
    row.last_run_at, row.last_due, row.last_fired, row.runner = uow.clock.now(), due, fired, runner


def last_sweep(uow: UnitOfWork) -> SweepRun | None:
    row = uow.session.get(SweepStatus, 1)
    if row is None:
        return None
    return SweepRun(row.last_run_at, row.last_due, row.last_fired, row.runner)


def _commit_quietly(uow: UnitOfWork) -> None:
    with suppress(ConcurrencyConflict):  # two sweepers recorded at once: either row says the same
        uow.commit()
