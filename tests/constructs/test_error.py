"""Error events: an error end event in a sub-process is caught by the boundary error event of the same
code, with its payload; an error nothing catches stops the case as an incident naming its code."""

from __future__ import annotations

from sqlalchemy import select

from engine.store.models import AuditEvent, CaseTask
from tests.constructs.conftest import (
    case_status,
    complete,
    deadlines,
    deploy_construct,
    inbox_tasks,
    open_adult_case,
)


def test_a_caught_error_leaves_the_sub_process_with_its_payload(make_uow, world, fixture_forms, clock):
    deploy_construct(make_uow, world, fixture_forms, "error")
    case_id, public_id = open_adult_case(make_uow, world, clock.now())
    staff = world.staff
    assert inbox_tasks(make_uow, staff["social_worker"], public_id) == ["check"]
    complete(
        make_uow,
        staff["social_worker"],
        case_id,
        "check",
        {"note": "без лична карта", "risk": "high"},
        fixture_forms,
    )
    assert inbox_tasks(make_uow, staff["case_lead"], public_id) == ["request_docs"]
    assert deadlines(make_uow, case_id) == []
    complete(make_uow, staff["case_lead"], case_id, "request_docs", {"note": "поискани"}, fixture_forms)
    assert case_status(make_uow, case_id)[0] == "closed"


def test_the_payload_reaches_the_case_data(make_uow, world, fixture_forms, clock):
    from engine.bpmn import spiff
    from engine.casework.cases import load_workflow
    from engine.store.models import Case

    deploy_construct(make_uow, world, fixture_forms, "error")
    case_id, _ = open_adult_case(make_uow, world, clock.now())
    complete(
        make_uow,
        world.staff["social_worker"],
        case_id,
        "check",
        {"note": "паспорт", "risk": "high"},
        fixture_forms,
    )
    with make_uow() as uow:
        task = uow.session.scalar(
            select(CaseTask).where(CaseTask.case_id == case_id, CaseTask.status == "open")
        )
        workflow = load_workflow(uow, uow.session.get_one(Case, case_id))
        [ready] = spiff.ready_human_tasks(workflow)
        assert task.element_id == ready.element_id == "request_docs"
        assert ready.data["missing_documents"] == {"missing": "паспорт"}


def test_an_uncaught_error_parks_the_case_as_an_incident(make_uow, world, fixture_forms, clock):
    deploy_construct(make_uow, world, fixture_forms, "error")
    case_id, public_id = open_adult_case(make_uow, world, clock.now())
    complete(
        make_uow,
        world.staff["social_worker"],
        case_id,
        "check",
        {"note": "forged", "risk": "low"},
        fixture_forms,
    )
    assert case_status(make_uow, case_id) == ("incident", "uncaught_error", "forged_document")
    with make_uow() as uow:
        entry = uow.session.scalar(select(AuditEvent).where(AuditEvent.action == "case.incident"))
        assert entry.detail == {
            "element": "forged",
            "problem": "uncaught_error",
            "expression": "forged_document",
        }
    assert inbox_tasks(make_uow, world.staff["case_lead"], public_id) == []
