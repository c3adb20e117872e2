"""On SQLite a request's transaction takes the write lock at once (``BEGIN IMMEDIATE``) unless its view
is marked ``@reads_only``: lists that record nothing answer while another process holds the lock."""

from __future__ import annotations

import sqlite3
import time

from sqlalchemy import event

from tests.web import api_fixtures as fx

cli_database, cli_app = fx.cli_database, fx.cli_app
API = fx.API


def begins(app, path: str, headers: dict[str, str]) -> tuple[int, list[str]]:  # type: ignore[no-untyped-def]
    """The status of GET ``path`` and the BEGIN statements its transactions sent."""
    engine = app.extensions["casepath"].engine
    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.upper().startswith("BEGIN"):
            seen.append(statement.upper())

    event.listen(engine, "before_cursor_execute", note)
    try:
        status = app.test_client().get(path, headers=headers).status_code
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return status, seen


def test_lists_read_without_the_write_lock_and_other_views_take_it(cli_database, cli_app):
    headers = fx.bearer(cli_database.token)
    assert cli_app.test_client().get(f"{API}/tasks", headers=headers).status_code == 200  # records the use
    for path in (f"{API}/tasks", f"{API}/cases", f"{API}/pathways"):
        status, seen = begins(cli_app, path, headers)
        assert status == 200 and seen and all(b == "BEGIN" for b in seen), (path, seen)
    # reading one case is audited, so its view is a writer (here the case does not exist)
    status, seen = begins(cli_app, f"{API}/cases/not-a-case", headers)
    assert status == 404 and "BEGIN IMMEDIATE" in seen


def test_a_list_answers_while_another_process_holds_the_write_lock(cli_database, cli_app):
    headers = fx.bearer(cli_database.token)
    assert cli_app.test_client().get(f"{API}/tasks", headers=headers).status_code == 200  # records the use
    writer = sqlite3.connect(cli_database.url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        started = time.monotonic()
        assert cli_app.test_client().get(f"{API}/tasks", headers=headers).status_code == 200
        assert time.monotonic() - started < 5  # a writer's transaction would wait 30 s for the lock
    finally:
        writer.execute("ROLLBACK")
        writer.close()
