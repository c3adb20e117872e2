"""Fixtures for the web app: two centres, a user for every role in each, a case in each centre,
and one unread notification for each centre's manager about their centre's case.

The app runs on the test's savepoint-isolated session factory (SQLite and PostgreSQL), with the
fixture pathway (``tests/fixtures/mini.bpmn``) deployed as ``crisis_centre_adult``. CSRF is off in
``client`` (tests of CSRF build their own app with it on); argon2 runs with cheap parameters.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from engine.casework import cases
from engine.clock import FrozenClock
from engine.config import Settings
from engine.notify.notifications import DEADLINE_FIRED, deadline_params, notify_roles
from engine.pathways import versions
from engine.pathways.forms import FormCatalog
from engine.people.centres import ensure_centre
from engine.people.permissions import SYSTEM
from engine.people.roles import ROLES
from engine.people.users import create_user, principal_for
from engine.services import Services
from engine.store.models import Case, CaseTask, Notification
from tests.conftest import FIXTURES
from tests.engine.conftest import mini_pathway
from web.app import create_app

PASSWORD = "correct horse battery"
ROLE_CODES = tuple(role.code for role in ROLES)
TRANSLATIONS = Path(__file__).resolve().parents[2] / "web" / "translations"


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs() -> None:
    """The Bulgarian and English catalogs compiled (``make install`` does this too)."""
    compile_catalogs()


def compile_catalogs() -> None:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po_path in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as source:
            catalog = read_po(source)
        with mo_path.open("wb") as target:
            write_mo(target, catalog)


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        "engine.people.users._HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )


@dataclass
class WebWorld:
    own_centre_id: int
    other_centre_id: int
    own_case: str
    other_case: str
    own_task: str  # "Initial assessment", for a social worker
    other_task: str
    own_notification: int  # the own centre's manager's, about the own case
    other_notification: int  # the other centre's manager's


def username(role: str, own: bool = True) -> str:
    return f"{'a' if own else 'b'}-{role.replace('_', '-')}"


@pytest.fixture
def test_settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url="sqlite:///unused",
        secret_key="test-secret-key-for-casepath-web-tests",
        workflows_dir=FIXTURES,
        instance_dir=tmp_path,
        idle_timeout_minutes=30,
    )


@pytest.fixture
def services(
    db_engine: Engine,
    session_factory: sessionmaker[Session],
    fixture_forms: FormCatalog,
    clock: FrozenClock,
    test_settings: Settings,
) -> Services:
    return Services(test_settings, db_engine, session_factory, fixture_forms, clock)


def make_app(services: Services, csrf: bool = False) -> Flask:
    app = create_app(services.settings, services)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=csrf)
    return app


@pytest.fixture
def app(services: Services) -> Flask:
    return make_app(services)


@pytest.fixture
def world(services: Services) -> WebWorld:
    return build_world(services)


def build_world(services: Services) -> WebWorld:
    with services.uow() as uow:
        own = ensure_centre(uow, SYSTEM, "kc-test", "КЦ Тест", "crisis_centre", 12, "ул. Тайна 1")
        other = ensure_centre(uow, SYSTEM, "kc-other", "КЦ Друг", "crisis_centre", 10, "ул. Друга 2")
        for role in ROLE_CODES:
            create_user(uow, SYSTEM, username(role), PASSWORD, "kc-test", role, f"Служител {role}")
            create_user(uow, SYSTEM, username(role, False), PASSWORD, "kc-other", role, f"Друг {role}")
        coordinator = principal_for(_user(uow, username("coordinator")))
        versions.deploy(uow, mini_pathway(), services.forms, coordinator, "mini.bpmn")
        own_case = open_case(uow, "kc-test", username("social_worker"), "Мария П.")
        other_case = open_case(uow, "kc-other", username("social_worker", False), "Елена Д.")
        [own_note] = notify_manager(uow, own_case)
        [other_note] = notify_manager(uow, other_case)
        uow.commit()
        return WebWorld(
            own.id,
            other.id,
            own_case.public_id,
            other_case.public_id,
            first_task(uow, own_case.id),
            first_task(uow, other_case.id),
            own_note.id,
            other_note.id,
        )


def notify_manager(uow, case: Case) -> list[Notification]:  # type: ignore[no-untyped-def]
    params = deadline_params(case.number, "Първа оценка", "Initial assessment")
    return notify_roles(uow, case, ["manager"], DEADLINE_FIRED, params)


def _user(uow, name):  # type: ignore[no-untyped-def]
    from engine.people.users import get_user

    return get_user(uow, name)


def open_case(uow, centre: str, opener: str, name: str) -> Case:  # type: ignore[no-untyped-def]
    intake = cases.Intake(
        centre_code=centre,
        display_name=name,
        legal_basis="referral",
        target_group="domestic_violence",
        referral_number="ДСП-1",
    )
    return cases.open_case(uow, principal_for(_user(uow, opener)), intake)


def first_task(uow, case_id: int) -> str:  # type: ignore[no-untyped-def]
    return uow.session.scalar(
        select(CaseTask.public_id).where(CaseTask.case_id == case_id, CaseTask.status == "open")
    )


def login(client: FlaskClient, name: str, password: str = PASSWORD) -> None:
    response = client.post("/login", data={"username": name, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


@pytest.fixture
def as_role(app: Flask, world: WebWorld) -> Iterator:  # type: ignore[type-arg]
    """``as_role("social_worker")`` → a signed-in client of the own centre (``own=False``: the other)."""
    clients: list[FlaskClient] = []

    def make(role: str, own: bool = True, ip: str = "127.0.0.1") -> FlaskClient:
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = ip  # the session is bound to the address it signed in from
        login(client, username(role, own))
        clients.append(client)
        return client

    yield make


def csrf_client(services: Services, role: str) -> FlaskClient:
    """A client of an app with CSRF on, signed in through the login form as ``role`` of the own centre."""
    client = make_app(services, csrf=True).test_client()
    token = csrf_token_of(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"username": username(role), "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    return client


def csrf_token_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


class QueryCounter:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.statements: list[str] = []

    def __enter__(self) -> QueryCounter:
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)

    def _count(self, conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "PRAGMA")):
            self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


def html_of(response) -> str:  # type: ignore[no-untyped-def]
    """A response's text with Babel's no-break spaces (``31.08.2025 г.``) as plain spaces."""
    return response.get_data(as_text=True).replace("\u00a0", " ").replace("\u202f", " ")
