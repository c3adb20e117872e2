"""Alembic: one head, a clean round trip, and models that match the migrations, on both databases."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from engine.store import schema
from engine.store.db import make_engine, normalise_url
from engine.store.models import Base
from tests.conftest import need_service


@pytest.fixture(params=["sqlite", "postgres"])
def empty_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """An empty database: a new SQLite file, or a scratch PostgreSQL database beside the test one."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    url = make_url(normalise_url(need_service("CASEPATH_TEST_POSTGRES_URL", "PostgreSQL")))
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    scratch = "casepath_migrations_test"
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {scratch}"))
        connection.execute(text(f"CREATE DATABASE {scratch}"))
    yield url.set(database=scratch).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {scratch} WITH (FORCE)"))
    admin.dispose()


def test_single_head() -> None:
    assert len(schema.heads()) == 1


def test_upgrade_downgrade_upgrade(empty_url: str) -> None:
    schema.upgrade(empty_url)
    schema.downgrade(empty_url, "base")
    engine = make_engine(empty_url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    schema.upgrade(empty_url)


def test_models_match_migrations(empty_url: str) -> None:
    schema.upgrade(empty_url)
    engine = make_engine(empty_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == []
