"""Errors in one place (pages and JSON), bad input never a 500, and one transaction per request."""

from __future__ import annotations

import logging
from io import BytesIO

import pytest
from flask import Blueprint
from sqlalchemy import func, select, text

from engine.audit.chain import record
from engine.errors import (
    ConcurrencyConflict,
    NotFound,
    PathwayInvalid,
    PermissionDenied,
    Problem,
    ValidationFailed,
)
from engine.store.models import AuditEvent, Case
from tests.web.conftest import html_of, make_app
from web.db import request_uow
from web.errors import Unauthenticated
from web.security import current_principal

RAISERS = {
    "not-found": NotFound("case not found"),
    "forbidden": PermissionDenied("no"),
    "invalid": ValidationFailed("bad", {"name": ["required"]}),
    "conflict": ConcurrencyConflict("someone else"),
    "pathway": PathwayInvalid("bad diagram", [Problem("task_1", "no role")]),
    "anonymous": Unauthenticated("sign in"),
}


@pytest.fixture
def probe_app(services):
    """The app with routes that raise each engine error, under /api/ and as pages."""
    app = make_app(services)
    blueprint = Blueprint("probe", __name__)

    def raiser(kind: str):  # type: ignore[no-untyped-def]
        raise RAISERS[kind]

    def write_then_fail(kind: str):  # type: ignore[no-untyped-def]
        uow = request_uow()
        record(uow.session, uow.clock.now(), current_principal_or_system(), "probe.write")
        raise RAISERS[kind]

    def write_and_succeed():  # type: ignore[no-untyped-def]
        uow = request_uow()
        record(uow.session, uow.clock.now(), current_principal_or_system(), "probe.write")
        return "ok"

    def constraint_bug():  # type: ignore[no-untyped-def]
        insert = text("INSERT INTO centre (code, kind, capacity, address) VALUES (:code, 'x', 1, '')")
        request_uow().session.execute(insert, {"code": "Скрита-7"})  # no name: a NOT NULL violation
        return "not reached"

    blueprint.add_url_rule("/probe-bug", "bug", constraint_bug)
    blueprint.add_url_rule("/api/v1/probe-bug", "api_bug", constraint_bug)
    blueprint.add_url_rule("/api/v1/probe/<kind>", "api_raise", raiser)
    blueprint.add_url_rule("/probe/<kind>", "page_raise", raiser)
    blueprint.add_url_rule("/probe-write/<kind>", "write_fail", write_then_fail)
    blueprint.add_url_rule("/probe-write", "write_ok", write_and_succeed)
    app.register_blueprint(blueprint)
    return app


def current_principal_or_system():  # type: ignore[no-untyped-def]
    from engine.people.permissions import SYSTEM

    try:
        return current_principal()
    except Unauthenticated:
        return SYSTEM


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("not-found", 404, "not_found"),
        ("forbidden", 403, "forbidden"),
        ("invalid", 422, "validation_failed"),
        ("conflict", 409, "conflict"),
        ("pathway", 422, "pathway_invalid"),
        ("anonymous", 401, "unauthorized"),
    ],
)
def test_engine_errors_map_to_json_under_api(probe_app, kind, status, code):
    response = probe_app.test_client().get(f"/api/v1/probe/{kind}")
    assert response.status_code == status
    body = response.get_json()
    assert body["error"] == code and body["message"]
    if kind == "invalid":
        assert body["fields"] == {"name": ["required"]}
    if kind == "pathway":
        assert body["fields"] == {"task_1": ["no role"]}


def test_engine_errors_are_friendly_pages_elsewhere(probe_app):
    client = probe_app.test_client()
    page = client.get("/probe/forbidden")
    assert page.status_code == 403 and "Нямате право на това действие" in html_of(page)
    assert page.mimetype == "text/html"
    assert client.get("/probe/anonymous").headers["Location"].startswith("/login")
    conflict = client.get("/probe/conflict")
    assert conflict.status_code == 409 and "Някой друг ви изпревари" in html_of(conflict)


def test_http_errors_follow_the_same_rule(probe_app):
    client = probe_app.test_client()
    assert client.get("/api/v1/no-such-endpoint").get_json()["error"] == "not_found"
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and "Не е намерено" in html_of(missing)
    assert client.get("/logout").status_code == 405


