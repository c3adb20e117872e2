"""The JSON API endpoint by endpoint: the happy path, 403, 404, 409 and 422, and the audit of reads.

The world (tests/web/conftest.py): kc-test and kc-other with a user of every role in each, one case in
each centre whose first task ("Initial assessment", social worker, due in 24 h) is open. The clock
stands at 2025-08-31 10:00 Sofia time.
"""

from __future__ import annotations

import io
import json

from sqlalchemy import select, update

from engine.people.permissions import SYSTEM
from engine.people.users import create_user, issue_token
from engine.store.models import ApiToken, AuditEvent, Centre, User
from tests.engine.conftest import mini_pathway
from tests.web import api_fixtures as fx

api, api_app, tokens = fx.api, fx.api_app, fx.tokens

OWN_ADDRESS, OTHER_ADDRESS = "ул. Тайна 1", "ул. Друга 2"
NOTE = {"note": "Разговор проведен.", "risk": "high"}


def text_of(response) -> str:
    """The body as a reader sees it (JSON escapes non-ASCII characters)."""
    return json.dumps(response.get_json(), ensure_ascii=False)


def error_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert body["error"] == code and isinstance(body["message"], str) and isinstance(body["fields"], dict)
    return body


# --- GET /tasks ------------------------------------------------------------------------------------


def test_inbox_lists_the_callers_tasks_with_case_due_date_and_legal_source(api):
    body = api.get("/tasks", "social_worker").get_json()
    [task] = body["items"]
    assert task["id"] == api.world.own_task
    assert (task["name"], task["role"], task["form_key"], task["assignee"]) == (
        "Initial assessment",
        "social_worker",
        "note",
        None,
    )
    assert task["due_at"] == "2025-09-01T10:00:00+03:00" and task["legal_source"] == "ЗСУ чл. 77(3)"
    assert task["case"]["display_name"] == "Мария П." and task["case"]["number"].startswith("KC-TEST-")
    assert (body["page"], body["page_size"], body["total"]) == (1, 25, 1)
    assert body["counts"]["unclaimed"] == 1 and body["counts"]["overdue"] == 0
    other = api.get("/tasks", "social_worker", own=False).get_json()["items"]
    assert [row["id"] for row in other] == [api.world.other_task]


def test_inbox_filters_like_the_page(api):
    def ids(**query):
        response = api.get("/tasks", "social_worker", query_string=query)
        assert response.status_code == 200, response.get_json()
        return [row["id"] for row in response.get_json()["items"]]

    mine = [api.world.own_task]
    assert ids(due="week") == mine and ids(due="overdue") == [] and ids(due="today") == []
    assert ids(centre="kc-test") == mine and ids(centre="kc-other") == [] and ids(centre="kc-none") == []
    assert ids(pathway="crisis_centre_adult") == mine and ids(pathway="community_support") == []
    assert ids(task_type="assess") == mine and ids(task_type="note") == mine and ids(task_type="review") == []
    assert ids(scope="mine") == [] and ids(scope="unclaimed") == mine
    assert ids(page=2, page_size=1) == []


def test_inbox_refuses_unknown_filters_with_field_errors(api):
    response = api.get(
        "/tasks", "social_worker", query_string={"due": "soon", "page": 0, "page_size": 1000, "scope": "x"}
    )
    assert set(error_of(response, 422, "validation_failed")["fields"]) == {
        "due",
        "page",
        "page_size",
        "scope",
    }


def test_inbox_is_for_casework_roles_only(api):
    for role in ("admin", "coordinator"):
        error_of(api.get("/tasks", role), 403, "forbidden")


# --- POST /tasks/{id}/claim -------------------------------------------------------------------------


def test_claiming_a_task_makes_it_mine_and_twice_changes_nothing(api):
    for _ in range(2):
        response = api.post(f"/tasks/{api.world.own_task}/claim", "social_worker")
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert (body["id"], body["status"], body["assignee"]) == (
            api.world.own_task,
            "open",
            "Служител social_worker",
        )
        assert body["can_complete"] is True
    mine = api.get("/tasks", "social_worker", query_string={"scope": "mine"}).get_json()["items"]
    assert [row["id"] for row in mine] == [api.world.own_task]


