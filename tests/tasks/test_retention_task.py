"""The daily retention task on a real Redis broker and an embedded worker; and its beat entry."""

from __future__ import annotations

from datetime import timedelta

from celery.schedules import crontab
from sqlalchemy import func, select

from engine.casework import attachments, cases
from engine.config import Settings
from engine.store.models import AuditEvent, Case
from tasks.celery_app import PSEUDONYMISE_CLOSED_CASES, make_celery
from tests.documents import png
from tests.tasks.conftest import broker_idle, running_worker, wait_for


def test_beat_pseudonymises_closed_cases_once_a_night():
    app = make_celery(Settings(secret_key="x"))
    entry = app.conf.beat_schedule["pseudonymise-closed-cases"]
    assert entry["task"] == PSEUDONYMISE_CLOSED_CASES and entry["schedule"] == crontab(hour=23, minute=35)
    assert app.tasks[PSEUDONYMISE_CLOSED_CASES].time_limit


def test_the_worker_pseudonymises_due_cases_and_a_duplicate_changes_nothing(
    make_committed_uow, committed_world, clock, celery_app, redis_url, worker_services
):
    manager = committed_world.staff["manager"]
    store = worker_services.file_store
    with make_committed_uow() as uow:
        intake = cases.Intake("kc-test", "Мария П.", "referral", "domestic_violence", referral_number="ДСП-1")
        old = cases.open_case(uow, manager, intake)
        upload = attachments.Upload("other", "a.png", png())
        key = attachments.add_attachment(uow, manager, store, 10**7, old.public_id, upload).sha256
        cases.close_case(uow, manager, old.public_id, "напусна")
        uow.commit()
    clock.advance(timedelta(days=5 * 366 + 1))
    with make_committed_uow() as uow:
        cases.open_case(uow, manager, intake)  # open: kept
        uow.commit()

    def pseudonymised() -> int:
        with make_committed_uow() as uow:
            return int(uow.session.scalar(select(func.count()).where(Case.pseudonymised_at.is_not(None))))

    with running_worker(celery_app):
        for _ in range(2):  # a duplicate finds nothing more to do
            celery_app.tasks[PSEUDONYMISE_CLOSED_CASES].delay()
        wait_for(lambda: pseudonymised() == 1, what="the old case pseudonymised")
        wait_for(broker_idle(redis_url), what="both messages handled")
    with make_committed_uow() as uow:
        assert uow.session.scalar(select(func.count()).where(Case.display_name == "Мария П.")) == 1
        actions = select(func.count()).where(AuditEvent.action == "case.pseudonymise")
        assert uow.session.scalar(actions) == 1
    assert not store.exists(key)