def test_a_failed_request_stores_nothing_a_successful_one_commits_once(probe_app, services):
    client = probe_app.test_client()
    assert client.get("/probe-write/conflict").status_code == 409
    assert client.get("/probe-write").status_code == 200
    with services.uow() as uow:
        assert uow.session.scalar(select(func.count()).where(AuditEvent.action == "probe.write")) == 1


def test_no_commit_outside_the_request_hook():
    from pathlib import Path

    web = Path(__file__).resolve().parents[2] / "web"
    offenders = [
        str(path.relative_to(web))
        for path in web.rglob("*.py")
        if "commit(" in path.read_text(encoding="utf-8") and path.name != "db.py"
    ]
    assert offenders == []


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("GET", "/inbox?page=99999999", None),
        ("GET", "/inbox?centre=-1&pathway=" + "x" * 500, None),
        ("GET", "/cases?q=%25%25_&page=0", None),
        ("GET", "/cases?q=" + "я" * 3000, None),
        ("POST", "/intake", {"display_name": "x" * 5000, "centre": "kc-test", "birth_date": "0001-01-01"}),
        ("POST", "/intake", {"display_name": "Име", "centre": "kc-test", "admitted_on": "2025-02-30"}),
        ("POST", "/intake", {"display_name": "a\x00b", "centre": "kc-test"}),
        ("POST", "/login", {"username": "x\x00", "password": "y"}),
        ("POST", "/login", {"username": "я" * 10_000, "password": "y" * 10_000}),
        ("POST", "/tasks/{task}/complete", {"f_note": "n" * 10_000, "f_risk": ["low", "high"]}),
        ("POST", "/tasks/{task}/complete", {"f_unknown": "x", "f_note": "x\x00"}),
        ("POST", "/tasks/{task}/reassign", {"assignee": "x" * 1000}),
        ("POST", "/cases/{case}/signal", {"signal": "x" * 1000}),
        ("POST", "/language", {"locale": "x" * 1000, "next": "http://evil"}),
        ("GET", "/tasks/" + "z" * 2000, None),
    ],
)
def test_bad_input_is_never_a_server_error(as_role, world, method, path, data):
    client = as_role("manager")
    response = client.open(path.format(task=world.own_task, case=world.own_case), method=method, data=data)
    assert response.status_code < 500


def test_too_large_upload_is_a_413_page(services, world, as_role):
    app = make_app(services)
    app.config["MAX_CONTENT_LENGTH"] = 1000
    from tests.web.conftest import login, username

    client = app.test_client()
    login(client, username("coordinator"))
    response = client.post("/pathways", data={"file": (BytesIO(b"x" * 5000), "big.bpmn")})
    assert response.status_code == 413 and "Файлът е твърде голям" in html_of(response)


def test_case_count_unchanged_by_refused_intake(as_role, world, services):
    as_role("psychologist").post("/intake", data={"centre": "kc-test", "display_name": "x"})
    with services.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Case)) == 2


def test_a_race_lost_inside_a_service_is_a_409_not_a_500(as_role, world, monkeypatch):
    # Another intake took this number between our count and our insert: a unique violation at flush.
    monkeypatch.setattr(
        "engine.casework.cases._next_number", lambda uow, centre, admitted_at: "KC-TEST-2025-0001"
    )
    client = as_role("social_worker")
    client.application.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.post(
        "/intake",
        data={"centre": "kc-test", "display_name": "Лице", "legal_basis": "urgent", "target_group": "other"},
    )
    assert response.status_code == 409
    assert "Някой друг ви изпревари" in html_of(response)


def test_a_constraint_bug_is_a_500_with_a_log_line_not_a_409(probe_app, caplog):
    caplog.set_level(logging.DEBUG)
    probe_app.config["PROPAGATE_EXCEPTIONS"] = False
    client = probe_app.test_client()
    page = client.get("/probe-bug")
    assert page.status_code == 500 and "Някой друг ви изпревари" not in html_of(page)
    api = client.get("/api/v1/probe-bug")
    assert api.status_code == 500 and api.get_json()["error"] == "integrity_error"
    assert "centre.name" in caplog.text and "Скрита-7" not in caplog.text
