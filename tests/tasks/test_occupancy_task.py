"""The daily occupancy task on a real Redis broker and an embedded worker; and its beat entry."""

from __future__ import annotations

from datetime import date, timedelta

from celery.schedules import crontab
from sqlalchemy import select

from engine.casework import cases
from engine.clock import local_date
from engine.config import Settings
from engine.store.models import OccupancyDay
from tasks.celery_app import RECORD_OCCUPANCY, make_celery
from tests.tasks.conftest import broker_idle, running_worker, wait_for


def test_beat_records_occupancy_once_a_day_just_after_midnight_in_sofia():
    app = make_celery(Settings(secret_key="x"))
    entry = app.conf.beat_schedule["record-occupancy"]
    assert entry["task"] == RECORD_OCCUPANCY and entry["schedule"] == crontab(hour=22, minute=5)
    assert app.tasks[RECORD_OCCUPANCY].time_limit


def test_the_worker_writes_yesterday_and_today_for_every_centre_and_again_the_same(
    make_committed_uow, committed_world, clock, celery_app, redis_url
):
    with make_committed_uow() as uow:
        intake = cases.Intake("kc-test", "Мария П.", "referral", "domestic_violence", referral_number="ДСП-1")
        cases.open_case(uow, committed_world.staff["social_worker"], intake)
        uow.commit()
    today = local_date(clock.now())

    def rows() -> list[tuple[int, date, int]]:
        with make_committed_uow() as uow:
            query = select(OccupancyDay.centre_id, OccupancyDay.day, OccupancyDay.residents)
            return [tuple(row) for row in uow.session.execute(query)]

    with running_worker(celery_app):
        for _ in range(2):  # a duplicate message rewrites the same rows
            celery_app.tasks[RECORD_OCCUPANCY].delay()
        wait_for(lambda: len(rows()) == 4, what="four occupancy rows")
        wait_for(broker_idle(redis_url), what="both messages handled")
    own, other = committed_world.centre_id, committed_world.other_centre_id
    yesterday = today - timedelta(days=1)
    assert sorted(rows()) == sorted(
        [(own, yesterday, 0), (own, today, 1), (other, yesterday, 0), (other, today, 0)]
    )
