"""Mail tasks: beat's ``dispatch_due_mail`` and the workers' ``deliver_mail``.

Thin like the deadline tasks: which e-mail goes out, and when, is decided by its ``outbox_email`` row
(engine/notify/outbox.py), never by a message. A lost message is re-dispatched while its row is due; a
duplicate finds the row claimed or sent and does nothing. A failed attempt is not a Celery retry: the
row records it with its next attempt, and a later dispatch picks it up.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from celery import Celery

from engine.notify import outbox
from engine.notify.notifications import EmailsQueued
from engine.store.uow import Dispatcher
from tasks.celery_app import DELIVER_MAIL, DISPATCH_DUE_MAIL, EngineTask
from tasks.deadlines import RETRY

log = logging.getLogger(__name__)
DISPATCH_LIMIT = 1000  # per beat; a larger backlog drains over several beats


def dispatch_due_mail(task: EngineTask) -> int:
    """Enqueue ``deliver_mail`` for every e-mail due now; how many were enqueued (0 without SMTP)."""
    if task.services.mailer is None:
        return 0
    ids = task.in_unit_of_work(lambda uow: outbox.due_ids(uow, uow.clock.now(), DISPATCH_LIMIT))
    deliver = task.app.tasks[DELIVER_MAIL]
    expires = 10 * task.casepath.settings.sweep_interval_seconds  # later beats enqueue it again
    for outbox_id in ids:
        deliver.apply_async((outbox_id,), expires=expires)
    return len(ids)


def deliver_mail(task: EngineTask, outbox_id: int) -> str:
    """One attempt at one e-mail: sent | failed | given_up, or skipped (someone else's, or done)."""
    services = task.services
    if services.mailer is None:
        return "skipped"
    return outbox.deliver_one(services.uow, services.mailer, services.settings.base_url, outbox_id)


def deliver_after_commit(app: Celery) -> Dispatcher:
    """An after-commit dispatcher: enqueue ``deliver_mail`` for the e-mails the transaction queued.

    Only a shortcut: if the broker refuses, the rows are due and the next beat dispatches them.
    """

    def dispatch(events: Iterable[Any]) -> None:
        ids = [i for event in events if isinstance(event, EmailsQueued) for i in event.outbox_ids]
        try:
            for outbox_id in ids:
                app.tasks[DELIVER_MAIL].apply_async((outbox_id,), expires=3600)
        except Exception as error:
            log.warning("e-mail delivery not enqueued (%s); beat will find it", type(error).__name__)

    return dispatch


def register(app: Celery) -> None:
    app.task(
        name=DISPATCH_DUE_MAIL,
        bind=True,
        base=EngineTask,
        max_retries=3,
        soft_time_limit=20,
        time_limit=30,
        **RETRY,
    )(dispatch_due_mail)
    app.task(
        name=DELIVER_MAIL,
        bind=True,
        base=EngineTask,
        max_retries=5,
        soft_time_limit=60,  # one SMTP attempt times out after 10 s
        time_limit=90,
        **RETRY,
    )(deliver_mail)
