"""Casepath's rules for messages, errors, escalations and conditions on a diagram (see
docs/pathway-authoring.md): what the lint says beyond "this element type is supported".

* every element that waits for a message names the roles that deliver it (``delivered_by``), and the
  message has a name that can be a URL segment and a key of the case data (``court_decision``);
* a message or error start event belongs to an event sub-process: a case starts at intake;
* a condition is a safe expression (checked like every other expression).
"""

from __future__ import annotations

import re

from lxml import etree

from engine.bpmn import properties
from engine.bpmn.expressions.syntax import check_expression
from engine.errors import ExpressionError, Problem
from engine.pathways.importer import BPMN_NS, NS

MESSAGE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,79}$")  # part of a URL and a key of the case data
_CATCHERS = frozenset({"intermediateCatchEvent", "boundaryEvent", "startEvent", "receiveTask"})


def event_problems(element: etree._Element, kind: str, element_id: str) -> list[Problem]:
    """Problems of one flow element with message, error, escalation or conditional definitions."""
    problems: list[Problem] = []
    message = _message_of(element, kind)
    if message is not None and kind in _CATCHERS:
        problems.extend(_message_catch(element, kind, element_id, message))
    if (
        kind == "startEvent"
        and _top_level(element)
        and _has(
            element,
            "messageEventDefinition",
            "errorEventDefinition",
            "escalationEventDefinition",
            "conditionalEventDefinition",
        )
    ):
        problems.append(
            Problem(
                element_id,
                "not executable: a case starts at intake; a message, error, escalation "
                "or conditional start event belongs in an event sub-process",
            )
        )
    if kind == "eventBasedGateway" and _timers_after(element) > 1:
        problems.append(Problem(element_id, "an event-based gateway may wait for one timer only: merge them"))
    for condition in element.xpath("./bpmn:conditionalEventDefinition", namespaces=NS):
        text = "".join(condition.xpath("./bpmn:condition//text()", namespaces=NS)).strip()
        if not text:
            problems.append(Problem(element_id, "the conditional event has no condition"))
            continue
        try:
            check_expression(text)
        except ExpressionError as error:
            problems.append(
                Problem(element_id, f"condition '{text[:200]}' is not a valid expression: {error.message}")
            )
    return problems


def _timers_after(gateway: etree._Element) -> int:
    """How many of the events an event-based gateway waits for are timers (they share one due time)."""
    process = gateway.getparent()
    assert process is not None
    targets = process.xpath(
        "./bpmn:sequenceFlow[@sourceRef=$id]/@targetRef", namespaces=NS, id=gateway.get("id")
    )
    return sum(
        len(process.xpath("./*[@id=$t]/bpmn:timerEventDefinition", namespaces=NS, t=target))
        for target in targets
    )


def _has(element: etree._Element, *kinds: str) -> bool:
    return any(element.find(f"{{{BPMN_NS}}}{kind}") is not None for kind in kinds)


def _top_level(element: etree._Element) -> bool:
    parent = element.getparent()
    return parent is not None and etree.QName(parent).localname == "process"


def _message_of(element: etree._Element, kind: str) -> str | None:
    """The name of the message an element catches or throws ("" when it names none), or None."""
    if kind in {"receiveTask", "sendTask"}:
        ref = element.get("messageRef")
    else:
        found = element.find(f"{{{BPMN_NS}}}messageEventDefinition")
        if found is None:
            return None
        ref = found.get("messageRef")
    if not ref:
        return ""
    root = element.getroottree().getroot()
    messages = root.xpath("//bpmn:message[@id=$ref]/@name", namespaces=NS, ref=ref)
    return str(messages[0]) if messages else ""


def _message_catch(element: etree._Element, kind: str, element_id: str, name: str) -> list[Problem]:
    problems: list[Problem] = []
    if not MESSAGE_NAME.match(name):
        problems.append(
            Problem(
                element_id,
                f"the message it waits for needs a name of Latin letters, digits and _ that starts "
                f"with a letter (for example court_decision), not '{name[:80]}'",
            )
        )
    raw = properties.raw_of_element(element)
    if not properties.split_list(raw.get("delivered_by", "")):
        problems.append(
            Problem(
                element_id,
                "not executable: the element waits for a message but names no role "
                "that delivers it (property 'delivered_by')",
            )
        )
    return problems
