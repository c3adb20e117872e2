"""Beat hands out what falls due before its next run with an ETA: the deadline fires on time, and an
ETA message for a deadline fired or cancelled meanwhile does nothing (the row is the truth).

The worker here runs on the real clock (the ETA is a real instant); the case is opened 40 days ago on
the test's clock, so its workflow's monthly timer is overdue and only the deadline row says when.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import redis
from celery import Celery
from sqlalchemy import select, update

from engine.casework import deadlines
from engine.clock import SystemClock
from engine.services import Services
from engine.store.models import AuditEvent, Deadline
from tasks.celery_app import DISPATCH_DUE_DEADLINES, FIRE_DEADLINE, QUEUE, make_celery
from tests.tasks.conftest import broker_idle, running_worker, settings_for, wait_for
from tests.timer_support import open_in_stay

AHEAD = timedelta(seconds=4)  # the deadline falls due this long after beat's dispatch


@pytest.fixture
def real_time_app(db_engine, committed_world, redis_url, tmp_path) -> Iterator[Celery]:
    services = Services.from_settings(settings_for(db_engine, redis_url, tmp_path), clock=SystemClock())
    yield make_celery(services.settings, services)
    services.engine.dispose()


def monthly_deadline_due_soon(make_uow, world, forms, clock) -> int:
    """A case in its stay whose monthly review deadline row falls due ``AHEAD`` from now (real time)."""
    now = SystemClock().now()
    clock.set(now - timedelta(days=40))
    case_id, _ = open_in_stay(make_uow, world, forms, clock)
    with make_uow() as uow:
        deadline_id = uow.session.scalar(
            select(Deadline.id).where(Deadline.case_id == case_id, Deadline.element_id == "wait_month")
        )
        uow.session.execute(update(Deadline).where(Deadline.id == deadline_id).values(due_at=now + AHEAD))
        uow.commit()
    return deadline_id


def deadline_row(make_uow, deadline_id) -> Deadline:
    with make_uow() as uow:
        row = uow.session.get(Deadline, deadline_id)
        uow.session.expunge(row)
        return row


def fired_audits(make_uow, deadline_id) -> int:
    with make_uow() as uow:
        audits = uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "deadline.fired"))
        return sum(a.detail["deadline"] == deadline_id for a in audits)


def dispatch_once(app: Celery, redis_url: str) -> None:
    """One beat: the dispatch runs on the worker (and commits) before the fire message it sends exists."""
    client = redis.Redis.from_url(redis_url)

    def fire_message_sent() -> bool:
        messages = [*client.hvals("unacked"), *client.lrange(QUEUE, 0, -1)]
        return any(FIRE_DEADLINE.encode() in message for message in messages)

    app.tasks[DISPATCH_DUE_DEADLINES].delay()
    wait_for(fire_message_sent, what="the fire message in the broker")
    client.close()


def test_a_deadline_due_before_the_next_beat_fires_on_time(
    make_committed_uow, committed_world, fixture_forms, clock, real_time_app, redis_url
):
    deadline_id = monthly_deadline_due_soon(make_committed_uow, committed_world, fixture_forms, clock)
    with running_worker(real_time_app):
        dispatch_once(real_time_app, redis_url)
        wait_for(
            lambda: deadline_row(make_committed_uow, deadline_id).status == "fired",
            timeout=AHEAD.total_seconds() + 10,
            what="the deadline fired by its ETA message, long before the next beat (30 s)",
        )
    row = deadline_row(make_committed_uow, deadline_id)
    assert timedelta(0) <= row.fired_at - row.due_at < timedelta(seconds=5)
    assert fired_audits(make_committed_uow, deadline_id) == 1


@pytest.mark.parametrize("meanwhile", ["fired", "cancelled"])
def test_an_eta_message_for_a_deadline_handled_meanwhile_does_nothing(
    make_committed_uow, committed_world, fixture_forms, clock, real_time_app, redis_url, meanwhile
):
    deadline_id = monthly_deadline_due_soon(make_committed_uow, committed_world, fixture_forms, clock)
    with running_worker(real_time_app):
        dispatch_once(real_time_app, redis_url)
        due_at = deadline_row(make_committed_uow, deadline_id).due_at
        with make_committed_uow() as uow:  # before the ETA: a sweep fires it, or its activity ends
            if meanwhile == "fired":
                clock.set(due_at)
                assert deadlines.fire_deadline(uow, deadline_id).outcome == "fired"
            else:
                uow.session.get(Deadline, deadline_id).status = "cancelled"
            uow.commit()
        assert SystemClock().now() < due_at, "the ETA passed before the test could act: too slow"
        wait_for(lambda: SystemClock().now() > due_at, timeout=AHEAD.total_seconds() + 5, what="the ETA")
        wait_for(broker_idle(redis_url), what="the ETA message run and acknowledged")
    row = deadline_row(make_committed_uow, deadline_id)
    assert row.status == meanwhile
    assert fired_audits(make_committed_uow, deadline_id) == (1 if meanwhile == "fired" else 0)
    assert (row.fired_at is not None) == (meanwhile == "fired")
    if meanwhile == "fired":
        assert row.fired_at == due_at  # the first firing's instant, never overwritten


def test_an_eta_message_that_comes_early_waits_for_the_due_time(
    make_committed_uow, committed_world, fixture_forms, clock, real_time_app, redis_url
):
    """A worker whose clock runs ahead of the dispatcher's gets the message early: not yet due, it
    comes back at the due time instead of leaving the deadline to the next beat."""
    deadline_id = monthly_deadline_due_soon(make_committed_uow, committed_world, fixture_forms, clock)
    due_at = deadline_row(make_committed_uow, deadline_id).due_at
    with running_worker(real_time_app):
        real_time_app.tasks[FIRE_DEADLINE].apply_async((deadline_id,), eta=due_at - timedelta(seconds=3))
        wait_for(
            lambda: deadline_row(make_committed_uow, deadline_id).status == "fired",
            timeout=AHEAD.total_seconds() + 10,
            what="the deadline fired at its due time, long before the next beat (30 s)",
        )
    row = deadline_row(make_committed_uow, deadline_id)
    assert timedelta(0) <= row.fired_at - row.due_at < timedelta(seconds=5)
