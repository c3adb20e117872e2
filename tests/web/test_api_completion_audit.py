"""Completing a task over the API leaves one audit entry for the completion, not a second one for a read."""

from __future__ import annotations

from sqlalchemy import select

from engine.store.models import AuditEvent
from tests.web import api_fixtures as fx

api, api_app, tokens = fx.api, fx.api_app, fx.tokens
NOTE = {"note": "Разговор проведен.", "risk": "high"}


def test_a_completion_over_the_api_is_audited_once_without_a_case_read(api, services):
    with services.uow() as uow:
        before = uow.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    response = api.post(f"/tasks/{api.world.own_task}/complete", "social_worker", json={"data": NOTE})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["task"]["status"] == "completed"  # the answer still shows the task
    with services.uow() as uow:
        actions = uow.session.scalars(
            select(AuditEvent.action).where(AuditEvent.id > before).order_by(AuditEvent.id)
        ).all()
    # the unclaimed task is taken in the same action (its holder completes it): no case.read
    assert actions == ["task.complete", "task.claim"]
