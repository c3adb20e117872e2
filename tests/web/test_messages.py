"""Delivering a message to a case: the API (``POST /api/v1/cases/{id}/messages/{name}``), the case
page's form for the roles the diagram names, and ``casepath cases message``."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from cli.main import main
from engine.pathways import versions
from engine.people.users import get_user, principal_for
from engine.store.models import AuditEvent, Case, CaseTask
from tests.conftest import FIXTURES
from tests.web import api_fixtures as fx
from tests.web.conftest import csrf_token_of, html_of, username

api, api_app, tokens = fx.api, fx.api_app, fx.tokens
COURT = {"outcome": "placement", "decided_on": "2026-03-02"}


@pytest.fixture
def waiting(services, world, api):
    """A case on the message construct (tests/fixtures/constructs/message.bpmn), waiting for the court."""
    with services.uow() as uow:
        coordinator = principal_for(get_user(uow, username("coordinator")))
        data = (FIXTURES / "constructs" / "message.bpmn").read_bytes()
        versions.deploy(uow, data, services.forms, coordinator, "message.bpmn")
        uow.commit()
    case = api.open_case()
    [task] = case["current_tasks"]
    done = api.post(f"/tasks/{task['id']}/complete", "social_worker", json={"data": {"note": "ok"}})
    assert done.status_code == 200, done.get_json()
    return case["id"]


def test_the_api_delivers_a_message_with_its_data(api, waiting, services):
    path = f"/cases/{waiting}/messages/court_decision"
    response = api.post(path, "case_lead", json={"data": COURT})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert [task["element_id"] for task in body["current_tasks"]] == ["placement"]
    # once delivered, nothing waits for it: 409 with the reason
    again = api.post(path, "case_lead", json={"data": COURT})
    assert again.status_code == 409
    assert again.get_json()["error"] == "conflict"
    assert "nothing in the case waits for the message 'court_decision'" in again.get_json()["message"]
    with services.uow() as uow:
        assert uow.session.scalar(select(AuditEvent.subject).where(AuditEvent.action == "case.message")) == (
            "court_decision"
        )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"data": {"outcome": "prison", "decided_on": "2026-03-02"}}, "outcome"),
        ({"data": {"outcome": "placement"}}, "decided_on"),
        ({"data": {**COURT, "judge": "x"}}, ""),
        ({"data": ["placement"]}, "data"),
        ({"data": "placement"}, "data"),
    ],
)
def test_data_that_do_not_fit_the_declared_form_are_a_400_naming_the_field(api, waiting, body, field):
    response = api.post(f"/cases/{waiting}/messages/court_decision", "case_lead", json=body)
    assert response.status_code == 400, response.get_json()
    answer = response.get_json()
    assert answer["error"] == "message_invalid"
    if field:
        assert field in answer["fields"]
    else:
        assert answer["fields"]
    assert api.get(f"/cases/{waiting}", "case_lead").get_json()["current_tasks"] == []  # nothing stored


def test_a_bad_json_body_is_a_400(api, waiting):
    response = api.post(
        f"/cases/{waiting}/messages/court_decision",
        "case_lead",
        data=b'{"data": {',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400


def test_a_message_nothing_waits_for_is_a_409_naming_what_the_case_waits_for(api, waiting):
    response = api.post(f"/cases/{waiting}/messages/unknown_message", "case_lead", json={"data": {}})
    assert response.status_code == 409
    assert "it waits for: court_decision" in response.get_json()["message"]


@pytest.mark.parametrize(("role", "own", "status"), [
    ("psychologist", True, 403), ("manager", True, 403), ("coordinator", True, 404), ("admin", True, 404),
    ("case_lead", False, 404), ("social_worker", False, 404), ("social_worker", True, 200),
])  # fmt: skip
def test_only_the_roles_the_element_names_in_the_case_centre_deliver(api, waiting, role, own, status):
    response = api.post(f"/cases/{waiting}/messages/court_decision", role, own, json={"data": COURT})
    assert response.status_code == status, response.get_json()


def test_the_openapi_document_describes_the_endpoint():
    client = fx.document_app().test_client()
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/cases/{case_id}/messages/{name}"]["post"]
    assert {"200", "400", "403", "404", "409"} <= set(operation["responses"])
    assert operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/Message")
    assert "data" in document["components"]["schemas"]["Message"]["properties"]


def test_the_case_page_offers_the_form_to_the_roles_that_deliver_it(as_role, waiting, services):
    lead = as_role("case_lead")
    page = html_of(lead.get(f"/cases/{waiting}"))
    assert "Решение на съда" in page and f"/cases/{waiting}/messages/court_decision" in page
    assert 'name="f_outcome"' in page and 'name="f_decided_on"' in page
    for role in ("psychologist", "manager"):
        assert "/messages/court_decision" not in html_of(as_role(role).get(f"/cases/{waiting}"))
    refused = lead.post(f"/cases/{waiting}/messages/court_decision", data={"f_outcome": "placement"})
    assert refused.status_code == 400
    assert "has-error" in html_of(refused)
    done = lead.post(
        f"/cases/{waiting}/messages/court_decision",
        data={"f_outcome": "placement", "f_decided_on": "2026-03-02"},
    )
    assert done.status_code == 302
    with services.uow() as uow:
        case = uow.session.scalar(select(Case).where(Case.public_id == waiting))
        open_tasks = uow.session.scalars(
            select(CaseTask.element_id).where(CaseTask.case_id == case.id, CaseTask.status == "open")
        )
        assert list(open_tasks) == ["placement"]
    page = html_of(lead.get(f"/cases/{waiting}"))
    assert "/messages/court_decision" not in page


def test_the_page_form_needs_its_csrf_token(services, world, waiting):
    from tests.web.conftest import csrf_client

    client = csrf_client(services, "case_lead")
    page = html_of(client.get(f"/cases/{waiting}"))
    data = {"f_outcome": "placement", "f_decided_on": "2026-03-02"}
    assert client.post(f"/cases/{waiting}/messages/court_decision", data=data).status_code == 400
    data["csrf_token"] = csrf_token_of(page)
    assert client.post(f"/cases/{waiting}/messages/court_decision", data=data).status_code == 302


def test_the_command_line_delivers_and_refuses_with_exit_1(services, waiting, monkeypatch):
    from engine.services import Services

    monkeypatch.setattr(Services, "from_settings", classmethod(lambda cls, settings: services))
    with services.uow() as uow:
        number = uow.session.scalar(select(Case.number).where(Case.public_id == waiting))
    runner = CliRunner()
    bad = runner.invoke(main, ["cases", "message", number, "court_decision", "--data", "{"])
    assert bad.exit_code == 1 and "--data: not valid JSON" in bad.output
    wrong = runner.invoke(
        main, ["cases", "message", number, "court_decision", "--as", username("psychologist"), "--data", "{}"]
    )
    assert wrong.exit_code == 1 and "delivered by: case_lead, social_worker" in wrong.output
    unfit = runner.invoke(main, ["cases", "message", number, "court_decision", "--data", '{"outcome": "x"}'])
    assert unfit.exit_code == 1 and "outcome:" in unfit.output and "decided_on:" in unfit.output
    ok = runner.invoke(
        main,
        [
            "cases",
            "message",
            number,
            "court_decision",
            "--as",
            username("case_lead"),
            "--data",
            json.dumps(COURT),
        ],
    )
    assert ok.exit_code == 0, ok.output
    assert ok.output.strip() == f"{number}: message court_decision delivered; case open"
    again = runner.invoke(main, ["cases", "message", number, "court_decision", "--data", json.dumps(COURT)])
    assert (
        again.exit_code == 1 and "nothing in the case waits for the message 'court_decision'" in again.output
    )


def test_the_command_line_starts_a_routine(services, world, monkeypatch):
    from engine.services import Services

    monkeypatch.setattr(Services, "from_settings", classmethod(lambda cls, settings: services))
    with services.uow() as uow:
        coordinator = principal_for(get_user(uow, username("coordinator")))
        data = (FIXTURES / "constructs" / "timer_start.bpmn").read_bytes()
        versions.deploy(uow, data, services.forms, coordinator, "timer_start.bpmn")
        uow.commit()
    runner = CliRunner()
    refused = runner.invoke(main, ["cases", "routine", "crisis_centre_adult", "--centre", "kc-test"])
    assert refused.exit_code == 1 and "does not start at a timer" in refused.output
    started = runner.invoke(
        main,
        ["cases", "routine", "monthly_occupancy_report", "--centre", "kc-test", "--as", username("manager")],
    )
    assert started.exit_code == 0, started.output
    assert "routine monthly_occupancy_report started in kc-test" in started.output
