"""The studio's JSON API: a coordinator saves, tries and deploys a draft; a manager approves a clock
change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.config import Settings
from engine.store.models import AuditEvent, PathwayDraft
from tests.conftest import FIXTURES
from tests.engine.conftest import mini_pathway
from tests.web import api_fixtures as fx

api, api_app, tokens = fx.api, fx.api_app, fx.tokens
KEY = "crisis_centre_adult"
P = f"/pathways/{KEY}"
XML = {"Content-Type": "application/xml"}
SCENARIO = {
    "name": "assessment within a day",
    "start": "2026-08-31T10:00:00+03:00",
    "data": {"risk": "low", "goals_met": True},
    "until": "2026-12-31",
    "expect": [{"task": "assess", "due": "2026-09-01"}, {"timer": "wait_month", "fired": "2026-10-01"}],
}


@pytest.fixture
def test_settings(tmp_path: Path) -> Settings:
    """The web tests' settings, with the fixture pathway's scenarios where the studio looks for them."""
    folder = tmp_path / "workflows" / "pathways" / KEY / "scenarios"
    folder.mkdir(parents=True)
    (folder / "01.json").write_text(json.dumps(SCENARIO), encoding="utf-8")
    (tmp_path / "workflows" / "forms").symlink_to(FIXTURES / "forms")
    return Settings(
        database_url="sqlite:///unused",
        secret_key="test-secret-key-for-casepath-web-tests",
        workflows_dir=tmp_path / "workflows",
        instance_dir=tmp_path,
    )


def put(api: fx.Api, data: bytes, role: str = "coordinator", own: bool = True):  # type: ignore[no-untyped-def]
    return api.call("PUT", f"{P}/draft", role, own, data=data, headers=XML)


def test_an_invalid_draft_is_saved_and_answered_with_coded_problems_in_bulgarian(api: fx.Api) -> None:
    response = put(api, mini_pathway(KEY, {'value="review"': 'value="no_such_form"'}))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["verdict"] == "invalid"
    assert {"element_id": "review", "severity": "error", "code": "form_unknown",
            "message": "form 'no_such_form': няма такъв формуляр"} in body["problems"]  # fmt: skip
    draft = api.get(f"{P}/draft", "manager").get_json()
    assert (
        draft["author"] == "a-coordinator"
        and draft["status"] == "draft"
        and "<bpmn:definitions" in draft["xml"]
    )


def test_a_doctype_is_a_400_and_nothing_is_stored(api: fx.Api, services) -> None:  # type: ignore[no-untyped-def]
    evil = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]><d>&e;</d>'
    response = put(api, evil)
    assert response.status_code == 400 and response.get_json()["error"] == "unsafe_document"
    with services.uow() as uow:
        assert uow.session.scalar(select(PathwayDraft)) is None
    assert api.call("PUT", f"{P}/draft", "coordinator", data=b"<x/>").status_code == 415


@pytest.mark.parametrize("role", ["social_worker", "case_lead", "manager", "admin", "psychologist"])
@pytest.mark.parametrize("own", [True, False])
def test_only_coordinators_of_either_centre_save_drafts(api: fx.Api, role: str, own: bool) -> None:
    assert put(api, mini_pathway(KEY), role, own).status_code == 403
    assert put(api, mini_pathway(KEY), "coordinator", own).status_code == 200


def test_case_workers_see_no_versions_nor_diff(api: fx.Api) -> None:
    for role in ("social_worker", "case_lead", "admin"):
        for own in (True, False):
            assert api.get(f"{P}/versions", role, own).status_code == 403
            assert api.get(f"{P}/diff?from=1&to=1", role, own).status_code == 403
    [version] = api.get(f"{P}/versions", "manager", False).get_json()["items"]
    assert (
        version["version"] == 1 and version["open_cases"] == 2 and version["deployed_by"] == "a-coordinator"
    )
    download = api.get(f"{P}/versions/1/bpmn", "coordinator", False)
    assert download.mimetype == "application/xml" and b'id="crisis_centre_adult"' in download.data
    assert "attachment" in download.headers["Content-Disposition"]


def test_simulate_test_and_check_an_expression(api: fx.Api) -> None:
    assert api.post(f"{P}/draft/test", "coordinator").status_code == 404  # no draft yet
    assert put(api, mini_pathway(KEY)).status_code == 200
    report = api.post(f"{P}/draft/test", "coordinator").get_json()
    assert (report["passed"], report["failed"]) == (1, [])
    assert [(s["passed"], s["message"]) for s in report["scenarios"]] == [(True, "")]
    steps = api.post(f"{P}/draft/simulate", "coordinator", json=SCENARIO).get_json()["steps"]
    assert steps[0]["element_id"] == "assess" and steps[0]["due_at"].startswith("2026-09-01")
    bad = api.post(f"{P}/draft/simulate", "coordinator", json={"name": "x"})
    assert bad.status_code == 422
    checked = api.post(
        "/pathways/check-expression", "coordinator", json={"kind": "expression", "text": "a +"}
    )
    assert checked.get_json()["ok"] is False and checked.get_json()["message"]
    fine = api.post("/pathways/check-expression", "coordinator", json={"kind": "due", "text": "P20D"})
    assert fine.get_json() == {"ok": True, "message": ""}
    assert (
        api.post(
            "/pathways/check-expression", "social_worker", json={"kind": "due", "text": "P1D"}
        ).status_code
        == 403
    )


def test_deploy_a_label_then_a_timer_change_that_a_manager_approves(api: fx.Api, services) -> None:  # type: ignore[no-untyped-def]
    assert (
        put(api, mini_pathway(KEY).replace(b"<bpmn:process", b"<!-- c --><bpmn:process")).status_code == 200
    )
    nothing = api.post(f"{P}/draft/deploy", "coordinator", json={"note": "comment only"})
    assert nothing.status_code == 422 and "nothing changed" in nothing.get_json()["message"]
    assert api.post(f"{P}/draft/deploy", "coordinator", json={}).status_code == 422  # the note
    put(api, mini_pathway(KEY, {'name="Plan review"': 'name="Review"'}))
    assert api.get(f"{P}/diff?from=1&to=draft", "coordinator").get_json() == {
        "added": [],
        "removed": [],
        "changed": [{"id": "review", "changes": {"name": ["Plan review", "Review"]}}],
    }
    deployed = api.post(f"{P}/draft/deploy", "coordinator", json={"note": "shorter name"})
    assert (deployed.status_code, deployed.get_json()) == (201, {"version": 2})

    put(api, mini_pathway(KEY, {'name="Plan review"': 'name="Review"', ">P1M<": ">P6W<"}), own=False)
    failing = api.post(f"{P}/draft/deploy", "coordinator", False, json={"note": "six weeks"})
    assert (
        failing.status_code == 422 and "got 2026-10-13" in failing.get_json()["fields"]["confirm_failures"][0]
    )
    asked = api.post(
        f"{P}/draft/deploy", "coordinator", False, json={"note": "six weeks", "confirm_failures": True}
    )
    assert asked.status_code == 202
    approval = asked.get_json()["approval_id"]
    assert asked.get_json()["reasons"] == ["wait_month: timer P1M → P6W"]
    pending = api.get("/pathway-approvals", "manager").get_json()["items"]
    assert [(a["id"], a["may_decide"]) for a in pending] == [(approval, True)]
    for role in ("coordinator", "case_lead", "social_worker"):
        refused = api.post(f"/pathway-approvals/{approval}", role, json={"decision": "approve"})
        assert refused.status_code == 403
    assert (
        api.post(f"/pathway-approvals/{approval}", "manager", json={"decision": "maybe"}).status_code == 422
    )
    decided = api.post(
        f"/pathway-approvals/{approval}", "manager", json={"decision": "approve", "reason": "ok"}
    )
    assert decided.status_code == 200 and decided.get_json()["version"] == 3
    assert (
        api.post(
            f"/pathway-approvals/{approval}", "manager", False, json={"decision": "reject", "reason": "x"}
        ).status_code
        == 409
    )
    versions = api.get(f"{P}/versions", "coordinator").get_json()["items"]
    assert [(v["version"], v["deployed_by"], v["note"]) for v in versions] == [
        (3, "b-coordinator", "six weeks"), (2, "a-coordinator", "shorter name"), (1, "a-coordinator", ""),
    ]  # fmt: skip
    with services.uow() as uow:
        actions = set(uow.session.scalars(select(AuditEvent.action)))
    assert {"pathway.draft_save", "pathway.approval_request", "pathway.approved", "pathway.deploy"} <= actions


def test_a_coordinator_updates_a_scenario_through_the_api(api: fx.Api) -> None:
    assert (
        put(api, mini_pathway(KEY, {"<bpmn:timeDuration>P1M<": "<bpmn:timeDuration>P6W<"})).status_code == 200
    )
    [listed] = api.get(f"{P}/draft/scenarios", "manager").get_json()["scenarios"]
    assert (listed["name"], listed["edited"], listed["scenario"]) == ("01", False, SCENARIO)
    assert api.get(f"{P}/draft/scenarios", "social_worker").status_code == 403
    updated = {**SCENARIO, "expect": [{"timer": "wait_month", "fired": "2026-10-13"}]}
    path = f"{P}/draft/scenarios/01"
    for role in ("social_worker", "manager", "case_lead"):
        assert api.call("PUT", path, role, True, json=updated).status_code == 403
    wrong = api.call("PUT", path, "coordinator", True, json={**updated, "until": 5})
    assert wrong.status_code == 422 and "until" in wrong.get_json()["fields"]
    assert (
        api.call("PUT", f"{P}/draft/scenarios/Bad%20Name", "coordinator", True, json=updated).status_code
        == 422
    )
    not_json = api.call(
        "PUT", path, "coordinator", True, data=b"{", headers={"Content-Type": "application/json"}
    )
    assert not_json.status_code == 400
    saved = api.call("PUT", path, "coordinator", True, json=updated)
    assert saved.get_json() == {"name": "01", "passed": True, "failures": []}
    report = api.post(f"{P}/draft/test", "coordinator").get_json()
    assert (report["passed"], report["failed"]) == (1, [])
    asked = api.post(f"{P}/draft/deploy", "coordinator", json={"note": "six weeks"})
    assert asked.status_code == 202
    assert asked.get_json()["reasons_read"] == ["wait_month: Таймер: 1 месец → 6 седмици"]
