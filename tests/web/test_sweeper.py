"""The embedded sweeper: off unless asked and without Redis; fires due deadlines every interval with
the same engine service; never two sweeps at once; survives errors; stops cleanly."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine.audit import chain
from engine.casework import deadlines
from engine.config import Settings
from engine.services import Services
from engine.store.models import AuditEvent, Deadline
from tests.engine.conftest import World, build_world
from tests.tasks.conftest import database_url, wait_for
from tests.timer_support import open_in_stay, open_task_names
from web.app import create_app
from web.sweeper import Sweeper


@pytest.fixture
def committed_world(make_committed_uow, fixture_forms) -> World:
    return build_world(make_committed_uow, fixture_forms)


@pytest.fixture
def services(db_engine, committed_world, clock, tmp_path):
    from tests.conftest import FIXTURES

    settings = Settings(
        database_url=database_url(db_engine),
        secret_key="x",
        workflows_dir=FIXTURES,
        instance_dir=tmp_path,
        sweep_interval_seconds=1,
    )
    services = Services.from_settings(settings, clock=clock)
    yield services
    services.engine.dispose()


def has_review(make_uow, case_id) -> bool:
    with make_uow() as uow:
        return "Plan review" in open_task_names(uow, case_id)


def due_case(make_uow, world, forms, clock) -> int:
    case_id, _ = open_in_stay(make_uow, world, forms, clock)
    with make_uow() as uow:
        due = uow.session.scalar(select(Deadline.due_at).where(Deadline.element_id == "wait_month"))
    clock.set(due + timedelta(seconds=1))
    return case_id


def test_off_by_default_and_when_redis_is_configured(services):
    assert "casepath_sweeper" not in create_app(services.settings, services).extensions
    settings = services.settings.with_(run_sweeper=True, redis_url="redis://127.0.0.1:6379/0")
    assert "casepath_sweeper" not in create_app(settings, services).extensions


def test_fires_due_deadlines_in_the_background_and_stops_cleanly(
    services, make_committed_uow, committed_world, fixture_forms, clock
):
    case_id = due_case(make_committed_uow, committed_world, fixture_forms, clock)
    app = create_app(services.settings.with_(run_sweeper=True), services)
    sweeper = app.extensions["casepath_sweeper"]
    try:
        wait_for(lambda: has_review(make_committed_uow, case_id), timeout=10, what="the embedded sweep")
    finally:
        started = time.monotonic()
        sweeper.stop()
    assert not sweeper.alive and time.monotonic() - started < 5
    with make_committed_uow() as uow:
        assert deadlines.last_sweep(uow).runner == "embedded"


def test_survives_errors_and_tries_again(
    services, make_committed_uow, committed_world, fixture_forms, clock, monkeypatch, caplog
):
    case_id = due_case(make_committed_uow, committed_world, fixture_forms, clock)
    real, calls = deadlines.sweep, []

    def failing_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database restarting")
        return real(*args, **kwargs)

    monkeypatch.setattr(deadlines, "sweep", failing_once)
    sweeper = Sweeper(services, 0.2)
    sweeper.start()
    try:
        wait_for(
            lambda: has_review(make_committed_uow, case_id), timeout=10, what="the sweep after the error"
        )
    finally:
        sweeper.stop()
    assert len(calls) >= 2 and "deadline sweep failed" in caplog.text


def test_never_two_sweeps_at_once(services, monkeypatch):
    running, peak, lock = [0], [0], threading.Lock()

    def slow_sweep(*args, **kwargs):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.3)
        with lock:
            running[0] -= 1
        return 0

    monkeypatch.setattr(deadlines, "sweep", slow_sweep)
    sweeper = Sweeper(services, 60)
    results = []
    threads = [threading.Thread(target=lambda: results.append(sweeper.sweep_once())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak[0] == 1 and sorted(results, key=str) == [0, None, None, None]


def unsealed(make_uow) -> int:
    with make_uow() as uow:
        pending = select(func.count()).select_from(AuditEvent).where(AuditEvent.seq.is_(None))
        return uow.session.scalar(pending)


def test_each_tick_seals_the_audit_rows_committed_since(services, make_committed_uow, committed_world):
    assert unsealed(make_committed_uow) > 0  # the world's setup is audited
    Sweeper(services, 60).sweep_once()
    assert unsealed(make_committed_uow) == 0
    with make_committed_uow() as uow:
        assert chain.verify(uow.session, uow.clock.now())[1] is None
