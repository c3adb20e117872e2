"""Reminder task: beat's ``send_reminders`` tells holders of tasks due tomorrow, overdue, or at their
follow-up date (:func:`engine.casework.reminders.send_reminders`). Idempotent: each task carries a
mark of what it was told, so a duplicate or retried message sends nothing twice."""

from __future__ import annotations

from celery import Celery

from engine.casework import reminders
from tasks.celery_app import SEND_REMINDERS, EngineTask
from tasks.deadlines import RETRY


def send_reminders(task: EngineTask) -> int:
    """One batch of reminders per kind; how many notifications were written."""
    return task.in_unit_of_work(lambda uow: reminders.send_reminders(uow).total)


def register(app: Celery) -> None:
    app.task(
        name=SEND_REMINDERS,
        bind=True,
        base=EngineTask,
        max_retries=3,
        soft_time_limit=50,
        time_limit=60,
        **RETRY,
    )(send_reminders)
