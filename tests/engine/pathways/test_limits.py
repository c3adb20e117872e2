"""The lint bounds ids and names by the columns that hold them, read from the models.

Before, a task name of 250 characters deployed, and every completion then failed on PostgreSQL
(the audit subject holds 200); an element id of 250 failed at intake. Now such a diagram is refused
at upload, naming the element; one whose ids and names are exactly as long as allowed runs.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from engine.casework import cases
from engine.errors import PathwayInvalid
from engine.pathways import lint, versions
from engine.pathways.forms import FormCatalog
from engine.pathways.limits import MAX_ELEMENT_ID, MAX_LEGAL_SOURCE, MAX_NAME, MAX_PROCESS_ID
from engine.store.models import AuditEvent, CaseTask
from engine.store.uow import UnitOfWork
from tests.engine.casework.test_cases import INTAKE
from tests.engine.conftest import World, mini_pathway


def over(limit: int) -> str:
    return "я" * (limit + 1)  # Cyrillic: characters, not bytes, are what the columns count


@pytest.mark.parametrize(
    ("diagram", "element", "message"),
    [
        (lambda: mini_pathway("p" * (MAX_PROCESS_ID + 1)), "p" * (MAX_PROCESS_ID + 1), "the process id"),
        (lambda: mini_pathway(replace={'"assess"': f'"a{"s" * MAX_ELEMENT_ID}"'}), None, "the id"),
        (lambda: mini_pathway(replace={'"Initial assessment"': f'"{over(MAX_NAME)}"'}), "assess", "the name"),
        (lambda: mini_pathway(replace={'"A month passes"': f'"{over(MAX_NAME)}"'}), "wait_month", "the name"),
        (
            lambda: mini_pathway(replace={'"risk_changed"/>': f'"{over(MAX_NAME)}"/>'}),
            "sig_risk",
            "the signal",
        ),
        (lambda: mini_pathway(replace={'"ЗСУ чл. 77(3)"': f'"{over(MAX_LEGAL_SOURCE)}"'}), "assess", "legal"),
    ],
    ids=["process id", "element id", "task name", "timer name", "signal name", "legal source"],
)
def test_ids_and_names_longer_than_their_columns_are_refused_at_upload(
    make_uow: Callable[[], UnitOfWork], world: World, fixture_forms: FormCatalog, diagram, element, message
):
    data = diagram()
    verdict, parsed = lint.check_document(data, fixture_forms)
    assert parsed is None and not verdict.valid
    [problem] = [p for p in verdict.problems if "characters" in p.message]
    assert message in problem.message
    if element is not None:
        assert problem.element_id == element
    else:
        assert len(problem.element_id) == MAX_ELEMENT_ID and problem.element_id.endswith("…")
    with make_uow() as uow, pytest.raises(PathwayInvalid):
        versions.deploy(uow, data, fixture_forms, world.staff["coordinator"], "long.bpmn")


def test_ids_and_names_exactly_as_long_as_allowed_run_through_intake_and_completion(
    make_uow: Callable[[], UnitOfWork], world: World, fixture_forms: FormCatalog
):
    task_id = "a" * MAX_ELEMENT_ID
    name = "я" * MAX_NAME
    legal = "з" * MAX_LEGAL_SOURCE
    data = mini_pathway(
        replace={
            '"assess"': f'"{task_id}"',
            '"Initial assessment"': f'"{name}"',
            '"ЗСУ чл. 77(3)"': f'"{legal}"',
        }
    )
    with make_uow() as uow:
        versions.deploy(uow, data, fixture_forms, world.staff["coordinator"], "long.bpmn")
        case = cases.open_case(uow, world.staff["social_worker"], INTAKE)
        task = uow.session.scalar(select(CaseTask).where(CaseTask.case_id == case.id))
        assert task is not None and (task.element_id, task.name, task.legal_source) == (task_id, name, legal)
        cases.complete_task(uow, world.staff["social_worker"], task.public_id, {"note": "ok"}, fixture_forms)
        uow.commit()
    with make_uow() as uow:
        subjects = uow.session.scalars(select(AuditEvent.subject).where(AuditEvent.case_id == case.id)).all()
        assert name in subjects
