"""Migration 0003_runs: incident messages stored before it may quote case data; upgrading replaces them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from engine.bpmn.run_problems import PROBLEMS
from engine.store import schema
from engine.store.db import make_engine, normalise_url
from tests.conftest import need_service

LEAK = "int() cannot read 'Бие ме, живея при сестра ми, ул. Скрита 7' as a whole number"


@pytest.fixture(params=["sqlite", "postgres"])
def scratch_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.sqlite3'}"
        return
    url = make_url(normalise_url(need_service("CASEPATH_TEST_POSTGRES_URL", "PostgreSQL")))
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    scratch = f"{url.database}_m0003"
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {scratch}"))
        connection.execute(text(f"CREATE DATABASE {scratch}"))
    yield url.set(database=scratch).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {scratch} WITH (FORCE)"))
    admin.dispose()


ROWS = [
    "INSERT INTO centre (id, code, name, kind, capacity, address, created_at)"
    " VALUES (1, 'kc', 'КЦ', 'crisis_centre', 1, '', '2025-01-01 00:00:00+00:00')",
    "INSERT INTO pathway (id, key, name, centre_kind, target) VALUES (1, 'p', 'P', 'crisis_centre', 'any')",
    "INSERT INTO pathway_version (id, pathway_id, version, process_id, bpmn_xml, sha256, spec_json,"
    " deployed_at) VALUES (1, 1, 1, 'p', '', 'x', '{}', '2025-01-01 00:00:00+00:00')",
]
CASE = (
    "INSERT INTO case_file (id, public_id, number, centre_id, pathway_version_id, display_name,"
    " target_group, legal_basis, referral_number, admitted_at, status, workflow_state, serializer_version,"
    " incident_element, incident_message, incident_expression, version)"
    " VALUES (:id, :id_text, :id_text, 1, 1, 'x', 'other', 'urgent', '', '2025-01-01 00:00:00+00:00',"
    " :status, :state, 's', :element, :message, '', 1)"
)


def test_upgrade_replaces_stored_incident_messages(scratch_url: str) -> None:
    schema.upgrade(scratch_url, "0002")
    engine = make_engine(scratch_url)
    with engine.begin() as connection:
        for row in ROWS:
            connection.execute(text(row))
        for id_, status, element, message in ((1, "incident", "score", LEAK), (2, "open", "", "")):
            values = {
                "id": id_,
                "id_text": str(id_),
                "status": status,
                "element": element,
                "message": message,
            }
            connection.execute(text(CASE), {**values, "state": b""})
    schema.upgrade(scratch_url)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT id, incident_problem, incident_message FROM case_file ORDER BY id")
        ).all()
    engine.dispose()
    assert [tuple(row) for row in rows] == [(1, "expression", PROBLEMS["expression"]), (2, "", "")]
