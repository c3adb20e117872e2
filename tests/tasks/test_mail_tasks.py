"""Mail tasks on a real Redis broker with an embedded worker and a real SMTP server (aiosmtpd):
beat's dispatch enqueues, the worker sends; a failing server is retried after the backoff and the
e-mail is delivered later, once; redelivered messages send nothing twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from engine.casework import deadlines
from engine.config import Settings
from engine.notify import outbox
from engine.services import Services
from engine.store.models import OutboxEmail
from tasks.celery_app import DELIVER_MAIL, DISPATCH_DUE_MAIL, FIRE_DEADLINE, make_celery
from tests.engine.notify.test_notifications import Inbox, free_port, review_overdue, with_email
from tests.tasks.conftest import broker_idle, running_worker, settings_for, wait_for


class FlakyServer(Inbox):
    """A mail server that answers "try again later" while ``down`` is set, then accepts."""

    def __init__(self) -> None:
        super().__init__()
        self.down = True

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.down:
            return "451 4.3.0 Try again later"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def flaky_smtp():
    server, port = FlakyServer(), free_port()
    controller = Controller(server, hostname="127.0.0.1", port=port)
    controller.start()
    yield server, port
    controller.stop()


@pytest.fixture
def mail_services(db_engine, committed_world, clock, redis_url, tmp_path, flaky_smtp):
    _, port = flaky_smtp
    settings = settings_for(db_engine, redis_url, tmp_path, smtp_host="127.0.0.1", smtp_port=port)
    services = Services.from_settings(settings, clock=clock)
    yield services
    services.engine.dispose()


def the_row(make_uow) -> tuple[str, int]:
    with make_uow() as uow:
        row = uow.session.scalars(select(OutboxEmail)).one()
        return row.status, row.attempts


def test_the_beat_schedule_dispatches_due_mail():
    app = make_celery(Settings(secret_key="x", sweep_interval_seconds=30))
    entry = app.conf.beat_schedule["dispatch-due-mail"]
    assert (entry["task"], entry["schedule"]) == (DISPATCH_DUE_MAIL, 30.0)
    assert app.tasks[DELIVER_MAIL].time_limit and app.tasks[DELIVER_MAIL].soft_time_limit


def test_a_failing_mail_server_is_retried_and_the_email_delivered_once(
    make_committed_uow, committed_world, fixture_forms, clock, mail_services, flaky_smtp, redis_url
):
    server, _ = flaky_smtp
    with_email(make_committed_uow, committed_world.staff["manager"])
    review_overdue(make_committed_uow, committed_world, fixture_forms, clock)
    deadlines.sweep(make_committed_uow)  # fires: one e-mail queued in that transaction
    assert the_row(make_committed_uow) == ("pending", 0)
    app = make_celery(mail_services.settings, mail_services)
    dispatch = app.tasks[DISPATCH_DUE_MAIL]
    with running_worker(app):
        dispatch.delay()
        wait_for(lambda: the_row(make_committed_uow) == ("failed", 1), what="the first, failed attempt")
        wait_for(broker_idle(redis_url), what="an idle broker")
        dispatch.delay()  # not due yet: nothing is tried
        wait_for(broker_idle(redis_url), what="an idle broker")
        assert the_row(make_committed_uow) == ("failed", 1) and server.messages == []
        server.down = False
        clock.advance(outbox.retry_delay(1) + timedelta(seconds=1))
        dispatch.delay()
        wait_for(lambda: the_row(make_committed_uow) == ("sent", 2), what="the delivery after the backoff")
        with make_committed_uow() as uow:
            [outbox_id] = uow.session.scalars(select(OutboxEmail.id))
        for _ in range(3):  # redelivered or duplicated messages
            app.tasks[DELIVER_MAIL].delay(outbox_id)
        dispatch.delay()
        wait_for(broker_idle(redis_url), what="an idle broker")
    assert len(server.messages) == 1 and the_row(make_committed_uow) == ("sent", 2)


def test_a_workers_commit_enqueues_the_delivery_without_waiting_for_beat(
    make_committed_uow, committed_world, fixture_forms, clock, mail_services, flaky_smtp, redis_url
):
    server, _ = flaky_smtp
    server.down = False
    with_email(make_committed_uow, committed_world.staff["manager"])
    _, _, overdue_id = review_overdue(make_committed_uow, committed_world, fixture_forms, clock)
    app = make_celery(mail_services.settings, mail_services)
    assert app.casepath._dispatch is not None  # what services built by the worker itself get
    mail_services.dispatch = app.casepath._dispatch
    with running_worker(app):
        app.tasks[FIRE_DEADLINE].delay(overdue_id)  # no dispatch_due_mail: only the kick can send it
        wait_for(lambda: server.messages, what="the e-mail enqueued after the firing commit")
        wait_for(broker_idle(redis_url), what="an idle broker")
    assert the_row(make_committed_uow) == ("sent", 1) and len(server.messages) == 1