def test_claim_refusals(api, services):
    task = api.world.own_task
    error_of(api.post(f"/tasks/{task}/claim", "psychologist"), 403, "forbidden")  # another lane
    error_of(api.post(f"/tasks/{task}/claim", "social_worker", own=False), 404, "not_found")  # other centre
    error_of(api.post("/tasks/0123456789abcdef/claim", "social_worker"), 404, "not_found")
    with services.uow() as uow:
        create_user(uow, SYSTEM, "a-social-2", fx.PASSWORD, "kc-test", "social_worker", "Втора Социална")
        colleague = fx.bearer(issue_token(uow, SYSTEM, "a-social-2"))
        uow.commit()
    assert api.post(f"/tasks/{task}/claim", headers=colleague).status_code == 200
    taken = error_of(api.post(f"/tasks/{task}/claim", "social_worker"), 409, "conflict")
    assert "Втора Социална" in taken["message"]
    assert api.post(f"/tasks/{task}/complete", headers=colleague, json={"data": NOTE}).status_code == 200
    error_of(api.post(f"/tasks/{task}/claim", headers=colleague), 409, "conflict")  # completed


# --- POST /tasks/{id}/complete ----------------------------------------------------------------------


def test_completing_a_task_moves_the_case_on(api):
    response = api.post(f"/tasks/{api.world.own_task}/complete", "social_worker", json={"data": NOTE})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["task"]["status"] == "completed" and body["task"]["completed_by"] == "Служител social_worker"
    assert body["task"]["completed_at"] == "2025-08-31T10:00:00+03:00"
    assert body["case"]["id"] == api.world.own_case and body["case_status"] == "open"
    assert body["next_tasks"] == []  # the pathway now waits a month for the plan review
    case = api.get(f"/cases/{api.world.own_case}", "social_worker").get_json()
    assert case["completed_forms"][0]["data"] == NOTE
    kinds = {deadline["kind"]: deadline["due_at"] for deadline in case["deadlines"]}
    assert kinds["6-month cap"] == case["cap_at"] == "2026-02-28T10:00:00+02:00"
    assert kinds["A month passes"] == "2025-09-30T10:00:00+03:00"


def test_form_errors_are_422_per_field_and_store_nothing(api):
    path = f"/tasks/{api.world.own_task}/complete"
    cases = [
        ({"data": {}}, {"note"}),
        ({"data": {"note": "x", "risk": "medium"}}, {"risk"}),
        ({"data": {"note": "x" * 501, "extra": 1}}, {"note", "extra"}),
        ({}, {"data"}),
        ({"data": "not an object"}, {"data"}),
        ({"data": {}, "more": 1}, {"more"}),
    ]
    for body, fields in cases:
        response = api.post(path, "social_worker", json=body)
        assert set(error_of(response, 422, "validation_failed")["fields"]) == fields, body
    tasks = api.get("/tasks", "social_worker").get_json()["items"]
    assert [row["id"] for row in tasks] == [api.world.own_task]  # still open


def test_a_body_that_is_not_json_is_a_400(api):
    response = api.post(
        f"/tasks/{api.world.own_task}/complete",
        "social_worker",
        data="{not json",
        headers={"Content-Type": "application/json"},
    )
    assert error_of(response, 400, "bad_request")["fields"] == {"json": ["Invalid JSON body."]}


def test_json_nested_too_deeply_for_the_decoder_is_a_400(api):
    body = '{"data": {"note": "x", "deep": ' + "[" * 100_000 + "]" * 100_000 + "}}"
    for path in (f"/tasks/{api.world.own_task}/complete", "/cases"):
        response = api.post(path, "social_worker", data=body, headers={"Content-Type": "application/json"})
        assert error_of(response, 400, "bad_request")["fields"] == {
            "json": ["The JSON body is nested too deeply."]
        }


