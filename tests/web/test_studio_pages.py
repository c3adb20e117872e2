"""The studio's pages: the editor's configuration, versions, a diff in words, and a manager's decision."""

from __future__ import annotations

import json
import re

from engine.pathways import studio, studio_deploy
from engine.people.users import get_user, principal_for
from tests.engine.conftest import mini_pathway
from tests.web.conftest import html_of, username

KEY = "crisis_centre_adult"


def _config(html: str) -> dict:  # type: ignore[type-arg]
    found = re.search(r'<script type="application/json" id="studio-config">(.*?)</script>', html, re.S)
    assert found is not None
    return dict(json.loads(found.group(1)))


def test_the_editor_is_built_from_the_property_declaration(as_role) -> None:  # type: ignore[no-untyped-def]
    for own in (True, False):
        page = as_role("coordinator", own).get(f"/pathways/{KEY}/edit")
        assert page.status_code == 200
        policy = page.headers["Content-Security-Policy"]  # the modeller's style attributes, nothing more
        assert "style-src 'self'; style-src-attr 'unsafe-inline';" in policy
        assert "script-src 'self';" in policy
        config = _config(html_of(page))
        names = [item["name"] for item in config["properties"]]
        assert {"role", "form", "due", "due_from", "legal_source", "notify"} <= set(names)
        assert {"value": "social_worker", "label": "Социален работник"} in config["roles"]
        assert any(form["value"] == "note" for form in config["forms"])
        assert config["catalogue"]["Create task"] == "Създай задача"
    for role in ("social_worker", "case_lead", "manager", "admin"):
        assert as_role(role).get(f"/pathways/{KEY}/edit").status_code == 403


def test_a_manager_sees_the_change_in_words_and_approves_it(as_role, services) -> None:  # type: ignore[no-untyped-def]
    with services.uow() as uow:
        coordinator = principal_for(get_user(uow, username("coordinator", False)))
        six_weeks = mini_pathway(KEY, {">P1M<": ">P6W<"})
        studio.save_draft(uow, coordinator, KEY, six_weeks, services.forms)
        outcome = studio_deploy.deploy_draft(
            uow, coordinator, KEY, "six weeks", services.forms, services.settings.pathways_dir
        )
        uow.commit()
    assert outcome.approval_id is not None
    versions = html_of(as_role("manager").get(f"/pathways/{KEY}/versions"))
    assert f"/api/v1/pathways/{KEY}/versions/1/bpmn" in versions
    diff = html_of(as_role("coordinator").get(f"/pathways/{KEY}/diff?from=1&to=draft"))
    assert "<code>wait_month</code>: timer <q>P1M</q> → <q>P6W</q>" in diff
    listed = html_of(as_role("manager", False).get("/pathway-approvals"))
    assert f"/pathway-approvals/{outcome.approval_id}" in listed
    page = html_of(as_role("manager").get(f"/pathway-approvals/{outcome.approval_id}"))
    assert "wait_month: Таймер: 1 месец → 6 седмици" in page and 'value="approve"' in page
    coordinator_view = html_of(as_role("coordinator", False).get(f"/pathway-approvals/{outcome.approval_id}"))
    assert 'value="approve"' not in coordinator_view  # the one who asked does not decide
    refused = as_role("coordinator", False).post(
        f"/pathway-approvals/{outcome.approval_id}", data={"decision": "approve"}
    )
    assert refused.status_code == 403
    decided = as_role("manager").post(
        f"/pathway-approvals/{outcome.approval_id}", data={"decision": "approve", "reason": "agreed"}
    )
    assert decided.status_code == 302
    assert "одобрено" in html_of(as_role("manager", False).get(f"/pathway-approvals/{outcome.approval_id}"))
