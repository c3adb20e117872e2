"""Deadline tasks: beat's ``dispatch_due_deadlines`` and the workers' ``fire_deadline``.

Both are thin: they take ids, run one engine service in the unit of work of :class:`EngineTask`, and
deal only with retries and time limits. Whether a deadline fires is decided by the row, never by a
message: a lost message is re-dispatched while its row is pending, a duplicate finds it fired.
"""

from __future__ import annotations

from celery import Celery
from sqlalchemy.exc import InterfaceError, OperationalError

from engine import timers
from engine.errors import ConcurrencyConflict
from engine.store.uow import UnitOfWork
from tasks.celery_app import DISPATCH_DUE_DEADLINES, FIRE_DEADLINE, EngineTask

DISPATCH_LIMIT = 5000  # per beat; a backlog larger than this drains over several beats
RETRYABLE = (ConcurrencyConflict, OperationalError, InterfaceError)
RETRY = {
    "autoretry_for": RETRYABLE,
    "retry_backoff": 1,  # 1 s, 2 s, 4 s … with jitter
    "retry_backoff_max": 60,
    "retry_jitter": True,
}


def dispatch_due_deadlines(task: EngineTask) -> int:
    """Enqueue ``fire_deadline`` for every due deadline and record the run; how many were enqueued."""

    def find(uow: UnitOfWork) -> list[int]:
        ids = timers.due_deadline_ids(uow, uow.clock.now(), DISPATCH_LIMIT)
        timers.record_sweep(uow, len(ids), None, "celery")
        return ids

    ids = task.in_unit_of_work(find)
    fire = task.app.tasks[FIRE_DEADLINE]
    # A message still queued after a few beats is dropped: those beats have enqueued its id again,
    # so a backlog cannot pile up copies. Generous enough to tolerate clock skew between machines.
    expires = 10 * task.casepath.settings.sweep_interval_seconds
    for deadline_id in ids:
        fire.apply_async((deadline_id,), expires=expires)
    return len(ids)


def fire_deadline(task: EngineTask, deadline_id: int) -> str:
    """Fire one deadline; a duplicate or a redelivery returns "already" and changes nothing."""
    result = task.in_unit_of_work(lambda uow: timers.fire_deadline(uow, deadline_id, task.services.forms))
    return result.outcome


def register(app: Celery) -> None:
    """Register the tasks on ``app`` (each app its own task objects: no global app, no shared_task)."""
    app.task(
        name=DISPATCH_DUE_DEADLINES,
        bind=True,
        base=EngineTask,
        max_retries=3,
        soft_time_limit=20,
        time_limit=30,
        **RETRY,
    )(dispatch_due_deadlines)
    app.task(
        name=FIRE_DEADLINE,
        bind=True,
        base=EngineTask,
        max_retries=10,
        soft_time_limit=60,
        time_limit=90,
        **RETRY,
    )(fire_deadline)
