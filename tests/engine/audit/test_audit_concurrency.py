"""Many people at once on real SQLite (a file, WAL) and PostgreSQL: no global audit lock, no 409s.

These tests commit for real (``committed_world``) and run real threads, each with its own unit of
work and its own user, as concurrent requests would.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from dataclasses import replace

import pytest
from sqlalchemy import Engine, func, select, text

from engine.audit import chain
from engine.casework import cases
from engine.casework.read.casefile import read_case
from engine.people.permissions import SYSTEM, Principal
from engine.people.users import create_user, principal_for
from engine.store.models import AuditEvent, Case, CaseTask
from engine.store.uow import UnitOfWork
from tests.engine.casework.test_cases import INTAKE
from tests.engine.conftest import World

CLIENTS = 16


def run_together(work: list[Callable[[], None]]) -> list[str]:
    """Run each callable in its own thread, all released at once; the errors they raised."""
    barrier = threading.Barrier(len(work))
    errors: list[str] = []

    def client(job: Callable[[], None]) -> None:
        barrier.wait()
        try:
            job()
        except Exception:
            errors.append(traceback.format_exc(limit=3))

    threads = [threading.Thread(target=client, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads), "a client is stuck"
    return errors


def _clients(make_uow: Callable[[], UnitOfWork]) -> list[tuple[Principal, str]]:
    """CLIENTS social workers of kc-test, each with a case of their own."""
    result = []
    with make_uow() as uow:
        for number in range(CLIENTS):
            user = create_user(
                uow, SYSTEM, f"client-{number:02d}", "correct horse battery", "kc-test", "social_worker"
            )
            who = principal_for(user)
            case = cases.open_case(uow, who, replace(INTAKE, display_name=f"Лице {number}"))
            result.append((who, case.public_id))
        uow.commit()
    return result


def test_sixteen_clients_read_and_complete_their_own_cases_at_once(
    make_committed_uow, committed_world: World, fixture_forms
):
    clients = _clients(make_committed_uow)

    def session_of(who: Principal, public_id: str) -> Callable[[], None]:
        def work() -> None:
            with make_committed_uow() as uow:  # open the case: an audited read
                task_id = read_case(uow, who, public_id).current_tasks[0].public_id
                uow.commit()
            with make_committed_uow() as uow:
                cases.complete_task(uow, who, task_id, {"note": "x", "risk": "low"}, fixture_forms)
                uow.commit()
            with make_committed_uow() as uow:  # and look at it again
                read_case(uow, who, public_id)
                uow.commit()

        return work

    errors = run_together([session_of(who, public_id) for who, public_id in clients])
    assert errors == []
    with make_committed_uow() as uow:
        completed = uow.session.scalars(
            select(CaseTask.completed_by_id).where(CaseTask.status == "completed")
        ).all()
        assert sorted(completed) == sorted(who.user_id for who, _ in clients)
        assert chain.seal(uow.session) > 0
        uow.commit()
    with make_committed_uow() as uow:
        checked, broken = chain.verify(uow.session, uow.clock.now())
        assert broken is None
        assert checked == uow.session.scalar(select(func.count()).select_from(AuditEvent))


def test_concurrent_intakes_take_consecutive_numbers(make_committed_uow, committed_world: World):
    worker = committed_world.staff["social_worker"]

    def intake(name: str) -> Callable[[], None]:
        def work() -> None:
            with make_committed_uow() as uow:
                cases.open_case(uow, worker, replace(INTAKE, display_name=name))
                uow.commit()

        return work

    errors = []
    for round_ in range(5):  # two intakes at the same moment, five times
        errors += run_together([intake(f"А {round_}"), intake(f"Б {round_}")])
    assert errors == []
    with make_committed_uow() as uow:
        numbers = sorted(uow.session.scalars(select(Case.number)).all())
    assert numbers == [f"KC-TEST-2025-{n:04d}" for n in range(1, 11)]


@pytest.mark.postgres
def test_audit_writers_do_not_wait_for_each_other(db_engine: Engine, make_committed_uow, committed_world):
    if db_engine.dialect.name != "postgresql":
        pytest.skip("two open writers at once exist only on PostgreSQL (SQLite has one writer)")
    worker = committed_world.staff["social_worker"]
    with make_committed_uow() as first:
        chain.record(first.session, first.clock.now(), worker, "case.read", subject="first")
        with make_committed_uow() as second:  # while the first is still open
            second.session.execute(text("SET LOCAL lock_timeout = '2s'"))
            chain.record(second.session, second.clock.now(), worker, "case.read", subject="second")
            second.commit()
        first.commit()
    with make_committed_uow() as uow:
        assert chain.seal(uow.session) == uow.session.scalar(select(func.count()).select_from(AuditEvent))


@pytest.mark.postgres
def test_a_row_committed_after_a_later_one_is_sealed_next_time(
    db_engine: Engine, make_committed_uow, committed_world
):
    if db_engine.dialect.name != "postgresql":
        pytest.skip("needs two open writers at once")
    worker = committed_world.staff["social_worker"]
    with make_committed_uow() as uow:
        chain.seal(uow.session)
        uow.commit()
    with make_committed_uow() as slow:
        early = chain.record(slow.session, slow.clock.now(), worker, "case.read", subject="early id").id
        with make_committed_uow() as fast:
            late = chain.record(fast.session, fast.clock.now(), worker, "case.read", subject="late id").id
            fast.commit()
        with make_committed_uow() as sealer:
            assert chain.seal(sealer.session) == 1  # only what is committed
            sealer.commit()
        slow.commit()
    with make_committed_uow() as sealer:
        assert chain.seal(sealer.session) == 1
        sealer.commit()
    with make_committed_uow() as uow:
        seq = dict(uow.session.execute(select(AuditEvent.id, AuditEvent.seq)).all())
        assert early < late and seq[late] < seq[early]  # chained in sealing order
        assert chain.verify(uow.session, uow.clock.now())[1] is None


def test_sqlite_reader_is_not_blocked_by_an_open_writer(
    db_engine: Engine, committed_factory, make_committed_uow, committed_world
):
    if db_engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")
    worker = committed_world.staff["social_worker"]
    reader_uow = UnitOfWork(committed_factory, writer=False)
    with make_committed_uow() as writer:
        chain.record(writer.session, writer.clock.now(), worker, "case.read", subject="held")
        with reader_uow as reader:
            assert reader.session.scalar(select(Case.id).limit(1)) is None
