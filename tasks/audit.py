"""Audit task: beat's ``seal_audit`` chains the audit rows committed since the last run.

Thin like the deadline tasks: one engine service (:func:`engine.audit.chain.seal`) in the unit of work of
:class:`EngineTask`. Sealing is idempotent (a row is sealed once, by whichever run sees it first), so a
duplicate or retried message changes nothing.
"""

from __future__ import annotations

from celery import Celery

from engine.audit import chain
from tasks.celery_app import SEAL_AUDIT, EngineTask
from tasks.deadlines import RETRY


def seal_audit(task: EngineTask) -> int:
    """Seal up to one batch of unsealed audit rows; how many were sealed."""
    return task.in_unit_of_work(lambda uow: chain.seal(uow.session))


def register(app: Celery) -> None:
    app.task(
        name=SEAL_AUDIT,
        bind=True,
        base=EngineTask,
        max_retries=3,
        soft_time_limit=50,
        time_limit=60,
        **RETRY,
    )(seal_audit)