def test_completing_twice_is_a_409_saying_who_and_when(api):
    path = f"/tasks/{api.world.own_task}/complete"
    assert api.post(path, "social_worker", json={"data": NOTE}).status_code == 200
    again = error_of(api.post(path, "social_worker", json={"data": NOTE}), 409, "conflict")
    assert "Служител social_worker" in again["message"] and "2025-08-31T10:00:00+03:00" in again["message"]


def test_complete_refusals(api):
    path = f"/tasks/{api.world.own_task}/complete"
    error_of(api.post(path, "psychologist", json={"data": NOTE}), 403, "forbidden")
    error_of(api.post(path, "social_worker", own=False, json={"data": NOTE}), 404, "not_found")
    error_of(api.post("/tasks/nope/complete", "social_worker", json={"data": NOTE}), 404, "not_found")


# --- GET /cases ------------------------------------------------------------------------------------


def test_case_list_shows_only_the_callers_centres(api):
    body = api.get("/cases", "case_lead").get_json()
    assert [row["id"] for row in body["items"]] == [api.world.own_case]
    row = body["items"][0]
    assert (row["centre"], row["pathway"], row["status"], row["open_tasks"]) == (
        "КЦ Тест",
        "crisis_centre_adult",
        "open",
        1,
    )
    assert row["admitted_at"] == "2025-08-31T10:00:00+03:00"
    assert (body["page"], body["page_size"], body["total"]) == (1, 25, 1)
    other = api.get("/cases", "manager", own=False, query_string={"status": "all"}).get_json()
    assert [row["id"] for row in other["items"]] == [api.world.other_case]
    assert api.get("/cases", "case_lead", query_string={"search": "Елена"}).get_json()["items"] == []
    assert api.get("/cases", "case_lead", query_string={"status": "closed"}).get_json()["total"] == 0


def test_case_list_refusals(api):
    error_of(api.get("/cases", "admin"), 403, "forbidden")
    bad = api.get("/cases", "case_lead", query_string={"status": "lost", "page": -1})
    assert set(error_of(bad, 422, "validation_failed")["fields"]) == {"status", "page"}


# --- POST /cases -----------------------------------------------------------------------------------


def test_intake_opens_a_case_with_its_cap_and_deadlines(api, services):
    case = api.open_case("social_worker")
    assert case["number"] == "KC-TEST-2025-0002" and case["status"] == "open"
    assert case["admitted_at"] == "2025-08-31T10:00:00+03:00"
    assert case["cap_at"] == "2026-02-28T10:00:00+02:00"  # six calendar months, clamped at February's end
    assert case["deadlines"] == [
        {"kind": "Initial assessment", "due_at": "2025-09-01T10:00:00+03:00", "legal_source": "ЗСУ чл. 77(3)"}
    ]
    assert case["centre"] == {"name": "КЦ Тест", "address": OWN_ADDRESS}
    assert case["birth_date"] == "1990-05-04" and case["referral_number"] == "ДСП-123"
    assert case["pathway"] == {
        "key": "crisis_centre_adult",
        "name": "Кризисен център – пълнолетни",
        "version": 1,
    }
    assert [task["name"] for task in case["current_tasks"]] == ["Initial assessment"]
    with services.uow() as uow:
        actions = uow.session.scalars(
            select(AuditEvent.action).where(AuditEvent.subject == case["number"]).order_by(AuditEvent.id)
        ).all()
    assert actions == ["case.open", "case.read"]


def test_intake_errors_are_422_per_field(api):
    missing = api.post("/cases", "social_worker", json={})
    assert set(error_of(missing, 422, "validation_failed")["fields"]) == {
        "centre",
        "display_name",
        "legal_basis",
        "target_group",
    }
    wrong = {**fx.INTAKE, "legal_basis": "rumour", "birth_date": "1990-13-01", "nickname": "x"}
    fields = error_of(api.post("/cases", "social_worker", json=wrong), 422, "validation_failed")["fields"]
    assert set(fields) == {"legal_basis", "birth_date", "nickname"}
    engine_check = api.post("/cases", "social_worker", json={**fx.INTAKE, "referral_number": ""})
    assert set(error_of(engine_check, 422, "validation_failed")["fields"]) == {"referral_number"}


