"""``api_token.last_used_at`` is recorded at most every few minutes, after the request's transaction:
a read with a token never writes in its own transaction, so it never takes a write lock."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from engine.people.permissions import SYSTEM
from engine.people.users import issue_token
from engine.services import Services
from engine.store.models import ApiToken
from tests.web import api_fixtures as fx
from tests.web.conftest import QueryCounter, build_world, make_app, username

cli_database, cli_app = fx.cli_database, fx.cli_app
API = fx.API
WRITES = ("INSERT", "UPDATE", "DELETE")


def token_for(services) -> str:  # type: ignore[no-untyped-def]
    with services.uow() as uow:
        token = issue_token(uow, SYSTEM, username("social_worker"))
        uow.commit()
    return token


def last_used(services):  # type: ignore[no-untyped-def]
    with services.uow() as uow:
        return uow.session.scalar(select(ApiToken.last_used_at))


def test_a_read_with_a_recently_used_token_writes_nothing(app, world, services, db_engine, clock):
    client, headers = app.test_client(), fx.bearer(token_for(services))
    assert client.get(f"{API}/tasks", headers=headers).status_code == 200
    clock.advance(timedelta(seconds=30))
    with QueryCounter(db_engine) as seen:
        assert client.get(f"{API}/tasks", headers=headers).status_code == 200
    assert [s for s in seen.statements if s.lstrip().upper().startswith(WRITES)] == []


def test_the_last_use_is_recorded_at_most_every_few_minutes(app, world, services, clock):
    client, headers = app.test_client(), fx.bearer(token_for(services))
    first = clock.now()
    client.get(f"{API}/tasks", headers=headers)
    assert last_used(services) == first
    clock.advance(timedelta(minutes=4))
    client.get(f"{API}/tasks", headers=headers)
    assert last_used(services) == first
    clock.advance(timedelta(minutes=2))
    client.get(f"{API}/tasks", headers=headers)
    assert last_used(services) == first + timedelta(minutes=6)


def test_the_last_use_is_written_after_the_requests_transaction(app, world, services, db_engine, clock):
    """Between the request's token lookup and the UPDATE, the request's transaction has ended."""
    client, headers = app.test_client(), fx.bearer(token_for(services))
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement.lstrip().upper())

    event.listen(db_engine, "before_cursor_execute", seen)
    try:
        assert client.get(f"{API}/tasks", headers=headers).status_code == 200
    finally:
        event.remove(db_engine, "before_cursor_execute", seen)
    lookup = next(i for i, s in enumerate(statements) if s.startswith("SELECT") and "API_TOKEN" in s)
    update = next(i for i, s in enumerate(statements) if s.startswith("UPDATE API_TOKEN"))
    # The tests' sessions are savepoints: the request's transaction ends with RELEASE or ROLLBACK TO.
    ends = [i for i, s in enumerate(statements) if s.startswith(("RELEASE", "ROLLBACK"))]
    assert any(lookup < end < update for end in ends), statements


def test_concurrent_reads_sharing_a_token_on_sqlite_all_succeed(cli_database, cli_app):
    """Real threads, a real SQLite file that really commits: no read answers 409 (it did for half)."""
    headers = fx.bearer(cli_database.token)
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(4)

    def client_loop() -> None:
        client = cli_app.test_client()
        start.wait()
        for _ in range(25):
            status = client.get(f"{API}/tasks", headers=headers).status_code
            with lock:
                statuses[status] += 1

    threads = [threading.Thread(target=client_loop) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == Counter({200: 100})


def test_a_request_never_waits_for_the_token_row_another_transaction_holds(
    db_engine, committed_factory, fixture_forms, clock, test_settings
):
    """On PostgreSQL a request with a token used to hold (and wait for) the token's row lock."""
    if db_engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no row locks: the SQLite side is the concurrent-reads test above")
    services = Services(test_settings, db_engine, committed_factory, fixture_forms, clock)
    build_world(services)
    token = token_for(services)
    client, headers = make_app(services).test_client(), fx.bearer(token)
    assert client.get(f"{API}/tasks", headers=headers).status_code == 200
    clock.advance(timedelta(minutes=6))  # the recorded use is stale: this request wants to refresh it
    statuses: list[int] = []
    with db_engine.connect() as holder:
        holder.execute(select(ApiToken.id).with_for_update())  # another transaction holds the row
        request = threading.Thread(
            target=lambda: statuses.append(client.get(f"{API}/tasks", headers=headers).status_code)
        )
        request.start()
        request.join(timeout=15)
        waited = request.is_alive()
        holder.rollback()
    request.join()
    assert not waited and statuses == [200]
