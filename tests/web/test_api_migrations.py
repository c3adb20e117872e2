"""``POST /api/v1/pathways/{key}/migrations``: a coordinator previews and asks, a manager approves (it
runs), and the batch is reverted; who may do what."""

from __future__ import annotations

from sqlalchemy import select

from engine.pathways import versions
from engine.people.permissions import SYSTEM
from engine.store.models import Case, CaseTask
from tests.engine.conftest import mini_pathway
from tests.web import api_fixtures as fx

api, api_app, tokens = fx.api, fx.api_app, fx.tokens
KEY = "crisis_centre_adult"
PATH = f"/pathways/{KEY}/migrations"


def _two_days(services) -> None:  # type: ignore[no-untyped-def]
    """Version 2: the initial assessment is due in two days instead of one."""
    with services.uow() as uow:
        changed = mini_pathway(KEY, {'name="due" value="PT24H"': 'name="due" value="P2D"'})
        versions.deploy(uow, changed, services.forms, SYSTEM, "mini.bpmn")
        uow.commit()


def test_a_clock_moving_migration_waits_for_a_manager_then_runs_and_reverts(api: fx.Api, services) -> None:  # type: ignore[no-untyped-def]
    numbers = sorted(api.open_case()["number"] for _ in range(2))
    _two_days(services)
    dry = api.post(PATH, "coordinator", json={"from": 1, "to": 2, "cases": numbers, "dry_run": True})
    assert dry.status_code == 200, dry.get_json()
    body = dry.get_json()
    assert body["batch"] is None and sorted(c["number"] for c in body["cases"]) == numbers
    case = body["cases"][0]
    assert case["verdict"] == "migratable" and case["position"] == ["Initial assessment"]
    codes = [c["code"] for c in case["changes"]]
    assert codes == ["task_kept", "task_due"]
    assert "Мария" not in str(body)  # no personal data in a coordinator's preview

    asked = api.post(PATH, "coordinator", json={"from": 1, "to": 2, "cases": numbers, "dry_run": False})
    assert asked.status_code == 202 and asked.get_json()["status"] == "awaiting_approval"
    batch = asked.get_json()["batch"]
    assert api.post(f"/migrations/{batch}/run", "coordinator").status_code == 422
    assert api.post(f"/migrations/{batch}/approve", "coordinator").status_code == 403
    approved = api.post(f"/migrations/{batch}/approve", "manager")
    assert approved.status_code == 200, approved.get_json()
    assert {c["verdict"] for c in approved.get_json()["cases"]} == {"migrated"}
    progress = api.get(f"/migrations/{batch}", "coordinator").get_json()
    assert progress["status"] == "done" and progress["migrated"] == 2 and progress["done"] == 2
    with services.uow() as uow:
        rows = uow.session.scalars(
            select(CaseTask).join(Case).where(CaseTask.status == "open", Case.number.in_(numbers))
        )
        assert {(r.due_at - r.created_at).days for r in rows} == {2}

    reverted = api.post(f"/migrations/{batch}/revert", "coordinator", json={"cases": [numbers[0]]})
    assert [c["verdict"] for c in reverted.get_json()["cases"]] == ["reverted"]
    again = api.post(f"/migrations/{batch}/revert", "coordinator", json={})
    assert sorted(c["verdict"] for c in again.get_json()["cases"]) == ["reverted", "reverted"]


def test_bad_input_names_the_field_and_others_may_not_migrate(api: fx.Api, services) -> None:  # type: ignore[no-untyped-def]
    api.open_case()
    _two_days(services)
    missing = api.post(PATH, "coordinator", json={"from": 1, "to": 9})
    assert missing.status_code == 422 and "to" in str(missing.get_json())
    unknown = api.post(PATH, "coordinator", json={"from": 1, "to": 2, "cases": ["KC-X-1"]})
    assert unknown.status_code == 422 and "cases" in str(unknown.get_json())
    for role in ("social_worker", "manager", "case_lead"):
        assert api.post(PATH, role, json={"from": 1, "to": 2}).status_code == 403
    assert api.post("/pathways/nope/migrations", "coordinator", json={"from": 1, "to": 2}).status_code == 404
    assert api.get("/migrations/999", "coordinator").status_code == 404
