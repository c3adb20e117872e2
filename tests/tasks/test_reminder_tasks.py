"""Reminders on a real Redis broker with an embedded worker: beat sends ``send_reminders``; the worker
tells a task's holder the day before it is due and again once it is overdue, each exactly once,
however many beats and duplicate messages come."""

from __future__ import annotations

import threading
from datetime import timedelta

from celery import signals
from celery.beat import Service
from sqlalchemy import select

from engine.casework import cases, inbox
from engine.store.models import CaseTask, Notification
from tasks.celery_app import SEND_REMINDERS, make_celery
from tests.tasks.conftest import broker_idle, running_worker, wait_for
from tests.timer_support import intake


def held_task(make_uow, world, clock):
    """A new case's first task, due in 24 hours, taken by the world's social worker: (public id, due)."""
    with make_uow() as uow:
        case = cases.open_case(uow, world.staff["social_worker"], intake(clock.now()))
        task = uow.session.scalar(
            select(CaseTask).where(CaseTask.case_id == case.id, CaseTask.status == "open")
        )
        inbox.claim(uow, world.staff["social_worker"], task.public_id)
        uow.commit()
        return task.public_id, task.due_at


def told(make_uow, user_id):
    with make_uow() as uow:
        query = select(Notification.kind).where(Notification.user_id == user_id).order_by(Notification.id)
        return list(uow.session.scalars(query))


def test_beat_and_a_worker_send_the_day_before_and_the_overdue_notice_once_each(
    make_committed_uow, committed_world, clock, worker_services, tmp_path
):
    worker_id = committed_world.staff["social_worker"].user_id
    task_id, due_at = held_task(make_committed_uow, committed_world, clock)
    app = make_celery(worker_services.settings.with_(sweep_interval_seconds=1), worker_services)
    assert app.conf.beat_schedule["send-reminders"]["task"] == SEND_REMINDERS
    beat = Service(app, max_interval=0.2, schedule_filename=str(tmp_path / "beat-schedule"))
    thread = threading.Thread(target=beat.start, daemon=True)
    runs: list[str] = []

    def count(sender=None, **_):  # the embedded worker runs in this process: its signals reach us
        if getattr(sender, "name", "") == SEND_REMINDERS:
            runs.append("ran")

    signals.task_postrun.connect(count, weak=False)
    clock.set(due_at - timedelta(hours=23))  # within a day of the due time
    with running_worker(app):
        thread.start()
        try:
            wait_for(
                lambda: told(make_committed_uow, worker_id) == ["task.due_soon"], what="the day-before notice"
            )
            clock.set(due_at + timedelta(seconds=1))
            wait_for(
                lambda: told(make_committed_uow, worker_id) == ["task.due_soon", "task.overdue"],
                what="the overdue notice",
            )
            ran = len(runs)
            wait_for(lambda: len(runs) >= ran + 3, what="three more runs of the reminders")
        finally:
            beat.stop()
            thread.join(10)
            signals.task_postrun.disconnect(count)
    assert told(make_committed_uow, worker_id) == ["task.due_soon", "task.overdue"]  # once each
    with make_committed_uow() as uow:
        links = set(uow.session.scalars(select(Notification.link).where(Notification.user_id == worker_id)))
        assert links == {f"/tasks/{task_id}"}


def test_duplicate_reminder_messages_send_nothing_twice(
    make_committed_uow, committed_world, clock, celery_app, redis_url
):
    worker_id = committed_world.staff["social_worker"].user_id
    _, due_at = held_task(make_committed_uow, committed_world, clock)
    clock.set(due_at + timedelta(minutes=5))
    send = celery_app.tasks[SEND_REMINDERS]
    for _ in range(3):
        send.delay()
    with running_worker(celery_app):
        wait_for(broker_idle(redis_url), what="an idle broker")
    assert told(make_committed_uow, worker_id) == ["task.overdue"]
