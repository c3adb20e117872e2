"""Only a real conflict is a conflict: a lost race is ConcurrencyConflict (409), a constraint bug is
IntegrityFault (500) with a log line that names the constraint and never the statement's parameters."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select, text

from engine.casework import cases
from engine.errors import ConcurrencyConflict, IntegrityFault
from engine.store.models import Case
from tests.engine.casework.test_run_limits import INTAKE

SECRET = "Скрита-7-ПАРАМЕТЪР"


def two_cases(uow, world):  # type: ignore[no-untyped-def]
    worker = world.staff["social_worker"]
    first = cases.open_case(uow, worker, INTAKE)
    second = cases.open_case(uow, worker, INTAKE)
    return first, second


def test_a_case_number_taken_by_another_writer_is_a_conflict(make_uow, world):
    with make_uow() as uow:
        first, second = two_cases(uow, world)
        second.number = first.number  # what a concurrent intake drawing the same number looks like
        with pytest.raises(ConcurrencyConflict):
            uow.commit()


def test_a_constraint_bug_is_a_fault_logged_without_parameters(make_uow, world, caplog):
    caplog.set_level(logging.DEBUG)
    with make_uow() as uow:
        first, second = two_cases(uow, world)
        second.public_id = first.public_id  # no concurrent writer can cause this: a bug
        with pytest.raises(IntegrityFault) as raised:
            uow.commit()
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    assert "uq_case_file_public_id" in caplog.text and first.public_id not in caplog.text
    with make_uow() as uow:
        assert uow.session.scalar(select(Case).where(Case.public_id == first.public_id)) is None


def test_a_constraint_bug_inside_a_service_is_a_fault_too(make_uow, caplog):
    caplog.set_level(logging.DEBUG)
    insert = text("INSERT INTO centre (code, kind, capacity, address) VALUES (:code, 'x', 1, '')")
    with pytest.raises(IntegrityFault), make_uow() as uow:
        uow.session.execute(insert, {"code": SECRET})  # no name: NOT NULL
    assert "centre.name" in caplog.text and SECRET not in caplog.text
