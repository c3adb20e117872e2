"""Retention task: beat's daily ``pseudonymise_closed_cases``, as ``casepath cases retention`` does it.

One batch of due cases per run, in one transaction; the attached documents' bytes are removed after the
commit (a rolled-back run keeps them). A full batch enqueues the next run at once, so a backlog drains
in one night. Idempotent: a pseudonymised case is never selected again, so a duplicate or a retry
finds nothing to do.
"""

from __future__ import annotations

from celery import Celery

from engine.casework.retention import BATCH, delete_files, run_retention
from tasks.celery_app import PSEUDONYMISE_CLOSED_CASES, EngineTask
from tasks.deadlines import RETRY


def pseudonymise_closed_cases(task: EngineTask) -> int:
    """How many cases this run pseudonymised."""
    services = task.services
    with services.uow() as uow:
        run = run_retention(uow, services.settings.retention_years, services.forms, limit=BATCH)
        uow.commit()
        delete_files(uow, services.file_store, run.file_keys)
    if len(run.cases) >= BATCH:
        task.apply_async()
    return len(run.cases)


def register(app: Celery) -> None:
    app.task(
        name=PSEUDONYMISE_CLOSED_CASES,
        bind=True,
        base=EngineTask,
        max_retries=3,
        soft_time_limit=600,
        time_limit=660,
        **RETRY,
    )(pseudonymise_closed_cases)
