"""The lint's rules for messages, errors, escalations, conditions and event-based gateways."""

from __future__ import annotations

import pytest

from engine.pathways.lint import check_document
from tests.conftest import FIXTURES

CONSTRUCTS = FIXTURES / "constructs"


@pytest.mark.parametrize(
    "name",
    [
        "message",
        "send_task",
        "error",
        "escalation",
        "conditional",
        "timer_start",
        "event_based_gateway_timer",
    ],
)
def test_every_construct_diagram_is_valid(name, fixture_forms):
    verdict, parsed = check_document((CONSTRUCTS / f"{name}.bpmn").read_bytes(), fixture_forms)
    assert verdict.valid, verdict.summary()
    assert parsed is not None


def _verdict(name, forms, old, new):
    text = (CONSTRUCTS / f"{name}.bpmn").read_text(encoding="utf-8")
    assert old in text
    verdict, _ = check_document(text.replace(old, new).encode("utf-8"), forms)
    return [(problem.element_id, problem.message) for problem in verdict.problems]


def test_a_message_catch_names_who_delivers_it(fixture_forms):
    problems = _verdict(
        "message",
        fixture_forms,
        '<spiffworkflow:property name="delivered_by" value="case_lead, social_worker"/>',
        "",
    )
    assert problems == [
        (
            "wait_court",
            "not executable: the element waits for a message but names no role that delivers it "
            "(property 'delivered_by')",
        )
    ]


def test_delivered_by_names_roles_and_payload_form_a_form(fixture_forms):
    problems = _verdict("message", fixture_forms, 'value="court_decision"/>', 'value="no_such_form"/>')
    assert problems == [("wait_court", "payload_form 'no_such_form' does not exist in workflows/forms/")]
    problems = _verdict(
        "message", fixture_forms, 'value="case_lead, social_worker"', 'value="case_lead, judge"'
    )
    assert problems == [("wait_court", "delivered_by names no casework role: judge")]


def test_a_message_name_is_a_key(fixture_forms):
    problems = _verdict("message", fixture_forms, 'name="court_decision"', 'name="Court decision!"')
    assert problems[0][0] == "wait_court" and "Latin letters, digits and _" in problems[0][1]


def test_a_message_start_event_of_the_process_is_refused(fixture_forms):
    problems = _verdict(
        "message",
        fixture_forms,
        '<bpmn:startEvent id="start"/>',
        '<bpmn:startEvent id="start"><bpmn:messageEventDefinition messageRef="msg_court"/></bpmn:startEvent>',
    )
    assert ("start", "not executable: a case starts at intake; a message, error, escalation or conditional "
            "start event belongs in an event sub-process") in problems  # fmt: skip


def test_a_condition_is_a_safe_expression(fixture_forms):
    problems = _verdict("conditional", fixture_forms, '<bpmn:condition>risk == "high"</bpmn:condition>',
                        "<bpmn:condition>risk.__class__</bpmn:condition>")  # fmt: skip
    assert problems and problems[0][0] == "risk_rises" and "not a valid expression" in problems[0][1]


def test_an_event_based_gateway_waits_for_one_timer(fixture_forms):
    second = (
        '<bpmn:intermediateCatchEvent id="order_arrives" name="x"><bpmn:timerEventDefinition>'
        "<bpmn:timeDuration>P1D</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
        '<bpmn:intermediateCatchEvent id="unused_message" name="Заповедта пристига">'
    )
    problems = _verdict(
        "event_based_gateway_timer",
        fixture_forms,
        '<bpmn:intermediateCatchEvent id="order_arrives" name="Заповедта пристига">',
        second,
    )
    assert ("order_or_week", "an event-based gateway may wait for one timer only: merge them") in problems
