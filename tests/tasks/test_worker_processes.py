"""Real ``celery worker`` processes: two racing over 500 due deadlines, and one killed with SIGKILL.

These workers run the production app (``celery -A tasks.celery_app``) with the real clock, so the
deadlines are made due in real time: the template case is opened 40 days ago on the test's clock.
"""

from __future__ import annotations

import os
import signal
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine.casework import deadlines
from engine.clock import SystemClock
from engine.store.models import AuditEvent, CaseTask, Deadline
from tasks.celery_app import DISPATCH_DUE_DEADLINES, FIRE_DEADLINE
from tests.tasks.conftest import broker_idle, pool_children, wait_for, worker_process
from tests.timer_support import clone_case, open_in_stay

pytestmark = pytest.mark.slow


def due_cases(make_uow, world, forms, clock, count):
    """``count`` cases whose monthly review timer fell due ten days ago (real time); their deadline ids."""
    clock.set(SystemClock().now() - timedelta(days=40))
    case_id, _ = open_in_stay(make_uow, world, forms, clock)
    with make_uow() as uow:
        clone_case(uow, case_id, count - 1)
        uow.commit()
    clock.set(SystemClock().now())
    with make_uow() as uow:
        ids = deadlines.due_deadline_ids(uow, clock.now(), limit=10 * count)
    assert len(ids) == count
    return ids


def firings(make_uow):
    """(deadline id, how many times it was audited as fired) for every deadline that fired."""
    with make_uow() as uow:
        deadline = AuditEvent.detail["deadline"].as_integer()
        rows = uow.session.execute(
            select(deadline, func.count()).where(AuditEvent.action == "deadline.fired").group_by(deadline)
        ).all()
    return dict(rows)


def open_reviews(make_uow):
    with make_uow() as uow:
        return uow.session.scalar(
            select(func.count())
            .select_from(CaseTask)
            .where(CaseTask.name == "Plan review", CaseTask.status == "open")
        )


def test_two_worker_processes_racing_over_500_due_deadlines_fire_exactly_500(
    db_engine, make_committed_uow, committed_world, fixture_forms, clock, celery_app, redis_url, tmp_path
):
    if db_engine.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer in at a time: the race between workers is run on PostgreSQL")
    ids = due_cases(make_committed_uow, committed_world, fixture_forms, clock, 500)
    fire = celery_app.tasks[FIRE_DEADLINE]
    for deadline_id in ids:  # every id twice, as a redelivery or a second beat would: the workers collide
        fire.delay(deadline_id)
        fire.delay(deadline_id)
    settings = celery_app.casepath.settings
    with (
        worker_process(settings, tmp_path / "first.log", "threads", 2),
        worker_process(settings, tmp_path / "second.log", "threads", 2),
    ):
        wait_for(lambda: len(firings(make_committed_uow)) >= 500, timeout=120, what="500 firings")
        wait_for(broker_idle(redis_url), timeout=60, what="an idle broker")
    fired = firings(make_committed_uow)
    assert sorted(fired) == sorted(ids) and set(fired.values()) == {1}
    assert open_reviews(make_committed_uow) == 500
    with make_committed_uow() as uow:
        assert deadlines.due_deadline_ids(uow, SystemClock().now()) == []


def test_worker_killed_with_sigkill_mid_batch_loses_nothing(
    make_committed_uow, committed_world, fixture_forms, clock, celery_app, redis_url, tmp_path
):
    count = 200
    ids = due_cases(make_committed_uow, committed_world, fixture_forms, clock, count)
    settings = celery_app.casepath.settings
    dispatch = celery_app.tasks[DISPATCH_DUE_DEADLINES]
    dispatch.delay()
    with worker_process(settings, tmp_path / "killed.log", "prefork", 1) as worker:
        wait_for(lambda: len(firings(make_committed_uow)) >= 20, timeout=60, what="the first firings")
        # A pool process dies mid-task: its parent puts the message back (reject_on_worker_lost).
        for child in pool_children(worker):
            os.kill(child, signal.SIGKILL)
        done = len(firings(make_committed_uow))
        wait_for(
            lambda: len(firings(make_committed_uow)) >= done + 20, timeout=60, what="firings after the child"
        )
        # Then the whole worker dies: what it held stays unacknowledged in Redis for the visibility timeout.
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
    before_restart = len(firings(make_committed_uow))
    assert before_restart < count, "the worker finished before it was killed: give it more deadlines"
    dispatch.delay()  # the next beat finds the rows that are still pending
    with worker_process(settings, tmp_path / "restarted.log", "prefork", 1):
        wait_for(lambda: len(firings(make_committed_uow)) == count, timeout=90, what="every deadline fired")
    fired = firings(make_committed_uow)
    assert sorted(fired) == sorted(ids) and set(fired.values()) == {1}
    assert open_reviews(make_committed_uow) == count
    with make_committed_uow() as uow:
        still = uow.session.scalar(
            select(func.count()).select_from(Deadline).where(Deadline.status == "pending")
        )
    assert still == 2 * count  # each case's exit planning and cap wait for later months
