"""Occupancy task: beat's daily ``record_occupancy`` keeps each centre's residents per day.

It rewrites yesterday (now final: the rule counts who stayed at the end of the day from admission,
leaving and closing times) and today (so far) for every centre: idempotent, so a duplicate or a retry
writes the same rows.
"""

from __future__ import annotations

from datetime import timedelta

from celery import Celery

from engine.clock import local_date
from engine.reports import occupancy
from engine.store.uow import UnitOfWork
from tasks.celery_app import RECORD_OCCUPANCY, EngineTask
from tasks.deadlines import RETRY


def record_occupancy(task: EngineTask) -> int:
    """Yesterday's and today's rows for every centre; how many rows were written."""

    def record(uow: UnitOfWork) -> int:
        today = local_date(uow.clock.now())
        return occupancy.record_days(uow, today - timedelta(days=1), today)

    return task.in_unit_of_work(record)


def register(app: Celery) -> None:
    app.task(
        name=RECORD_OCCUPANCY,
        bind=True,
        base=EngineTask,
        max_retries=3,
        soft_time_limit=300,
        time_limit=360,
        **RETRY,
    )(record_occupancy)
