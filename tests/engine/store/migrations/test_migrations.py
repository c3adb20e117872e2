"""Alembic: one head, a clean round trip, and models that match the migrations, on both databases."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from engine.store import schema
from engine.store.db import make_engine, normalise_url
from engine.store.models import Base, UTCDateTime
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


_AT_0004_PATHWAY_VERSION = sa.table(
    "pathway_version",
    *(sa.column(name) for name in (
        "id", "pathway_id", "version", "process_id", "bpmn_xml", "sha256", "spec_json", "deployed_at"
    )),
)  # fmt: skip
# The centre as revision 0004 has it: the model's later columns (the letterhead, 0018) are not there yet.
_AT_0004_CENTRE = sa.table(
    "centre",
    *(sa.column(name) for name in ("id", "code", "name", "kind", "capacity", "address")),
    sa.column("created_at", UTCDateTime()),
)


def test_0005_audit_keeps_the_old_chain_and_numbers_and_downgrades_without_loss(empty_url: str) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import func, insert, select

    from engine.audit import chain
    from engine.store.models import AuditEvent, Case, CaseCounter, Pathway

    schema.upgrade(empty_url, "0004_outbox")
    engine = make_engine(empty_url)
    at = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(
            insert(_AT_0004_CENTRE),
            [
                {
                    "id": 1,
                    "code": "kc-a",
                    "name": "A",
                    "kind": "crisis_centre",
                    "capacity": 9,
                    "address": "",
                    "created_at": at,
                },
                {
                    "id": 2,
                    "code": "kc-b",
                    "name": "B",
                    "kind": "crisis_centre",
                    "capacity": 9,
                    "address": "",
                    "created_at": at,
                },
            ],
        )
        connection.execute(insert(Pathway), [{"id": 1, "key": "p", "name": "P"}])
        connection.execute(
            insert(_AT_0004_PATHWAY_VERSION),  # the model has columns of later revisions (note)
            [{"id": 1, "pathway_id": 1, "version": 1, "process_id": "p", "bpmn_xml": "", "sha256": "",
              "spec_json": "", "deployed_at": at}],
        )  # fmt: skip
        numbers = [(1, "KC-A-2025-0007"), (1, "KC-A-2026-0002"), (1, "KC-A-2026-0003"), (2, "KC-B-2026-0001")]
        connection.execute(
            insert(Case),
            [
                {"number": number, "centre_id": centre, "pathway_version_id": 1, "display_name": "x",
                 "target_group": "other", "legal_basis": "urgent", "admitted_at": at, "workflow_state": b"",
                 "serializer_version": "1"}
                for centre, number in numbers
            ],
        )  # fmt: skip
        prev = chain.GENESIS
        for n in range(3):  # chained the way revision 0002 wrote them: in id order, hash at insert
            row = AuditEvent(at=at, actor_id=None, actor="system", action="x", case_id=None, subject=str(n),
                             detail={"n": n}, ip="", prev_hash=prev)  # fmt: skip
            row.hash = chain.entry_hash(row)
            connection.execute(
                insert(AuditEvent).values(
                    at=at, actor="system", action="x", subject=str(n), detail={"n": n}, ip="",
                    prev_hash=prev, hash=row.hash,
                )
            )  # fmt: skip
            prev = row.hash
    schema.upgrade(empty_url)
    with Session(engine) as session:
        counters = session.execute(select(CaseCounter.centre_id, CaseCounter.year, CaseCounter.last_number))
        assert sorted(tuple(row) for row in counters) == [(1, 2025, 7), (1, 2026, 3), (2, 2026, 1)]
        assert chain.verify(session, at) == (3, None)
        session.add(AuditEvent(at=at, actor="system", action="y", subject="after", detail={}, ip=""))
        session.commit()
    schema.downgrade(empty_url, "0004_outbox")  # the unsealed row is sealed, not lost
    schema.upgrade(empty_url)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 4
        assert chain.verify(session, at) == (4, None)
    engine.dispose()
