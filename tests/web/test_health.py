"""``/healthz``: database, broker (or "embedded") and the age of the last sweep; 200 or 503, JSON."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.casework import deadlines
from engine.config import Settings
from engine.services import Services
from tests.tasks.conftest import database_url, redis_test_url
from web.app import create_app


@pytest.fixture
def services(db_engine, committed_factory, clock, tmp_path):
    settings = Settings(database_url=database_url(db_engine), secret_key="x", instance_dir=tmp_path)
    services = Services.from_settings(settings, clock=clock)
    yield services
    services.engine.dispose()


def get(services: Services, **changes):
    settings = services.settings.with_(**changes)
    services.settings = settings
    return create_app(settings, services).test_client().get("/healthz")


def record(services: Services) -> None:
    with services.uow() as uow:
        deadlines.record_sweep(uow, 3, 2, "embedded")
        uow.commit()


def test_embedded_mode_is_healthy_with_a_recent_sweep(services, clock):
    record(services)
    clock.advance(timedelta(seconds=31))
    response = get(services)
    assert response.status_code == 200 and response.is_json
    body = response.get_json()
    assert body["status"] == "ok" and body["database"] == "ok" and body["broker"] == "embedded"
    assert body["last_sweep_age_seconds"] == 31.0
    assert body["last_sweep"] == {"runner": "embedded", "due": 3, "fired": 2}


def test_a_stale_sweep_is_unhealthy(services, clock):
    record(services)
    clock.advance(timedelta(minutes=10))
    response = get(services)
    assert response.status_code == 503
    assert response.get_json()["sweep"] == "stale" and response.get_json()["status"] == "error"


def test_no_sweep_yet_is_within_the_grace_period(services):
    body = get(services).get_json()
    assert body["sweep"] == "never" and body["last_sweep_age_seconds"] is None and body["status"] == "ok"


def test_broker_reachability_when_redis_is_configured(services):
    url = redis_test_url()
    record(services)
    assert get(services, redis_url=url).get_json()["broker"] == "ok"
    response = get(services, redis_url="redis://127.0.0.1:1/0")
    assert response.status_code == 503 and response.get_json()["broker"].startswith("unreachable")


def test_database_unreachable(tmp_path, clock):
    settings = Settings(
        database_url="postgresql://nobody@127.0.0.1:1/none", secret_key="x", instance_dir=tmp_path
    )
    services = Services.from_settings(settings, clock=clock)
    response = create_app(settings, services).test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["database"].startswith("unreachable") and body["status"] == "error"


def test_never_a_sweep_after_the_grace_period_is_unhealthy(services):
    from web.health import STARTED

    app = create_app(services.settings, services)
    app.extensions[STARTED] -= 3600  # the process has been up for an hour and no sweep ever ran
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.get_json()["sweep"] == "never"