def test_intake_warns_when_the_centre_is_full(api, services):
    with services.uow() as uow:
        uow.session.execute(update(Centre).where(Centre.code == "kc-test").values(capacity=1))
        uow.commit()
    full = error_of(api.post("/cases", "social_worker", json=fx.INTAKE), 422, "validation_failed")
    assert set(full["fields"]) == {"over_capacity"}
    api.open_case("social_worker", over_capacity=True)


def test_intake_refusals(api):
    error_of(api.post("/cases", "psychologist", json=fx.INTAKE), 403, "forbidden")  # not an intake role
    error_of(api.post("/cases", "social_worker", own=False, json=fx.INTAKE), 403, "forbidden")  # kc-test
    error_of(api.post("/cases", "social_worker", json={**fx.INTAKE, "centre": "kc-none"}), 404, "not_found")


def test_an_intake_meeting_a_taken_case_number_is_a_409(api, monkeypatch):
    monkeypatch.setattr(
        "engine.casework.cases._next_number", lambda uow, centre, admitted_at: "KC-TEST-2025-0001"
    )
    api.client.application.config["PROPAGATE_EXCEPTIONS"] = False  # see the 500 the client would get
    error_of(api.post("/cases", "social_worker", json=fx.INTAKE), 409, "conflict")


# --- GET /cases/{id} -------------------------------------------------------------------------------


def test_reading_a_case_is_audited(api, services):
    response = api.get(f"/cases/{api.world.own_case}", "psychologist")
    assert response.status_code == 200, response.get_json()
    case = response.get_json()
    assert case["id"] == api.world.own_case and case["cap_at"] == "2026-02-28T10:00:00+02:00"
    assert case["day_of_stay"] == 1 and case["days_to_cap"] == 181 and case["incident"] is None
    assert case["deadlines"][0]["legal_source"] == "ЗСУ чл. 77(3)"
    assert case["centre"]["address"] == OWN_ADDRESS  # staff of this centre
    with services.uow() as uow:
        reads = uow.session.execute(
            select(AuditEvent.actor, AuditEvent.detail, AuditEvent.ip).where(AuditEvent.action == "case.read")
        ).all()
    assert reads == [("a-psychologist", {"view": "api"}, "127.0.0.1")]


def test_another_centres_case_does_not_exist_for_the_caller(api):
    for role in ("social_worker", "manager"):
        response = api.get(f"/cases/{api.world.own_case}", role, own=False)
        error_of(response, 404, "not_found")
        assert OWN_ADDRESS not in text_of(response)
    error_of(api.get(f"/cases/{api.world.own_case}", "admin"), 404, "not_found")  # no case content
    error_of(api.get("/cases/unknown", "social_worker"), 404, "not_found")


def test_no_response_to_another_centre_carries_the_address(api):
    bodies = [
        api.get("/tasks", "social_worker", own=False),
        api.get("/cases", "social_worker", own=False, query_string={"status": "all"}),
        api.get(f"/cases/{api.world.other_case}", "social_worker", own=False),
        api.get(f"/cases/{api.world.own_case}/audit", "manager", own=False),
    ]
    text = "".join(text_of(response) for response in bodies)
    assert OTHER_ADDRESS in text and OWN_ADDRESS not in text


# --- GET /cases/{id}/audit -------------------------------------------------------------------------


def test_the_manager_sees_who_read_the_case(api):
    api.get(f"/cases/{api.world.own_case}", "social_worker")
    response = api.get(f"/cases/{api.world.own_case}/audit", "manager")
    assert response.status_code == 200, response.get_json()
    entries = response.get_json()["items"]
    assert entries[0]["action"] == "case.read" and entries[0]["actor"] == "a-social-worker"
    assert entries[0]["ip"] == "127.0.0.1" and entries[0]["at"] == "2025-08-31T10:00:00+03:00"
    assert entries[-1]["action"] == "case.open"
    again = api.get(f"/cases/{api.world.own_case}/audit", "manager").get_json()["items"]
    assert again[0]["action"] == "case.audit_read"  # reading the audit is itself recorded


