"""What one case may do, on SQLite and PostgreSQL: incidents without case values, a work budget per
run, daily caps on tasks and notifications, due dates that fail, and the shortest cycle timer."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from engine.casework import cases, deadlines
from engine.casework.incidents import list_incidents
from engine.clock import FrozenClock
from engine.config import RunLimits
from engine.pathways import lint, versions
from engine.pathways.forms import FormCatalog
from engine.store.models import AuditEvent, Case, CaseTask, Deadline, Notification
from engine.store.uow import UnitOfWork
from tests.engine.conftest import World, mini_pathway

SECRET = "Бие ме, живея при сестра ми, ул. Скрита 7"
INTAKE = cases.Intake(
    centre_code="kc-test",
    display_name="Мария П.",
    legal_basis="referral",
    target_group="domestic_violence",
    referral_number="ДСП-123",
)
SCRIPT = 'risk_score = 3 if risk == "high" else 1'
# After the first task, two gateways send the case round and round: no way out is ever true.
ENDLESS = {
    '<bpmn:sequenceFlow id="f3" sourceRef="score" targetRef="stay"/>': (
        '<bpmn:sequenceFlow id="f3" sourceRef="score" targetRef="spin"/>'
        '<bpmn:exclusiveGateway id="spin" default="f_spin"/>'
        '<bpmn:sequenceFlow id="f_out" sourceRef="spin" targetRef="stay">'
        "<bpmn:conditionExpression>risk_score &gt; 100</bpmn:conditionExpression></bpmn:sequenceFlow>"
        '<bpmn:sequenceFlow id="f_spin" sourceRef="spin" targetRef="spin_back"/>'
        '<bpmn:exclusiveGateway id="spin_back"/>'
        '<bpmn:sequenceFlow id="f_back" sourceRef="spin_back" targetRef="spin"/>'
    )
}
# The same, through a script that does some work on every round.
COSTLY = {
    **ENDLESS,
    '<bpmn:exclusiveGateway id="spin_back"/>': (
        '<bpmn:scriptTask id="spin_back"><bpmn:script>'
        "work = sum([1] * 5000) + sum([2] * 5000)</bpmn:script></bpmn:scriptTask>"
    ),
}


def uow_with(session_factory: sessionmaker[Session], clock: FrozenClock, **limits: object) -> UnitOfWork:
    return UnitOfWork(session_factory, clock, limits=replace(RunLimits(), **limits))  # type: ignore[arg-type]


def deploy(make_uow: Callable[[], UnitOfWork], world: World, forms: FormCatalog, **changes: str) -> None:
    with make_uow() as uow:
        versions.deploy(uow, mini_pathway(replace=changes), forms, world.staff["coordinator"], "t.bpmn")
        uow.commit()


def open_and_complete(uow: UnitOfWork, world: World, forms: FormCatalog, note: str = "x") -> Case:
    worker = world.staff["social_worker"]
    case = cases.open_case(uow, worker, INTAKE)
    task = uow.session.scalar(select(CaseTask).where(CaseTask.case_id == case.id))
    cases.complete_task(uow, worker, task.public_id, {"note": note, "risk": "low"}, forms)
    return case


def incident_audit(uow: UnitOfWork, case: Case) -> list[dict[str, object]]:
    query = select(AuditEvent.detail).where(
        AuditEvent.case_id == case.id, AuditEvent.action == "case.incident"
    )
    return list(uow.session.scalars(query))


# --- incidents name the element, the expression and the kind of problem, never a case value ------------


def test_an_incident_carries_no_value_of_the_case(make_uow, world, fixture_forms):
    deploy(make_uow, world, fixture_forms, **{SCRIPT: "risk_score = int(note)"})
    with make_uow() as uow:
        case = open_and_complete(uow, world, fixture_forms, note=SECRET)
        assert case.status == "incident" and case.incident_problem == "unreadable_value"
        stored = [case.incident_element, case.incident_message, case.incident_expression]
        assert stored[0] == "score" and stored[2] == "risk_score = int(note)"
        row = list_incidents(uow, world.staff["coordinator"]).rows[0]
        shown = [row.element_id, row.expression, row.message, *map(str, incident_audit(uow, case))]
        for text in [*stored, *shown]:
            assert "Бие ме" not in text and "Скрита" not in text, text


# --- a work budget per run -------------------------------------------------------------------------


def test_an_endless_gateway_loop_parks_the_case_as_an_incident(session_factory, clock, world, fixture_forms):
    make_uow = lambda: uow_with(session_factory, clock, max_steps=200)  # noqa: E731
    deploy(make_uow, world, fixture_forms, **ENDLESS)
    with make_uow() as uow:
        case = open_and_complete(uow, world, fixture_forms)
        assert (case.status, case.incident_problem) == ("incident", "step_budget")
        assert case.incident_element in {"spin", "spin_back"} and case.closed_at is None
        assert [detail["problem"] for detail in incident_audit(uow, case)] == ["step_budget"]
        uow.commit()


def test_a_loop_of_costly_scripts_stops_at_the_time_budget(session_factory, clock, world, fixture_forms):
    make_uow = lambda: uow_with(session_factory, clock, max_steps=10**6, max_seconds=0.2)  # noqa: E731
    deploy(make_uow, world, fixture_forms, **COSTLY)
    with make_uow() as uow:
        started = time.monotonic()
        case = open_and_complete(uow, world, fixture_forms)
        elapsed = time.monotonic() - started
        assert (case.status, case.incident_problem) == ("incident", "time_budget")
        assert elapsed < 5  # the budget (0.2 s) and the two steps around it, with room for a loaded machine


def test_the_budget_is_per_run_so_a_normal_case_runs_on(session_factory, clock, world, fixture_forms):
    with uow_with(session_factory, clock, max_steps=15) as uow:
        case = open_and_complete(uow, world, fixture_forms)
        assert case.status == "open" and case.incident_problem == ""


# --- daily caps ----------------------------------------------------------------------------------------


def test_more_tasks_a_day_than_allowed_parks_the_case(session_factory, clock, world, fixture_forms):
    with uow_with(session_factory, clock, max_tasks_per_day=1) as uow:
        case = open_and_complete(uow, world, fixture_forms)
        assert case.status == "open"  # one task so far
        cases.signal_case(uow, world.staff["case_lead"], case.public_id, "risk_changed")
        assert (case.status, case.incident_problem) == ("incident", "task_cap")
        assert uow.session.scalar(select(func.count()).where(CaseTask.case_id == case.id)) == 1
        uow.commit()
    clock.advance(timedelta(hours=25))  # a day later the cap has room again: a retry runs the case on
    with uow_with(session_factory, clock, max_tasks_per_day=1) as uow:
        case = cases.retry_incident(uow, world.staff["coordinator"], case.public_id)
        assert case.status == "open"
        elements = uow.session.scalars(select(CaseTask.element_id).where(CaseTask.case_id == case.id))
        assert sorted(elements) == ["assess", "reassess"]


NOTIFY = {
    '<bpmn:intermediateCatchEvent id="wait_month" name="A month passes">': (
        '<bpmn:intermediateCatchEvent id="wait_month" name="A month passes"><bpmn:extensionElements>'
        '<spiffworkflow:properties><spiffworkflow:property name="notify" value="case_lead"/>'
        "</spiffworkflow:properties></bpmn:extensionElements>"
    )
}


def test_more_notifications_a_day_than_allowed_parks_the_case(session_factory, clock, world, fixture_forms):
    make_uow = lambda: uow_with(session_factory, clock, max_notifications_per_day=0)  # noqa: E731
    deploy(make_uow, world, fixture_forms, **NOTIFY)
    with make_uow() as uow:
        case = open_and_complete(uow, world, fixture_forms)
        deadline = uow.session.scalar(
            select(Deadline).where(Deadline.case_id == case.id, Deadline.element_id == "wait_month")
        )
        uow.commit()
    clock.advance(timedelta(days=32))
    with make_uow() as uow:
        deadlines.fire_deadline(uow, deadline.id)
        case = uow.session.get(Case, case.id)
        assert (case.status, case.incident_problem) == ("incident", "notification_cap")
        assert uow.session.scalar(select(func.count()).where(Notification.case_id == case.id)) == 0
        uow.commit()


def test_notifications_within_the_cap_are_sent(session_factory, clock, world, fixture_forms):
    make_uow = lambda: uow_with(session_factory, clock, max_notifications_per_day=1)  # noqa: E731
    deploy(make_uow, world, fixture_forms, **NOTIFY)
    with make_uow() as uow:
        case = open_and_complete(uow, world, fixture_forms)
        uow.commit()
    clock.advance(timedelta(days=32))
    with make_uow() as uow:
        deadlines.sweep(make_uow)
    with make_uow() as uow:
        assert uow.session.get(Case, case.id).status == "open"
        assert uow.session.scalar(select(func.count()).where(Notification.case_id == case.id)) == 1


# --- a due date that fails at run time ----------------------------------------------------------------


def test_a_due_date_expression_that_fails_parks_the_case(make_uow, world, fixture_forms):
    deploy(
        make_uow, world, fixture_forms, **{'value="PT24H"': 'value="add_duration(admitted_at, review_in)"'}
    )
    with make_uow() as uow:
        case = cases.open_case(uow, world.staff["social_worker"], INTAKE)
        assert (case.status, case.incident_problem) == ("incident", "due_date")
        assert (case.incident_element, case.incident_expression) == (
            "assess",
            "add_duration(admitted_at, review_in)",
        )
        assert uow.session.scalar(select(func.count()).where(CaseTask.case_id == case.id)) == 0


# --- the shortest cycle timer ---------------------------------------------------------------------------

CYCLE = {
    "<bpmn:timeDuration>P1M</bpmn:timeDuration>": "<bpmn:timeCycle>R/PT5M</bpmn:timeCycle>",
}


def test_the_lint_refuses_a_cycle_timer_shorter_than_the_minimum(fixture_forms):
    verdict, parsed = lint.check_document(mini_pathway(replace=CYCLE), fixture_forms, "t.bpmn", "PT1H")
    assert parsed is None
    assert [(p.element_id, p.message) for p in verdict.problems] == [
        ("wait_month", "the timer repeats every PT5M: at least PT1H is allowed")
    ]
    allowed = {"<bpmn:timeDuration>P1M</bpmn:timeDuration>": "<bpmn:timeCycle>R/P1D</bpmn:timeCycle>"}
    assert lint.check_document(mini_pathway(replace=allowed), fixture_forms, "t.bpmn", "PT1H")[0].valid


def test_deploy_uses_the_configured_minimum(session_factory, clock, world, fixture_forms):
    with uow_with(session_factory, clock, min_cycle="PT1M") as uow:
        versions.deploy(uow, mini_pathway(replace=CYCLE), fixture_forms, world.staff["coordinator"], "t.bpmn")
    with uow_with(session_factory, clock) as uow, pytest.raises(Exception, match="cannot be deployed"):
        versions.deploy(uow, mini_pathway(replace=CYCLE), fixture_forms, world.staff["coordinator"], "t.bpmn")


def test_a_computed_cycle_shorter_than_the_minimum_parks_the_case(make_uow, world, fixture_forms):
    computed = {
        "<bpmn:timeDuration>P1M</bpmn:timeDuration>": '<bpmn:timeCycle>"R/PT" + "5M"</bpmn:timeCycle>'
    }
    deploy(make_uow, world, fixture_forms, **computed)
    with make_uow() as uow:
        case = open_and_complete(uow, world, fixture_forms)
        assert (case.status, case.incident_problem, case.incident_element) == (
            "incident",
            "short_cycle",
            "wait_month",
        )


def test_a_computed_cycle_that_is_no_interval_names_the_expression_not_its_value(
    make_uow, world, fixture_forms
):
    computed = {"<bpmn:timeDuration>P1M</bpmn:timeDuration>": '<bpmn:timeCycle>"R/" + note</bpmn:timeCycle>'}
    deploy(make_uow, world, fixture_forms, **computed)
    with make_uow() as uow:
        case = open_and_complete(uow, world, fixture_forms, note=SECRET)
        assert (case.status, case.incident_element) == ("incident", "wait_month")
        assert case.incident_expression == '"R/" + note'
        row = list_incidents(uow, world.staff["coordinator"]).rows[0]
        shown = [row.element_id, row.expression, row.message, *map(str, incident_audit(uow, case))]
        for text in [case.incident_message, case.incident_expression, *shown]:
            assert "Бие ме" not in text and "Скрита" not in text, text
