"""Service tasks: a closed list of operations, declared and linted; a run reaches them through a handler."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from lxml import etree

from engine.bpmn import operations, parsing, spiff
from engine.bpmn.properties import (
    PROPERTIES,
    SERVICE_TASKS,
    ServiceProperties,
    service_properties,
)
from engine.bpmn.property_checks import problems_of
from engine.pathways.forms import FormCatalog
from engine.pathways.lint import check_document
from tests.engine.bpmn.test_properties import Words

OPS = "open_linked_case, notify_role, notify_outside_body"

DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
  <bpmn:process id="ops" isExecutable="true">
    <bpmn:startEvent id="Begin"/>
    <bpmn:sequenceFlow id="f1" sourceRef="Begin" targetRef="Tell"/>
    <bpmn:serviceTask id="Tell" name="Tell the manager">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="operation" value="OPERATION"/>
        <spiffworkflow:property name="notify" value="manager"/>
      </spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f2" sourceRef="Tell" targetRef="End"/>
    <bpmn:endEvent id="End"/>
  </bpmn:process>
</bpmn:definitions>
"""


def test_the_typed_values_hold_what_a_service_task_carries() -> None:
    carried = {prop.name for prop in PROPERTIES if prop.carriers >= SERVICE_TASKS}
    assert {item.name for item in fields(ServiceProperties)} == carried
    assert service_properties(
        {"operation": "notify_role", "notify": "manager, case_lead"}
    ) == ServiceProperties(operation="notify_role", notify=("manager", "case_lead"))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"operation": "open_linked_case"}, []),
        ({"operation": "notify_role", "notify": "manager"}, []),
        ({}, [f"not executable: service task names no operation (property 'operation'; one of: {OPS})"]),
        (
            {"operation": "run_python"},
            [
                "not executable: 'run_python' is not a Casepath operation "
                f"(property 'operation'; one of: {OPS})"
            ],
        ),
        ({"operation": "notify_role"}, ["operation 'notify_role' needs the property 'notify'"]),
        (
            {"operation": "notify_outside_body", "outside_body": "press"},
            [
                "outside_body 'press' is not an outside body Casepath knows "
                "(one of: dsp, ozd, police, coordination_mechanism, prosecutor)"
            ],
        ),
    ],
)
def test_the_lint_knows_only_the_closed_list(raw, expected) -> None:
    assert problems_of("serviceTask", raw, None, Words()) == expected


def test_a_diagram_with_an_unknown_operation_is_not_executable(forms: FormCatalog) -> None:
    verdict, parsed = check_document(DIAGRAM.replace("OPERATION", "send_sms").encode(), forms)
    assert not verdict.executable and parsed is None
    assert [str(p) for p in verdict.problems] == [
        f"Tell: not executable: 'send_sms' is not a Casepath operation (property 'operation'; one of: {OPS})"
    ]


def _parsed(forms: FormCatalog):
    data = DIAGRAM.replace("OPERATION", "notify_role").encode()
    verdict, _ = check_document(data, forms)
    assert verdict.valid, verdict.summary()
    return parsing.parse_pathway(etree.fromstring(data))


def test_a_run_calls_the_bound_handler_with_the_tasks_properties_and_data(forms: FormCatalog) -> None:
    from engine.clock import FrozenClock

    seen: list[operations.OperationCall] = []

    class Handler:
        def run(self, call):
            seen.append(call)
            return {"told": 2}

    clock = FrozenClock(datetime(2026, 9, 1, 10, tzinfo=ZoneInfo("Europe/Sofia")))
    with operations.bound(Handler()):
        workflow = spiff.start(_parsed(forms), {"case_number": "X-1"}, clock)
    assert spiff.is_completed(workflow)
    [call] = seen
    assert (call.operation, call.element_id, call.name) == ("notify_role", "Tell", "Tell the manager")
    assert call.properties["notify"] == "manager" and call.data["case_number"] == "X-1"
    assert spiff.workflow_data(workflow)["Tell_result"] == {"told": 2}


def test_without_a_handler_or_when_the_operation_fails_the_run_stops_at_the_task(forms: FormCatalog) -> None:
    from engine.clock import FrozenClock

    clock = FrozenClock(datetime(2026, 9, 1, 10, tzinfo=ZoneInfo("Europe/Sofia")))
    with pytest.raises(spiff.RuntimeFailure) as stopped:
        spiff.start(_parsed(forms), {}, clock)
    assert (stopped.value.element_id, stopped.value.problem) == ("Tell", "operation_unbound")

    class Failing:
        def run(self, call):
            raise operations.OperationFailed("no_such_centre", "no such centre")

    with operations.bound(Failing()), pytest.raises(spiff.RuntimeFailure) as failed:
        spiff.start(_parsed(forms), {}, clock)
    assert (failed.value.element_id, failed.value.problem) == ("Tell", "no_such_centre")
    assert failed.value.message == "The centre chosen for the linked case does not exist."
