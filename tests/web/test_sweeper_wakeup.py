"""The embedded sweeper sleeps until the next due deadline (at most its interval), and a deadline
created in the process after it went to sleep, due before it would wake, wakes it at once.

Its interval here is a minute, and the sweeper runs on the real clock: a deadline that fires within
seconds was fired by the wake-up, never by the next regular sweep.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from engine.clock import SystemClock
from engine.config import Settings
from engine.services import Services
from engine.store.models import Deadline
from tests.conftest import FIXTURES
from tests.engine.conftest import World, build_world
from tests.tasks.conftest import database_url, wait_for
from tests.timer_support import open_in_stay
from web.app import create_app

INTERVAL = 60


@pytest.fixture
def committed_world(make_committed_uow, fixture_forms) -> World:
    return build_world(make_committed_uow, fixture_forms)


@pytest.fixture
def real_time_services(db_engine, committed_world, tmp_path):
    settings = Settings(
        database_url=database_url(db_engine),
        secret_key="x",
        workflows_dir=FIXTURES,
        instance_dir=tmp_path,
        sweep_interval_seconds=INTERVAL,
        run_sweeper=True,
    )
    services = Services.from_settings(settings, clock=SystemClock())
    yield services
    services.engine.dispose()


def monthly_status(make_uow, case_id) -> str:
    with make_uow() as uow:
        return uow.session.scalar(
            select(Deadline.status).where(Deadline.case_id == case_id, Deadline.element_id == "wait_month")
        )


def test_sleeps_only_until_the_next_deadline_falls_due(
    real_time_services, make_committed_uow, committed_world, fixture_forms, clock
):
    clock.set(SystemClock().now() - timedelta(days=40))  # its workflow's monthly timer is overdue
    case_id, _ = open_in_stay(make_committed_uow, committed_world, fixture_forms, clock)
    due_at = SystemClock().now() + timedelta(seconds=3)
    with make_committed_uow() as uow:  # the row says when: three seconds from now
        uow.session.execute(
            update(Deadline)
            .where(Deadline.case_id == case_id, Deadline.element_id == "wait_month")
            .values(due_at=due_at)
        )
        uow.commit()
    sweeper = create_app(real_time_services.settings, real_time_services).extensions["casepath_sweeper"]
    try:
        wait_for(lambda: monthly_status(make_committed_uow, case_id) == "fired", timeout=15, what="firing")
    finally:
        sweeper.stop()
    with make_committed_uow() as uow:
        row = uow.session.scalar(select(Deadline).where(Deadline.element_id == "wait_month"))
        assert timedelta(0) <= row.fired_at - due_at < timedelta(seconds=5)


def test_a_deadline_created_after_it_went_to_sleep_wakes_it(
    real_time_services, make_committed_uow, committed_world, fixture_forms, clock
):
    sweeper = create_app(real_time_services.settings, real_time_services).extensions["casepath_sweeper"]
    try:
        wait_for(lambda: sweeper.wakes_at is not None, what="the first sweep and the sleep after it")
        # A case opened in this process, 40 days ago: its monthly review deadline is created overdue.
        clock.set(SystemClock().now() - timedelta(days=40))
        case_id, _ = open_in_stay(
            lambda: real_time_services.uow(clock), committed_world, fixture_forms, clock
        )
        wait_for(lambda: monthly_status(make_committed_uow, case_id) == "fired", timeout=15, what="firing")
    finally:
        sweeper.stop()
