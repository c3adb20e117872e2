"""Shared fixtures: real SQLite and PostgreSQL, schema from Alembic, each test in a savepoint.

Services (PostgreSQL, Redis, Chromium) come from ``CASEPATH_TEST_*`` variables set by ``.ci/run``.
Locally a missing service skips its tests with one line; with ``CI=true`` it fails them.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from urllib.parse import urlparse

import pytest
from sqlalchemy import Engine, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import FrozenClock
from engine.config import PROJECT_ROOT
from engine.pathways.forms import FormCatalog
from engine.store import schema
from engine.store.db import make_engine, normalise_url
from engine.store.models import Base
from engine.store.uow import UnitOfWork

FIXTURES = Path(__file__).parent / "fixtures"
# ``make test`` runs the suite in two processes (pytest-xdist): each gets its own PostgreSQL database and
# Redis database, derived from CASEPATH_TEST_* before any test reads them (pytest_configure below).
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
WORKFLOWS = PROJECT_ROOT / "workflows"
IN_CI = os.environ.get("CI", "").lower() == "true"


def pytest_configure(config: pytest.Config) -> None:
    if WORKER:
        _own_services(int(WORKER.removeprefix("gw") or 0))


def _own_services(index: int) -> None:
    """This worker's databases: ``<name>_gw<N>`` on the PostgreSQL server (created when missing) and the
    Redis database after the run's own by ``N + 1``."""
    postgres = os.environ.get("CASEPATH_TEST_POSTGRES_URL", "")
    if postgres and _answers(postgres):
        base = make_url(normalise_url(postgres))
        name = f"{base.database}_gw{index}"
        server = make_engine(base.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
        with server.connect() as connection:
            if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        server.dispose()
        own = base.set(database=name)
        os.environ["CASEPATH_TEST_POSTGRES_URL"] = own.render_as_string(hide_password=False)
    redis_url = os.environ.get("CASEPATH_TEST_REDIS_URL", "")
    if redis_url:
        parsed = urlparse(redis_url)
        own = int(parsed.path.strip("/") or 0) or 11  # tests/tasks/conftest.py: 11 instead of 0
        os.environ["CASEPATH_TEST_REDIS_URL"] = parsed._replace(path=f"/{own + index + 1}").geturl()


def need_service(variable: str, what: str) -> str:
    """The URL of a service the test needs; skip locally, fail in CI, when it is absent."""
    url = os.environ.get(variable, "")
    problem = "" if url else f"{variable} is not set"
    if url and not _answers(url):
        problem = f"{what} at {url} does not answer"
    if problem:
        if IN_CI:
            pytest.fail(f"{what} is required in CI: {problem}")
        pytest.skip(f"{what} unavailable: {problem}")
    return url


def _answers(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 0), timeout=2):
            return True
    except OSError:
        return False


def reset_postgres(url: str) -> Engine:
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    schema.upgrade(url)
    return engine


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def db_engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A migrated database on each backend, shared by the session."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'casepath.sqlite3'}"
        schema.upgrade(url)
        engine = make_engine(url)
    else:
        engine = reset_postgres(need_service("CASEPATH_TEST_POSTGRES_URL", "PostgreSQL"))
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(db_engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Sessions joined to one outer transaction that is rolled back after the test."""
    connection = db_engine.connect()
    outer = connection.begin()
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    yield factory
    outer.rollback()
    connection.close()


@pytest.fixture
def committed_factory(db_engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Sessions on their own connections that really commit: for races between transactions.

    Every table is emptied afterwards so the savepoint-isolated tests that share the database
    never see these rows.
    """
    yield sessionmaker(bind=db_engine, expire_on_commit=False)
    with db_engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def make_committed_uow(
    committed_factory: sessionmaker[Session], clock: FrozenClock
) -> Callable[[], UnitOfWork]:
    return lambda: UnitOfWork(committed_factory, clock)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime.fromisoformat("2025-08-31T10:00:00+03:00"))


@pytest.fixture
def make_uow(session_factory: sessionmaker[Session], clock: FrozenClock) -> Callable[[], UnitOfWork]:
    return lambda: UnitOfWork(session_factory, clock)


@pytest.fixture(scope="session")
def forms() -> FormCatalog:
    return FormCatalog(WORKFLOWS / "forms")


@pytest.fixture(scope="session")
def fixture_forms() -> FormCatalog:
    return FormCatalog(FIXTURES / "forms")


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashing() -> Iterator[None]:
    """Real argon2, with the cheapest parameters: the suite hashes hundreds of test passwords."""
    from argon2 import PasswordHasher

    from engine.people import users

    original = users._HASHER
    users._HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    users._HASHER = original