def test_audit_refusals(api):
    for role in ("social_worker", "case_lead", "psychologist"):
        error_of(api.get(f"/cases/{api.world.own_case}/audit", role), 403, "forbidden")
    error_of(api.get(f"/cases/{api.world.own_case}/audit", "manager", own=False), 404, "not_found")
    error_of(api.get("/cases/unknown/audit", "manager"), 404, "not_found")


# --- /pathways -------------------------------------------------------------------------------------


def test_pathways_are_listed_with_their_newest_version(api):
    body = api.get("/pathways", "social_worker").get_json()
    assert body["items"] == [
        {
            "key": "crisis_centre_adult",
            "name": "Кризисен център – пълнолетни",
            "centre_kind": "crisis_centre",
            "target": "adult",
            "version": 1,
        }
    ]


def test_a_user_without_any_role_may_not_list_pathways(api, services):
    with services.uow() as uow:
        uow.session.add(User(username="no-role", created_at=services.clock.now(), active=True))
        uow.session.flush()
        token = issue_token(uow, SYSTEM, "no-role")
        uow.commit()
    error_of(api.client.get(f"{fx.API}/pathways", headers=fx.bearer(token)), 403, "forbidden")


def test_a_coordinator_uploads_a_pathway_as_a_file_or_as_xml(api):
    diagram = mini_pathway("api_upload")
    first = api.post("/pathways", "coordinator", data={"file": (io.BytesIO(diagram), "api_upload.bpmn")})
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["key"] == "api_upload" and first.get_json()["version"] == 1
    assert first.get_json()["deployed_at"] == "2025-08-31T10:00:00+03:00"
    changed = mini_pathway("api_upload", {'name="Initial assessment"': 'name="Първа оценка"'})
    second = api.post("/pathways", "coordinator", data=changed, headers={"Content-Type": "application/xml"})
    assert second.status_code == 201 and second.get_json()["version"] == 2
    same = api.post("/pathways", "coordinator", data=changed, headers={"Content-Type": "application/xml"})
    assert same.get_json()["version"] == 2  # the same diagram is not stored twice
    keys = {row["key"]: row["version"] for row in api.get("/pathways", "coordinator").get_json()["items"]}
    assert keys["api_upload"] == 2


def test_an_invalid_diagram_is_422_with_problems_per_element(api):
    broken = mini_pathway("api_upload", {'value="note"/>\n': 'value="nosuch"/>\n'})  # the first task only
    response = api.post("/pathways", "coordinator", data=broken, headers={"Content-Type": "application/xml"})
    body = error_of(response, 422, "pathway_invalid")
    assert list(body["fields"]) == ["assess"] and "nosuch" in body["fields"]["assess"][0]
    garbage = api.post("/pathways", "coordinator", data=b"<not-closed", headers={"Content-Type": "text/xml"})
    assert error_of(garbage, 422, "pathway_invalid")["fields"]
    doctype = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>'
    error_of(
        api.post("/pathways", "coordinator", data=doctype, headers={"Content-Type": "application/xml"}),
        422,
        "pathway_invalid",
    )


def test_upload_refusals(api):
    diagram = mini_pathway("api_upload")
    xml = {"Content-Type": "application/xml"}
    error_of(api.post("/pathways", "social_worker", data=diagram, headers=xml), 403, "forbidden")
    error_of(api.post("/pathways", "admin", data=diagram, headers=xml), 403, "forbidden")
    plain = api.post("/pathways", "coordinator", data=diagram, headers={"Content-Type": "text/plain"})
    error_of(plain, 415, "unsupported_media_type")
    no_file = api.post("/pathways", "coordinator", data={"other": "x"}, content_type="multipart/form-data")
    assert set(error_of(no_file, 422, "validation_failed")["fields"]) == {"file"}
    huge = api.post("/pathways", "coordinator", data=b"<" * (5 * 1024 * 1024 + 1), headers=xml)
    error_of(huge, 413, "too_large")


