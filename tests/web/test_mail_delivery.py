"""Without Redis the web process's embedded sweeper sends the outbox: a commit that queued e-mails
wakes it, and the committing thread never waits for the mail server; ``/healthz`` counts the outbox."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from engine.casework import deadlines
from engine.config import Settings
from engine.notify import outbox
from engine.services import Services
from engine.store.models import Deadline, OutboxEmail
from tests.conftest import FIXTURES
from tests.engine.conftest import World, build_world
from tests.engine.notify.test_notifications import Inbox, free_port, review_overdue, with_email
from tests.tasks.conftest import database_url, wait_for
from web.app import create_app


class SlowServer(Inbox):
    """A mail server that takes its time to accept each message."""

    async def handle_DATA(self, server, session, envelope) -> str:
        await asyncio.sleep(1.5)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def committed_world(make_committed_uow, fixture_forms) -> World:
    return build_world(make_committed_uow, fixture_forms)


@pytest.fixture
def slow_smtp():
    server, port = SlowServer(), free_port()
    controller = Controller(server, hostname="127.0.0.1", port=port)
    controller.start()
    yield server, port
    controller.stop()


@pytest.fixture
def services(db_engine, committed_world, clock, tmp_path, slow_smtp):
    settings = Settings(
        database_url=database_url(db_engine),
        secret_key="x",
        workflows_dir=FIXTURES,
        instance_dir=tmp_path,
        sweep_interval_seconds=600,  # only a wake-up can send the e-mail within the test
        smtp_host="127.0.0.1",
        smtp_port=slow_smtp[1],
    )
    services = Services.from_settings(settings, clock=clock)
    yield services
    services.engine.dispose()


def swept(make_uow) -> bool:
    with make_uow() as uow:
        return deadlines.last_sweep(uow) is not None


def test_the_commit_wakes_the_sweeper_and_never_waits_for_the_mail_server(
    services, make_committed_uow, committed_world, fixture_forms, clock, slow_smtp
):
    server, _ = slow_smtp
    with_email(make_committed_uow, committed_world.staff["manager"])
    _, _, overdue_id = review_overdue(make_committed_uow, committed_world, fixture_forms, clock)
    due_at = clock.now()
    clock.advance(timedelta(seconds=-1))  # not yet due when the sweeper first looks
    app = create_app(services.settings.with_(run_sweeper=True), services)
    sweeper = app.extensions["casepath_sweeper"]
    try:
        wait_for(lambda: swept(make_committed_uow), what="the sweeper's first tick")
        with make_committed_uow() as uow:
            assert uow.session.get(Deadline, overdue_id).status == "pending"  # left for this test
        clock.set(due_at)
        started = time.monotonic()
        with services.uow() as uow:  # the same unit of work a request or an API call uses
            deadlines.fire_deadline(uow, overdue_id)
            uow.commit()
        committed_in = time.monotonic() - started
        wait_for(lambda: server.messages, timeout=20, what="the e-mail from the woken sweeper")
    finally:
        sweeper.stop()
    assert committed_in < 1.0  # the server takes 1.5 s per message: the commit did not wait for it
    with make_committed_uow() as uow:
        assert outbox.counts(uow)["sent"] == 1


def test_healthz_counts_the_outbox_per_state(
    services, make_committed_uow, committed_world, fixture_forms, clock
):
    with_email(make_committed_uow, committed_world.staff["manager"], committed_world.staff["case_lead"])
    review_overdue(make_committed_uow, committed_world, fixture_forms, clock)
    deadlines.sweep(make_committed_uow)
    with make_committed_uow() as uow:
        first = uow.session.scalars(select(OutboxEmail.id).order_by(OutboxEmail.id)).first()
        assert outbox.claim(uow, first)
        outbox.record_failure(uow, first, "ConnectionRefusedError")
        uow.commit()
    body = create_app(services.settings, services).test_client().get("/healthz").get_json()
    assert body["mail"] == {"pending": 1, "failed": 1, "sent": 0, "given_up": 0}
