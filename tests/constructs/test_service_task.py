"""Service tasks (Casepath's closed list of operations), end to end on SQLite and PostgreSQL.

A case runs notify_role and notify_outside_body through the real services (who is told, what the audit
says, nothing of the case but its number in the message) and closes; a diagram naming an operation
Casepath does not have is refused at deploy. open_linked_case is proved on the shipped pathways in
tests/engine/casework/test_case_links.py.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from engine.casework import cases
from engine.errors import PathwayInvalid
from engine.pathways import versions
from engine.store.models import AuditEvent, Case, CaseTask, Notification
from tests.engine.conftest import World, world  # noqa: F401  (the world fixture)

DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
  <bpmn:process id="crisis_centre_adult" isExecutable="true">
    <bpmn:startEvent id="Begin"/>
    <bpmn:sequenceFlow id="f1" sourceRef="Begin" targetRef="Tell"/>
    <bpmn:serviceTask id="Tell" name="Нов случай за преглед">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="operation" value="notify_role"/>
        <spiffworkflow:property name="notify" value="manager, Водещ на случая"/>
        <spiffworkflow:property name="name_en" value="New case to review"/>
      </spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f2" sourceRef="Tell" targetRef="Notice"/>
    <bpmn:serviceTask id="Notice" name="Уведомление до ОЗД">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="operation" value="notify_outside_body"/>
        <spiffworkflow:property name="outside_body" value="ozd"/>
      </spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f3" sourceRef="Notice" targetRef="Work"/>
    <bpmn:userTask id="Work" name="Work">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="role" value="social_worker"/>
        <spiffworkflow:property name="form" value="note"/>
      </spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f4" sourceRef="Work" targetRef="End"/>
    <bpmn:endEvent id="End"/>
  </bpmn:process>
</bpmn:definitions>
"""


def test_a_case_tells_roles_and_records_a_notice_to_an_outside_body(make_uow, world: World, fixture_forms):  # noqa: F811
    with make_uow() as uow:
        versions.deploy(uow, DIAGRAM.encode(), fixture_forms, world.staff["coordinator"], "ops.bpmn")
        intake = cases.Intake(
            centre_code="kc-test", display_name="Мария П.", legal_basis="walk_in", target_group="other"
        )
        case = cases.open_case(uow, world.staff["social_worker"], intake)
        uow.commit()
        case_id = case.id
    with make_uow() as uow:
        case = uow.session.get(Case, case_id)
        assert case.status == "open" and case.incident_problem == ""
        told = uow.session.scalars(
            select(Notification).where(Notification.case_id == case_id).order_by(Notification.id)
        ).all()
        by_kind: dict[str, set[int]] = {}
        for note in told:
            by_kind.setdefault(note.kind, set()).add(note.user_id)
            said = note.text + json.dumps(note.params, ensure_ascii=False)
            assert "Мария" not in said and note.params["number"] == case.number
        leads = {world.staff["manager"].user_id, world.staff["case_lead"].user_id}
        assert by_kind == {"case.operation": leads, "case.outside_notice": leads}
        notice = next(n for n in told if n.kind == "case.outside_notice")
        assert "ОЗД" in notice.params["body"] and notice.params["body_en"]
        audits = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.id)
        ).all()
        operations = [
            (a.action, a.actor, a.detail.get("operation")) for a in audits if a.detail.get("operation")
        ]
        assert operations == [
            ("case.operation", "system", "notify_role"),
            ("case.outside_notice", "system", "notify_outside_body"),
        ]
        told_roles = next(a.detail for a in audits if a.action == "case.operation")
        assert told_roles["roles"] == ["manager", "case_lead"] and told_roles["told"] == 2

    with make_uow() as uow:
        task = uow.session.scalars(select(CaseTask).where(CaseTask.case_id == case_id)).one()
        cases.complete_task(
            uow, world.staff["social_worker"], task.public_id, {"note": "done", "risk": "low"}, fixture_forms
        )
        uow.commit()
    with make_uow() as uow:
        assert uow.session.get(Case, case_id).status == "closed"


def test_an_operation_casepath_does_not_have_is_refused_at_deploy(make_uow, world: World, fixture_forms):  # noqa: F811
    with make_uow() as uow, pytest.raises(PathwayInvalid) as refused:
        versions.deploy(
            uow, DIAGRAM.replace("notify_outside_body", "run_script").encode(), fixture_forms,
            world.staff["coordinator"], "ops.bpmn",
        )  # fmt: skip
    assert [(p.element_id, p.message) for p in refused.value.problems] == [
        (
            "Notice",
            "not executable: 'run_script' is not a Casepath operation "
            "(property 'operation'; one of: open_linked_case, notify_role, notify_outside_body)",
        )
    ]