def test_upload_goes_through_the_engines_catalogue_service(api, monkeypatch):
    """The coordinator check lives in ``engine.pathways.versions``, not in the view."""
    xml = {"Content-Type": "application/xml"}
    empty = api.post("/pathways", "coordinator", data=b"", headers=xml)
    assert set(error_of(empty, 422, "validation_failed")["fields"]) == {"file"}
    monkeypatch.setattr("engine.pathways.versions.can_edit_pathway", lambda who: True)
    monkeypatch.setattr("engine.pathways.versions.can_deploy_pathway", lambda who, used_by: True)
    diagram = mini_pathway("api_upload")
    assert api.post("/pathways", "social_worker", data=diagram, headers=xml).status_code == 201


def test_nul_characters_are_refused_before_they_reach_the_database(api):
    """PostgreSQL cannot store NUL in text: the app refuses it (400), the API's schemas too (422)."""
    for response in (
        api.get("/tasks", "social_worker", query_string={"centre": "kc\x00test"}),
        api.post("/cases", "social_worker", json={**fx.INTAKE, "display_name": "a\x00b"}),
        api.post(f"/tasks/{api.world.own_task}/complete", "social_worker", json={"data": {"note": "\x00"}}),
    ):
        assert response.status_code in (400, 422), response.get_json()
        assert set(response.get_json()) == {"error", "message", "fields"}


def test_lone_surrogates_are_refused_as_text_no_database_can_store(api):
    """JSON may escape half a UTF-16 pair ("\\ud800"): neither PostgreSQL nor SQLite stores it."""
    intake = (
        '{"centre": "kc-test", "display_name": "a\\ud800", "legal_basis": "urgent", "target_group": "other"}'
    )
    note = '{"data": {"note": "a\\udc00", "risk": "low"}}'
    json_body = {"Content-Type": "application/json"}
    response = api.post("/cases", "social_worker", data=intake, headers=json_body)
    assert set(error_of(response, 422, "validation_failed")["fields"]) == {"display_name"}
    response = api.post(
        f"/tasks/{api.world.own_task}/complete", "social_worker", data=note, headers=json_body
    )
    assert set(error_of(response, 422, "validation_failed")["fields"]) == {"data"}


# --- errors outside any endpoint ----------------------------------------------------------------------


def test_unknown_paths_and_methods_answer_json(api):
    error_of(api.get("/nothing-here", "social_worker"), 404, "not_found")
    wrong = error_of(api.call("DELETE", "/cases", "social_worker"), 405, "method_not_allowed")
    assert wrong["fields"] == {}
    assert set(api.call("PUT", "/cases", "social_worker").headers["Allow"].split(", ")) >= {"GET", "POST"}


def test_a_multipart_part_without_a_name_is_not_a_server_error(api):
    """Found by schemathesis: werkzeug names such a part None."""
    body = b"--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--\r\n"
    response = api.post("/pathways", "coordinator", data=body, content_type="multipart/form-data; boundary=b")
    assert response.status_code in (400, 422)


def test_tokens_are_stored_hashed(api, services):
    with services.uow() as uow:
        stored = set(uow.session.scalars(select(ApiToken.token_hash)))
    assert stored and not stored & set(api.tokens.values())


def test_intake_takes_the_dsp_lead_and_the_engine_refuses_a_long_name(api):
    lead = {"dsp_lead_name": "Мария  Петрова", "dsp_lead_contact": "0888 123 456"}
    case = api.post("/cases", "social_worker", json={**fx.INTAKE, **lead}).get_json()
    assert case["dsp_lead"] == {"name": "Мария Петрова", "contact": "0888 123 456"}
    assert case["links"] == []
    too_long = api.post("/cases", "social_worker", json={**fx.INTAKE, "dsp_lead_name": "М" * 201})
    assert set(error_of(too_long, 422, "validation_failed")["fields"]) == {"dsp_lead_name"}
