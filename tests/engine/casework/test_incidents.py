"""Incidents on SQLite and PostgreSQL: who lists them, what a row says, and who may retry one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.casework import cases
from engine.casework.incidents import PER_PAGE, list_incidents
from engine.clock import FrozenClock
from engine.errors import NotFound, PermissionDenied
from engine.pathways import versions
from engine.pathways.forms import FormCatalog
from engine.people.permissions import Principal
from engine.store.models import Case, CaseTask
from engine.store.uow import UnitOfWork
from tests.engine.conftest import World, mini_pathway

BROKEN = {'risk_score = 3 if risk == "high" else 1': "risk_score = 1 / 0"}
INTAKE = cases.Intake(
    centre_code="kc-test",
    display_name="Мария П.",
    legal_basis="referral",
    target_group="domestic_violence",
    referral_number="ДСП-123",
)


def park(make_uow: Callable[[], UnitOfWork], who: Principal, centre: str, forms: FormCatalog) -> str:
    """Open a case on the broken pathway and complete its first task: the script divides by zero."""
    with make_uow() as uow:
        case = cases.open_case(uow, who, replace(INTAKE, centre_code=centre))
        task = uow.session.scalar(select(CaseTask).where(CaseTask.case_id == case.id))
        cases.complete_task(uow, who, task.public_id, {"note": "x", "risk": "low"}, forms)
        assert case.status == "incident"
        uow.commit()
        return case.public_id


@pytest.fixture
def broken(make_uow: Callable[[], UnitOfWork], world: World, fixture_forms: FormCatalog) -> None:
    with make_uow() as uow:
        versions.deploy(
            uow, mini_pathway(replace=BROKEN), fixture_forms, world.staff["coordinator"], "b.bpmn"
        )
        uow.commit()


def test_coordinators_and_managers_list_their_centres_incidents(
    make_uow, world, fixture_forms, clock: FrozenClock, broken
):
    first = park(make_uow, world.staff["social_worker"], "kc-test", fixture_forms)
    clock.advance(timedelta(hours=2))
    second = park(make_uow, world.staff["social_worker"], "kc-test", fixture_forms)
    park(make_uow, world.outsider, "kc-other", fixture_forms)  # another centre's: never listed here
    with make_uow() as uow:
        page = list_incidents(uow, world.staff["coordinator"])
        assert [row.case_public_id for row in page.rows] == [first, second]  # longest parked first
        row = page.rows[0]
        assert (row.element_id, row.pathway_key, row.pathway_version) == ("score", "crisis_centre_adult", 2)
        assert row.expression == "risk_score = 1 / 0" and row.problem == "division_by_zero"
        assert row.since == clock.now() - timedelta(hours=2)
        assert row.case_number.startswith("KC-TEST-") and not row.can_open_case  # coordinators read no cases
        assert page.total == 2 and page.pages == 1
        managed = list_incidents(uow, world.staff["manager"])
        assert [r.can_open_case for r in managed.rows] == [True, True]


def test_others_may_not_list_incidents(make_uow, world):
    with make_uow() as uow:
        for role in ("social_worker", "case_lead", "admin"):
            with pytest.raises(PermissionDenied):
                list_incidents(uow, world.staff[role])


def test_incident_list_is_paged_by_one_query_each(make_uow, world):
    public_id = park_forged(make_uow, world, PER_PAGE + 1)
    with make_uow() as uow:
        first, second = (
            list_incidents(uow, world.staff["manager"]),
            list_incidents(uow, world.staff["manager"], 2),
        )
        huge = list_incidents(uow, world.staff["manager"], 10**12)
    assert (len(first.rows), len(second.rows), first.pages) == (PER_PAGE, 1, 2)
    assert second.rows[0].case_public_id == public_id and second.rows[0].since is None  # forged: no audit row
    assert huge.rows == []


def park_forged(make_uow, world: World, count: int) -> str:
    """Cases marked as incidents directly (no audit entry): the last one's public id."""
    with make_uow() as uow:
        for _ in range(count):
            case = cases.open_case(uow, world.staff["social_worker"], INTAKE)
            case.status, case.incident_element, case.incident_message = "incident", "score", "boom"
        uow.commit()
        return case.public_id


def test_retry_refuses_without_revealing_other_centres_cases(make_uow, world, fixture_forms, broken):
    other = park(make_uow, world.outsider, "kc-other", fixture_forms)
    own = park(make_uow, world.staff["social_worker"], "kc-test", fixture_forms)
    with make_uow() as uow:
        for who in (world.staff["coordinator"], world.staff["manager"]):
            with pytest.raises(NotFound):
                cases.retry_incident(uow, who, other)
        with pytest.raises(PermissionDenied):  # may read the case, may not retry it
            cases.retry_incident(uow, world.staff["social_worker"], own)
        with pytest.raises(NotFound):  # may neither read nor retry
            cases.retry_incident(uow, world.staff["admin"], own)
        case = cases.retry_incident(uow, world.staff["coordinator"], own)
        assert case.status == "incident"  # the diagram still divides by zero


def test_retry_of_a_healthy_workflow_runs_the_case_again(make_uow, world):
    public_id = park_forged(make_uow, world, 1)
    with make_uow() as uow:
        case = cases.retry_incident(uow, world.staff["coordinator"], public_id)
        assert (case.status, case.incident_element, case.incident_message) == ("open", "", "")
        uow.commit()
    with make_uow() as uow:
        assert uow.session.scalar(select(Case.status).where(Case.public_id == public_id)) == "open"
        assert list_incidents(uow, world.staff["coordinator"]).rows == []


WAITS_ONLY_FOR_A_SIGNAL = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:signal id="sig" name="risk_changed"/>
  <bpmn:process id="crisis_centre_adult" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait"/>
    <bpmn:intermediateCatchEvent id="wait">
      <bpmn:signalEventDefinition signalRef="sig"/>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_a_case_only_a_signal_could_move_on_is_an_incident_not_a_silent_stop(make_uow, world, fixture_forms):
    with make_uow() as uow:
        versions.deploy(uow, WAITS_ONLY_FOR_A_SIGNAL, fixture_forms, world.staff["coordinator"], "w.bpmn")
        case = cases.open_case(uow, world.staff["social_worker"], INTAKE)
        uow.commit()
    with make_uow() as uow:
        stored = uow.session.get(Case, case.id)
        assert (stored.status, stored.incident_problem) == ("incident", "stuck")
        assert (stored.incident_element, stored.incident_expression) == (
            "crisis_centre_adult",
            "risk_changed",
        )
        assert "may never come" in stored.incident_message
