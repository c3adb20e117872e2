"""Deadline tasks on a real Redis broker with embedded workers: beat's dispatch enqueues, a worker
fires, the case advances; duplicates are no-ops; retries; downtime; two workers racing."""

from __future__ import annotations

import threading
from datetime import timedelta

from celery.beat import Service
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from engine.casework import deadlines
from engine.errors import ConcurrencyConflict
from engine.store.models import AuditEvent, Deadline
from tasks import celery_app as celery_module
from tasks.celery_app import DISPATCH_DUE_DEADLINES, FIRE_DEADLINE, SEAL_AUDIT, make_celery
from tests.tasks.conftest import broker_idle, running_worker, wait_for
from tests.timer_support import clone_case, open_in_stay, open_task_names


def month_deadline(make_uow, case_id):
    with make_uow() as uow:
        row = uow.session.scalar(
            select(Deadline).where(Deadline.case_id == case_id, Deadline.element_id == "wait_month")
        )
        return row.id, row.due_at


def fired_audits(make_uow):
    with make_uow() as uow:
        return [
            (a.detail["deadline"], a.detail["lateness_seconds"])
            for a in uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "deadline.fired"))
        ]


def test_make_celery_delivers_reliably_and_schedules_the_dispatch():
    from engine.config import Settings

    app = make_celery(Settings(secret_key="x", sweep_interval_seconds=30))
    conf = app.conf
    assert (conf.task_acks_late, conf.task_reject_on_worker_lost, conf.worker_prefetch_multiplier) == (
        True,
        True,
        1,
    )
    assert not conf.task_always_eager
    entry = conf.beat_schedule["dispatch-due-deadlines"]
    assert (entry["task"], entry["schedule"]) == (DISPATCH_DUE_DEADLINES, 30.0)
    fire = app.tasks[FIRE_DEADLINE]
    assert ConcurrencyConflict in fire.autoretry_for and OperationalError in fire.autoretry_for
    assert fire.time_limit and fire.soft_time_limit and fire.retry_backoff
    assert conf.broker_url == "memory://"  # no Redis configured: importable, never used
    assert celery_module.app.main == "casepath"


def test_beat_dispatches_the_worker_fires_and_the_case_advances(
    make_committed_uow, committed_world, fixture_forms, clock, worker_services, tmp_path
):
    case_id, _ = open_in_stay(make_committed_uow, committed_world, fixture_forms, clock)
    _, due_at = month_deadline(make_committed_uow, case_id)
    clock.set(due_at + timedelta(seconds=5))
    app = make_celery(worker_services.settings.with_(sweep_interval_seconds=1), worker_services)
    beat = Service(app, max_interval=0.2, schedule_filename=str(tmp_path / "beat-schedule"))
    thread = threading.Thread(target=beat.start, daemon=True)
    with running_worker(app):
        thread.start()
        try:
            wait_for(lambda: _has_review(make_committed_uow, case_id), what="the review task")
        finally:
            beat.stop()
            thread.join(10)
    [(_, lateness)] = fired_audits(make_committed_uow)
    assert lateness == 5
    with make_committed_uow() as uow:
        run = deadlines.last_sweep(uow)
        assert run.runner == "celery" and run.fired is None


def _has_review(make_uow, case_id) -> bool:
    with make_uow() as uow:
        return "Plan review" in open_task_names(uow, case_id)


def test_duplicate_fire_deadline_messages_are_no_ops(
    make_committed_uow, committed_world, fixture_forms, clock, celery_app, redis_url
):
    case_id, _ = open_in_stay(make_committed_uow, committed_world, fixture_forms, clock)
    deadline_id, due_at = month_deadline(make_committed_uow, case_id)
    clock.set(due_at)
    fire = celery_app.tasks[FIRE_DEADLINE]
    for _ in range(3):  # a redelivery, a second dispatch and a retry all carry the same id
        fire.delay(deadline_id)
    with running_worker(celery_app):
        wait_for(broker_idle(redis_url), what="an idle broker")
    assert fired_audits(make_committed_uow) == [(deadline_id, 0)]
    with make_committed_uow() as uow:
        assert open_task_names(uow, case_id) == ["Plan review"]


def test_fire_deadline_retries_on_conflict_and_on_a_lost_database(
    make_committed_uow, committed_world, fixture_forms, clock, celery_app, redis_url, monkeypatch
):
    case_id, _ = open_in_stay(make_committed_uow, committed_world, fixture_forms, clock)
    deadline_id, due_at = month_deadline(make_committed_uow, case_id)
    clock.set(due_at)
    real, failures = (
        deadlines.fire_deadline,
        [ConcurrencyConflict("busy"), OperationalError("SELECT", {}, Exception("gone"))],
    )

    def flaky(uow, deadline):
        if failures:
            raise failures.pop(0)
        return real(uow, deadline)

    monkeypatch.setattr(deadlines, "fire_deadline", flaky)
    celery_app.tasks[FIRE_DEADLINE].delay(deadline_id)
    with running_worker(celery_app):
        wait_for(lambda: _has_review(make_committed_uow, case_id), timeout=20, what="the retried firing")
    assert failures == [] and len(fired_audits(make_committed_uow)) == 1


def test_deadlines_due_while_everything_was_down_fire_on_restart_with_their_lateness(
    make_committed_uow, committed_world, fixture_forms, clock, celery_app, redis_url
):
    case_id, _ = open_in_stay(make_committed_uow, committed_world, fixture_forms, clock)
    with make_committed_uow() as uow:
        clone_case(uow, case_id, 4)
        uow.commit()
    _, due_at = month_deadline(make_committed_uow, case_id)
    clock.set(due_at + timedelta(days=2, minutes=1))  # down over a weekend
    celery_app.tasks[DISPATCH_DUE_DEADLINES].delay()
    with running_worker(celery_app):
        wait_for(lambda: len(fired_audits(make_committed_uow)) == 5, what="five firings")
        wait_for(broker_idle(redis_url), what="an idle broker")
    assert {lateness for _, lateness in fired_audits(make_committed_uow)} == {2 * 86400 + 60}


def test_beat_schedules_the_audit_sealer_and_a_worker_seals(
    make_committed_uow, committed_world, celery_app, redis_url
):
    entry = celery_app.conf.beat_schedule["seal-audit"]
    assert entry["task"] == SEAL_AUDIT
    with make_committed_uow() as uow:
        assert uow.session.scalar(select(AuditEvent.id).where(AuditEvent.seq.is_(None)).limit(1)) is not None
    with running_worker(celery_app):
        celery_app.tasks[SEAL_AUDIT].apply_async()
        wait_for(broker_idle(redis_url), what="the seal task to run")
    with make_committed_uow() as uow:
        assert uow.session.scalar(select(AuditEvent.id).where(AuditEvent.seq.is_(None)).limit(1)) is None
        assert uow.session.scalar(select(AuditEvent.hash).limit(1)) is not None
