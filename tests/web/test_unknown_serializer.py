"""A case stored by a serializer this release cannot read: a clear page or JSON error, a log line, no change.

The world's own case (tests/web/conftest.py) is marked as written by another release's serializer; its
first task is open.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import func, select, update

from engine.services import Services
from engine.store.models import AuditEvent, Case, CaseTask
from tests.web import api_fixtures as fx
from tests.web.conftest import WebWorld, html_of

api, api_app, tokens = fx.api, fx.api_app, fx.tokens

FOREIGN = "casepath-9/spiff-9.9"
NOTE = {"note": "Разговор проведен.", "risk": "high"}


@pytest.fixture
def foreign(services: Services, world: WebWorld) -> WebWorld:
    with services.uow() as uow:
        uow.session.execute(
            update(Case).where(Case.public_id == world.own_case).values(serializer_version=FOREIGN)
        )
        uow.commit()
    return world


def stored(services: Services, public_id: str) -> tuple[Any, ...]:
    """The case row, its tasks and its audit trail: what a request on the case could change."""
    with services.uow() as uow:
        case = uow.session.scalar(select(Case).where(Case.public_id == public_id))
        assert case is not None
        tasks = uow.session.execute(
            select(CaseTask.public_id, CaseTask.status, CaseTask.data).where(CaseTask.case_id == case.id)
        ).all()
        audit = uow.session.scalar(select(func.count()).where(AuditEvent.case_id == case.id))
        return case.workflow_state, case.serializer_version, case.version, case.status, sorted(tasks), audit


def test_the_case_page_and_the_task_say_what_is_wrong_and_change_nothing(as_role, foreign, services, caplog):
    client = as_role("social_worker")
    before = stored(services, foreign.own_case)
    with caplog.at_level(logging.ERROR, logger="casepath.web"):
        page = client.get(f"/cases/{foreign.own_case}")
        done = client.post(f"/tasks/{foreign.own_task}/complete", data={"f_note": "Среща.", "f_risk": "high"})
    for response in (page, done):
        assert response.status_code == 503 and response.mimetype == "text/html"
        html = html_of(response)
        assert "Този случай не може да бъде отворен от тази версия на Casepath" in html
        assert "Нищо не е променено. Уведомете администратора." in html
        assert "Traceback" not in html
    assert stored(services, foreign.own_case) == before
    logged = [r.getMessage() for r in caplog.records if r.name == "casepath.web"]
    assert len(logged) == 2 and all("unknown_serializer" in line and FOREIGN in line for line in logged)


def test_the_api_answers_503_unknown_serializer_and_changes_nothing(api, foreign, services):
    before = stored(services, foreign.own_case)
    show = api.get(f"/cases/{foreign.own_case}", "social_worker")
    done = api.post(f"/tasks/{foreign.own_task}/complete", "social_worker", json={"data": NOTE})
    for response in (show, done):
        assert response.status_code == 503, response.get_json()
        body = response.get_json()
        assert body["error"] == "unknown_serializer" and f"'{FOREIGN}'" in body["message"]
        assert body["fields"] == {}
    assert stored(services, foreign.own_case) == before


def test_the_api_documents_the_503(api):
    document = api.client.get("/api/v1/openapi.json").get_json()
    assert "503" in document["paths"]["/api/v1/cases/{case_id}"]["get"]["responses"]
    assert "503" in document["paths"]["/api/v1/tasks/{task_id}/complete"]["post"]["responses"]
