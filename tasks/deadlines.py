"""Deadline tasks: beat's ``dispatch_due_deadlines`` and the workers' ``fire_deadline``.

Both are thin: they take ids, run one engine service in the unit of work of :class:`EngineTask`, and
deal only with retries and time limits. Whether a deadline fires is decided by the row, never by a
message: a lost message is re-dispatched while its row is pending, a duplicate finds it fired.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from celery import Celery
from sqlalchemy.exc import InterfaceError, OperationalError

from engine.casework import deadlines
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
    """Enqueue ``fire_deadline`` for every deadline due before the next beat; how many were enqueued.

    A deadline already due is sent at once; one falling due before the next beat is sent with its
    due time as the ETA, so it fires on time instead of up to one beat late. The ETA message is only
    a wake-up: the worker re-checks the row under the case lock, and a message that is lost, or
    arrives for a deadline fired or cancelled meanwhile, is made good by a later beat or does nothing.
    """
    interval = timedelta(seconds=task.casepath.settings.sweep_interval_seconds)

    def find(uow: UnitOfWork) -> tuple[datetime, list[deadlines.DueDeadline]]:
        now = uow.clock.now()
        soon = deadlines.deadlines_due_by(uow, now + interval, DISPATCH_LIMIT)
        deadlines.record_sweep(uow, sum(d.due_at <= now for d in soon), None, "celery")
        return now, soon

    now, soon = task.in_unit_of_work(find)
    fire = task.app.tasks[FIRE_DEADLINE]
    # A message still queued a few beats after its due time is dropped: those beats have enqueued its
    # id again, so a backlog cannot pile up copies. Generous enough to tolerate clock skew.
    expires = 10 * interval
    for deadline in soon:
        if deadline.due_at <= now:
            fire.apply_async((deadline.id,), expires=expires.total_seconds())
        else:
            ahead = deadline.due_at - now
            fire.apply_async((deadline.id,), eta=deadline.due_at, expires=(ahead + expires).total_seconds())
    return len(soon)


def fire_deadline(task: EngineTask, deadline_id: int) -> str:
    """Fire one deadline; a duplicate or a redelivery returns "already" and changes nothing.

    A message that comes before the due time (clocks that disagree) is sent again for the due time
    when that is within one beat; beyond that, beat hands the deadline out again anyway.
    """
    result = task.in_unit_of_work(lambda uow: deadlines.fire_deadline(uow, deadline_id))
    beat = task.casepath.settings.sweep_interval_seconds
    if result.outcome == "not_due" and result.seconds_to_due <= beat:
        task.apply_async(
            (deadline_id,), countdown=result.seconds_to_due, expires=result.seconds_to_due + 10 * beat
        )
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
