"""Fixtures for the JSON API tests, on top of ``tests/web/conftest.py`` (services, world, make_app).

Test modules bind the fixtures they use by name (``api = fx.api``): pytest finds them as module
attributes, and there is no second conftest to keep in step with the pages' one.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.config import Settings
from engine.pathways import versions
from engine.pathways.forms import FormCatalog
from engine.people.centres import ensure_centre, find_centre
from engine.people.permissions import SYSTEM
from engine.people.roles import ROLES
from engine.people.users import get_user, issue_token, set_membership
from engine.services import Services
from engine.store.db import make_engine, make_session_factory
from engine.store.uow import UnitOfWork
from tests.conftest import FIXTURES
from tests.engine.conftest import mini_pathway
from tests.web.conftest import PASSWORD, WebWorld, make_app, username
from web.app import create_app

API = "/api/v1"
TOKEN = re.compile(r"^cp_[A-Za-z0-9_-]{40,}$")
INTAKE = {
    "centre": "kc-test",
    "display_name": "Мария П.",
    "legal_basis": "referral",
    "target_group": "domestic_violence",
    "birth_date": "1990-05-04",
    "referral_number": "ДСП-123",
    "referral_date": "2025-08-30",
}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def api_app(services: Services) -> Flask:
    """The whole app on the test's savepoint, CSRF on: bearer requests must not need it."""
    return make_app(services, csrf=True)


@pytest.fixture
def tokens(services: Services, world: WebWorld) -> dict[str, str]:
    """A personal token for every user of the world, by username (``a-…`` own centre, ``b-…`` other)."""
    with services.uow() as uow:
        found = {
            username(role.code, own): issue_token(uow, SYSTEM, username(role.code, own))
            for role in ROLES
            for own in (True, False)
        }
        uow.commit()
    return found


@dataclass
class Api:
    """The test client with a token per user: ``api.get("/tasks", "social_worker")``."""

    client: FlaskClient
    tokens: dict[str, str]
    world: WebWorld

    def call(self, method: str, path: str, role: str | None = None, own: bool = True, **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", {}))
        if role is not None:
            headers.update(bearer(self.tokens[username(role, own)]))
        return self.client.open(f"{API}{path}", method=method, headers=headers, **kwargs)

    def get(self, path: str, role: str | None = None, own: bool = True, **kwargs: Any) -> Any:
        return self.call("GET", path, role, own, **kwargs)

    def post(self, path: str, role: str | None = None, own: bool = True, **kwargs: Any) -> Any:
        return self.call("POST", path, role, own, **kwargs)

    def open_case(self, role: str = "social_worker", **changes: Any) -> dict[str, Any]:
        response = self.post("/cases", role, json={**INTAKE, **changes})
        assert response.status_code == 201, response.get_json()
        return dict(response.get_json())


@pytest.fixture
def api(api_app: Flask, tokens: dict[str, str], world: WebWorld) -> Api:
    return Api(api_app.test_client(), tokens, world)


@functools.cache
def document_app() -> Flask:
    """An app that never touches its database: enough to serve the OpenAPI document."""
    return create_app(Settings(database_url="sqlite:///unused", secret_key="doc", workflows_dir=FIXTURES))


# --- a database made by the real CLI, committed (not a savepoint) -----------------------------------


@dataclass(frozen=True)
class CliDatabase:
    url: str
    folder: Path
    token: str  # printed by `casepath users token` for cli-worker (social worker, and coordinator elsewhere)
    stdout: str
    stderr: str


def casepath(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("casepath")
    command = [str(script)] if script.exists() else [sys.executable, "-c", "from cli.main import run; run()"]
    return subprocess.run(
        [*command, *args], input=stdin, capture_output=True, text=True, env=env, timeout=120, check=False
    )


@pytest.fixture(scope="session")
def cli_database(tmp_path_factory: pytest.TempPathFactory) -> CliDatabase:
    """`casepath db upgrade`, `users create` (password on stdin) and `users token`, run for real."""
    folder = tmp_path_factory.mktemp("cli-db")
    url = f"sqlite:///{folder / 'casepath.sqlite3'}"
    env = {
        **os.environ,
        "CASEPATH_DATABASE_URL": url,
        "CASEPATH_INSTANCE_DIR": str(folder),
        "CASEPATH_SECRET_KEY": "cli-tests",
        "CASEPATH_WORKFLOWS_DIR": str(FIXTURES),
    }
    upgraded = casepath(env, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    seed(url)
    created = casepath(
        env,
        "users",
        "create",
        "cli-worker",
        "--centre",
        "kc-demo",
        "--role",
        "social_worker",
        stdin=PASSWORD + "\n",
    )
    assert created.returncode == 0, created.stderr
    also_coordinator(url, "cli-worker", "kc-far")
    issued = casepath(env, "users", "token", "cli-worker")
    assert issued.returncode == 0, issued.stderr
    return CliDatabase(url, folder, issued.stdout.strip(), issued.stdout, issued.stderr)


def seed(url: str) -> None:
    """Centres (the CLI has no command for them) and the test pathway under the adult and child keys."""
    engine = make_engine(url)
    forms = FormCatalog(FIXTURES / "forms")
    with UnitOfWork(make_session_factory(engine)) as uow:
        ensure_centre(uow, SYSTEM, "kc-demo", "КЦ Демо", "crisis_centre", 1000, "ул. Скрита 3")
        ensure_centre(uow, SYSTEM, "kc-far", "КЦ Далечен", "crisis_centre", 10, "ул. Далечна 4")
        for key in ("crisis_centre_adult", "crisis_centre_child"):
            versions.deploy(uow, mini_pathway(key), forms, SYSTEM, f"{key}.bpmn")
        uow.commit()
    engine.dispose()


def also_coordinator(url: str, name: str, centre_code: str) -> None:
    """A second membership: the CLI's social worker coordinates pathways in another centre."""
    engine = make_engine(url)
    with UnitOfWork(make_session_factory(engine)) as uow:
        set_membership(uow, get_user(uow, name), find_centre(uow, centre_code), "coordinator")
        uow.commit()
    engine.dispose()


@pytest.fixture(scope="session")
def cli_app(cli_database: CliDatabase) -> Iterator[Flask]:
    """The app on the CLI's database, built as `casepath serve` builds it; it really commits."""
    settings = Settings(
        database_url=cli_database.url,
        secret_key="cli-tests",
        instance_dir=cli_database.folder,
        workflows_dir=FIXTURES,
    )
    services = Services.from_settings(settings)
    app = make_app(services, csrf=True)
    yield app
    services.engine.dispose()
