"""API authentication: personal tokens from the real CLI, 401s, sessions and their CSRF token."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from engine.store.models import ApiToken, AuditEvent, User
from tests.web import api_fixtures as fx
from tests.web.conftest import csrf_token_of, login, username

api, api_app, tokens, cli_database, cli_app = fx.api, fx.api_app, fx.tokens, fx.cli_database, fx.cli_app
API = fx.API

ENDPOINTS = [
    ("GET", "/tasks"),
    ("POST", "/tasks/x/claim"),
    ("POST", "/tasks/x/complete"),
    ("GET", "/cases"),
    ("POST", "/cases"),
    ("GET", "/cases/x"),
    ("GET", "/cases/x/audit"),
    ("GET", "/pathways"),
    ("POST", "/pathways"),
]


def test_cli_prints_only_the_token(cli_database):
    assert fx.TOKEN.match(cli_database.token), cli_database.stdout
    assert cli_database.stdout == cli_database.token + "\n"  # nothing else on stdout
    assert cli_database.token not in cli_database.stderr


def test_a_token_from_the_cli_works_against_the_app_and_only_its_hash_is_stored(cli_database, cli_app):
    client = cli_app.test_client()
    headers = fx.bearer(cli_database.token)
    assert client.get(f"{API}/tasks", headers=headers).status_code == 200
    created = client.post(f"{API}/cases", headers=headers, json={**fx.INTAKE, "centre": "kc-demo"})
    assert created.status_code == 201, created.get_json()
    with cli_app.extensions["casepath"].uow() as uow:
        rows = uow.session.execute(select(ApiToken.token_hash, ApiToken.last_used_at)).all()
        reads = uow.session.scalars(select(AuditEvent.actor).where(AuditEvent.action == "case.read")).all()
    assert [digest for digest, _ in rows] == [hashlib.sha256(cli_database.token.encode()).hexdigest()]
    assert all(last_used is not None for _, last_used in rows)
    assert "cli-worker" in reads


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer cp_unknown"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer"},
    ],
    ids=["none", "unknown-token", "basic", "empty-bearer"],
)
def test_every_endpoint_answers_401_without_valid_credentials(cli_app, method, path, headers):
    response = cli_app.test_client().open(f"{API}{path}", method=method, headers=headers, json={})
    assert response.status_code == 401
    body = response.get_json()
    assert body["error"] == "unauthorized" and body["fields"] == {} and body["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_deactivated_users_token_stops_working(api, services):
    assert api.get("/tasks", "social_worker").status_code == 200
    with services.uow() as uow:
        user = uow.session.scalar(select(User).where(User.username == username("social_worker")))
        user.active = False
        uow.commit()
    assert api.get("/tasks", "social_worker").status_code == 401


def signed_in(client, role: str) -> str:
    """Sign in through the login page (CSRF on); the CSRF token of the new session."""
    token = csrf_token_of(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"username": username(role), "password": fx.PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return csrf_token_of(client.get("/inbox").get_data(as_text=True))


def test_session_reads_work_and_session_writes_need_the_csrf_header(api):
    task_id = api.world.own_task
    csrf = signed_in(api.client, "social_worker")
    assert api.client.get(f"{API}/tasks").status_code == 200
    for headers in ({}, {"X-CSRFToken": "forged"}):
        refused = api.client.post(f"{API}/tasks/{task_id}/claim", headers=headers)
        assert refused.status_code == 400
        assert refused.get_json()["error"] == "csrf_failed"
    accepted = api.client.post(f"{API}/tasks/{task_id}/claim", headers={"X-CSRFToken": csrf})
    assert accepted.status_code == 200, accepted.get_json()
    assert accepted.get_json()["assignee"] == "Служител social_worker"


def test_bearer_writes_need_no_csrf_token_even_next_to_a_session_cookie(api):
    signed_in(api.client, "psychologist")
    response = api.post("/cases", "social_worker", json=fx.INTAKE)  # the token's user decides
    assert response.status_code == 201, response.get_json()


def test_signing_in_with_the_csrf_free_test_app_works_for_reads(app, world):
    client = app.test_client()
    login(client, username("manager"))
    assert client.get(f"{API}/cases/{world.own_case}/audit").status_code == 200


def test_the_openapi_document_is_public(cli_app):
    response = cli_app.test_client().get(f"{API}/openapi.json")
    assert response.status_code == 200
    assert response.get_json()["openapi"] == "3.0.3"
