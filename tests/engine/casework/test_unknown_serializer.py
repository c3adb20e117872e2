"""A case whose state was stored by a serializer this release does not know is refused, never loaded.

Each service that loads a case's workflow raises UnknownSerializer (code ``unknown_serializer``) for
such a case before it changes anything: the case row, its tasks, deadlines, audit trail and
notifications stay as they were. The same case with the known version works, so each test also
shows that it is the stored version that is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select, update

from engine.bpmn import state
from engine.casework import cases, deadlines
from engine.casework.read import casefile
from engine.clock import FrozenClock, parse_instant
from engine.errors import UnknownSerializer
from engine.store.models import AuditEvent, Case, CaseTask, Deadline, Notification
from engine.store.uow import UnitOfWork
from tests.engine.casework.test_cases import open_one, open_tasks
from tests.engine.conftest import World

FOREIGN = "casepath-9/spiff-9.9"  # as a newer release might write it
NOTE = {"note": "x", "risk": "low"}
MONTH_LATER = "2025-09-30T10:00:05+03:00"  # the mini pathway's "A month passes" is due


def written_by(make_uow: Callable[[], UnitOfWork], public_id: str, serializer_version: str) -> None:
    with make_uow() as uow:
        uow.session.execute(
            update(Case).where(Case.public_id == public_id).values(serializer_version=serializer_version)
        )
        uow.commit()


def snapshot(make_uow: Callable[[], UnitOfWork], public_id: str) -> dict[str, Any]:
    """Everything a step of the case could change."""
    with make_uow() as uow:
        case = uow.session.scalar(select(Case).where(Case.public_id == public_id))
        assert case is not None
        row = {
            column: getattr(case, column)
            for column in (
                "workflow_state",
                "serializer_version",
                "version",
                "status",
                "closed_at",
                "incident_element",
                "incident_problem",
            )
        }
        tasks = uow.session.execute(
            select(CaseTask.id, CaseTask.status, CaseTask.data).where(CaseTask.case_id == case.id)
        ).all()
        rows = uow.session.execute(
            select(Deadline.id, Deadline.status, Deadline.fired_at).where(Deadline.case_id == case.id)
        ).all()
        return {
            "case": row,
            "tasks": sorted(tasks),
            "deadlines": sorted(rows),
            "audit": uow.session.scalar(select(func.count()).select_from(AuditEvent)),
            "notifications": uow.session.scalar(select(func.count()).select_from(Notification)),
        }


def refused(error: pytest.ExceptionInfo[UnknownSerializer]) -> None:
    assert error.value.code == "unknown_serializer" and error.value.serializer_version == FOREIGN
    assert f"'{FOREIGN}'" in error.value.message and "cannot read" in error.value.message


def first_task_done(make_uow: Callable[[], UnitOfWork], world: World, forms: Any) -> str:
    """A case past its first task: it waits a month and listens for ``risk_changed``."""
    public_id = open_one(make_uow, world)
    with make_uow() as uow:
        task_id = open_tasks(uow, public_id)[0].public_id
        cases.complete_task(uow, world.staff["social_worker"], task_id, NOTE, forms)
        uow.commit()
    return public_id


def test_completing_a_task_is_refused_and_changes_nothing(make_uow, world, fixture_forms):
    public_id = open_one(make_uow, world)
    with make_uow() as uow:
        task_id = open_tasks(uow, public_id)[0].public_id
    written_by(make_uow, public_id, FOREIGN)
    before = snapshot(make_uow, public_id)
    with make_uow() as uow, pytest.raises(UnknownSerializer) as error:
        cases.complete_task(uow, world.staff["social_worker"], task_id, NOTE, fixture_forms)
        uow.commit()
    refused(error)
    assert snapshot(make_uow, public_id) == before
    written_by(make_uow, public_id, state.SERIALIZER_VERSION)
    with make_uow() as uow:
        cases.complete_task(uow, world.staff["social_worker"], task_id, NOTE, fixture_forms)
        uow.commit()
    assert snapshot(make_uow, public_id)["tasks"] != before["tasks"]


def test_a_signal_is_refused_and_changes_nothing(make_uow, world, fixture_forms):
    public_id = first_task_done(make_uow, world, fixture_forms)
    written_by(make_uow, public_id, FOREIGN)
    before = snapshot(make_uow, public_id)
    with make_uow() as uow, pytest.raises(UnknownSerializer) as error:
        cases.signal_case(uow, world.staff["psychologist"], public_id, "risk_changed")
        uow.commit()
    refused(error)
    assert snapshot(make_uow, public_id) == before


def test_a_retry_is_refused_and_changes_nothing(make_uow, world):
    public_id = open_one(make_uow, world)
    with make_uow() as uow:
        uow.session.execute(
            update(Case)
            .where(Case.public_id == public_id)
            .values(status="incident", incident_element="score", serializer_version=FOREIGN)
        )
        uow.commit()
    before = snapshot(make_uow, public_id)
    with make_uow() as uow, pytest.raises(UnknownSerializer) as error:
        cases.retry_incident(uow, world.staff["coordinator"], public_id)
        uow.commit()
    refused(error)
    assert snapshot(make_uow, public_id) == before


def test_reading_the_case_file_is_refused_and_records_no_read(make_uow, world):
    public_id = open_one(make_uow, world)
    written_by(make_uow, public_id, FOREIGN)
    before = snapshot(make_uow, public_id)
    with make_uow() as uow, pytest.raises(UnknownSerializer) as error:
        casefile.read_case(uow, world.staff["social_worker"], public_id)
        uow.commit()
    refused(error)
    assert snapshot(make_uow, public_id) == before


def test_a_due_deadline_is_not_fired_and_stays_pending(make_uow, world, fixture_forms, clock: FrozenClock):
    public_id = first_task_done(make_uow, world, fixture_forms)
    written_by(make_uow, public_id, FOREIGN)
    clock.set(parse_instant(MONTH_LATER))
    with make_uow() as uow:
        [due_id] = deadlines.due_deadline_ids(uow, clock.now())
    before = snapshot(make_uow, public_id)
    with make_uow() as uow, pytest.raises(UnknownSerializer) as error:
        deadlines.fire_deadline(uow, due_id)
        uow.commit()
    refused(error)
    assert deadlines.sweep(make_uow) == 0  # the sweep logs it and goes on; the row waits
    assert snapshot(make_uow, public_id) == before
    written_by(make_uow, public_id, state.SERIALIZER_VERSION)
    assert deadlines.sweep(make_uow) == 1


def test_storing_the_state_again_stores_the_version_that_wrote_it(
    make_uow, world, fixture_forms, monkeypatch
):
    """A state in a format this release still reads is written back in the current one, and says so."""
    monkeypatch.setattr(state, "READABLE_VERSIONS", frozenset({state.SERIALIZER_VERSION, "casepath-0"}))
    public_id = open_one(make_uow, world)
    with make_uow() as uow:
        task_id = open_tasks(uow, public_id)[0].public_id
    written_by(make_uow, public_id, "casepath-0")
    with make_uow() as uow:
        cases.complete_task(uow, world.staff["social_worker"], task_id, NOTE, fixture_forms)
        uow.commit()
    assert snapshot(make_uow, public_id)["case"]["serializer_version"] == state.SERIALIZER_VERSION
