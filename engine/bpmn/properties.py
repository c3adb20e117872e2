"""The one declaration of Casepath's BPMN extension properties, and everything read from it.

A diagram carries Casepath's settings as ``spiffworkflow:properties`` under an element's
``bpmn:extensionElements``. Each property is declared once here: its name, the elements that carry
it, its type, whether it is required, and its label and help text. From that declaration:

* the runtime parses typed :class:`TaskProperties` and :class:`EventProperties` (nothing else reads a
  property by its name);
* the lint (:func:`~engine.bpmn.property_checks.problems_of`) checks presence and type, naming the element
  and the property;
* ``docs/pathway-authoring.md`` has a table made by :func:`~engine.bpmn.property_sheet.markdown_table`
  (a test fails on drift);
* ``casepath pathways properties --json`` prints :func:`~engine.bpmn.property_sheet.as_json`, which the
  studio's properties panel is to be built from.

Labels and help texts are English message ids: adapters translate them through the Babel catalogues
(``N_`` only marks them for extraction). Whether a name is a role, or a key a form, is not known here
(roles are people's, forms are pathways'): the lint passes that knowledge in as a ``Vocabulary``
(engine/bpmn/property_checks.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any

from lxml import etree

SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def N_(text: str) -> str:
    """Marks a message id for the catalogues; translated where it is shown, not here."""
    return text


class PropertyType(StrEnum):
    """What a property's value is; each type has one check in :data:`_CHECKS`."""

    ROLE = "role"  # a casework role: its code, Bulgarian or English label
    FORM_KEY = "form_key"  # the key of workflows/forms/<key>.json
    DUE = "due"  # an ISO 8601 duration, or a safe expression that gives a date
    TEXT = "text"  # free text
    ROLE_LIST = "role_list"  # casework roles separated by commas
    ANCHOR = "anchor"  # the date a duration counts from: one of ANCHORS
    FLAG = "flag"  # true or false
    OPERATION = "operation"  # one of the closed list of Casepath operations (engine/bpmn/operations.py)
    OUTSIDE_BODY = "outside_body"  # an authority outside the centre: one of OUTSIDE_BODIES
    EXPRESSION = "expression"  # a safe expression, evaluated on the task's data
    TEXTS = "texts"  # a JSON object of texts by name (engine/bpmn/call_texts.py)


# Which BPMN elements a property may sit on, by their local names.
HUMAN_TASKS = frozenset({"userTask", "manualTask", "task"})
EVENTS = frozenset(
    {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
)
SERVICE_TASKS = frozenset({"serviceTask"})
MESSAGE_CATCHERS = EVENTS - {"endEvent", "intermediateThrowEvent"} | {"receiveTask"}
THROWERS = EVENTS | {"sendTask"}
CALL_ACTIVITIES = frozenset({"callActivity"})
FLOW_ELEMENTS = HUMAN_TASKS | EVENTS | frozenset({
    "scriptTask", "serviceTask", "sendTask", "receiveTask", "businessRuleTask", "callActivity", "subProcess",
    "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway",
})  # fmt: skip


@dataclass(frozen=True)
class Anchor:
    """A date the law counts a deadline from, and the case-data field that holds it."""

    name: str
    phrase: str  # "from the admission": shown after the duration on the case page


OPENED = "opened"
ANCHORS: tuple[Anchor, ...] = (
    Anchor(OPENED, N_("from when the task opened")),
    Anchor("admitted_at", N_("from the admission")),
    Anchor("referral_date", N_("from the referral")),
    Anchor("order_date", N_("from the order")),
    Anchor("identified_on", N_("from the formal identification")),
    Anchor("last_violence_on", N_("from the last violence")),
    Anchor("contract_signed_on", N_("from the contract's signing")),
)
ANCHOR_NAMES = frozenset(anchor.name for anchor in ANCHORS)
# What a timer without ``due_from`` counts from (shown on the case page; not a value to write).
STARTED = Anchor("started", N_("from when the step began"))


@dataclass(frozen=True)
class Property:
    """One extension property as coordinators write it and Casepath reads it."""

    name: str
    carriers: frozenset[str]
    type: PropertyType
    label: str
    help: str
    required: bool = False
    fallback: str = ""  # where the value comes from when the property is absent ("lane" for a role)

    def carried_by(self, kind: str) -> bool:
        return kind in self.carriers


PROPERTIES: tuple[Property, ...] = (
    Property(
        "role",
        HUMAN_TASKS,
        PropertyType.ROLE,
        N_("Role"),
        N_(
            "Who does the task: a casework role by its code or its Bulgarian or English name. "
            "Without it, the lane the task sits in names the role."
        ),
        required=True,
        fallback="lane",
    ),
    Property(
        "form",
        HUMAN_TASKS,
        PropertyType.FORM_KEY,
        N_("Form"),
        N_("The key of the form the task is done with, a file in workflows/forms/."),
        required=True,
    ),
    Property(
        "due",
        HUMAN_TASKS,
        PropertyType.DUE,
        N_("Due"),
        N_(
            "When the task is due, computed once when it becomes ready: an ISO 8601 duration "
            "(PT24H, P7D, P1M) or an expression that gives a date."
        ),
    ),
    Property(
        "due_from",
        HUMAN_TASKS | EVENTS,
        PropertyType.ANCHOR,
        N_("Counted from"),
        N_(
            "The date the due date or timer counts from, as the law counts it: opened (the default: "
            "when the task opens or the timer starts waiting), admitted_at, referral_date, order_date, "
            "identified_on, last_violence_on or contract_signed_on."
        ),
    ),
    Property(
        "ends_stay",
        HUMAN_TASKS,
        PropertyType.FLAG,
        N_("Ends the stay"),
        N_(
            "true on the task whose completion means the person has left the centre: the case no longer "
            "takes a place, and its page stops counting the days of stay and the six-month cap."
        ),
    ),
    Property(
        "escalation",
        HUMAN_TASKS,
        PropertyType.FLAG,
        N_("Escalation"),
        N_(
            "true on a task that escalates a missed deadline: when it opens, the centre's managers are "
            "told at once, whoever the task is for."
        ),
    ),
    Property(
        "legal_source",
        HUMAN_TASKS | EVENTS | SERVICE_TASKS,
        PropertyType.TEXT,
        N_("Legal source"),
        N_("The legal basis of the deadline, shown to case workers next to it (for example ЗСУ чл. 77(3))."),
    ),
    Property(
        "legal_source_en",
        HUMAN_TASKS | EVENTS | SERVICE_TASKS,
        PropertyType.TEXT,
        N_("Legal source in English"),
        N_(
            "The legal basis in English, for the English interface (legal_source is the Bulgarian one); "
            "the law's abbreviation may stay (for example ЗСУ Art. 77(3))."
        ),
    ),
    Property(
        "item_label",
        HUMAN_TASKS,
        PropertyType.EXPRESSION,
        N_("Item label"),
        N_(
            "For a multi-instance or looping task: an expression on the task's data that says which item "
            'the task is for, shown as "for: …" in the inbox and on the case page (for example '
            'child["name"] + ", " + str(child["age"]) + " г.").'
        ),
    ),
    Property(
        "notify",
        THROWERS | SERVICE_TASKS,
        PropertyType.ROLE_LIST,
        N_("Notify"),
        N_(
            "The roles told when the timer fires, when a send task or a throw event (message, escalation, "
            "error) is reached, or by a notify_role service task, separated by commas (for example "
            "manager, case_lead)."
        ),
    ),
    Property(
        "operation",
        SERVICE_TASKS,
        PropertyType.OPERATION,
        N_("Operation"),
        N_(
            "What a service task does, one of Casepath's operations: open_linked_case (opens the child's "
            "case at the chosen children's crisis centre and links the cases), notify_role (tells the "
            "roles in notify), notify_outside_body (a notice without personal data to outside_body). "
            "No other code runs."
        ),
        required=True,
    ),
    Property(
        "outside_body",
        SERVICE_TASKS,
        PropertyType.OUTSIDE_BODY,
        N_("Outside body"),
        N_(
            "Who a notify_outside_body service task gives notice to: dsp, ozd, police, "
            "coordination_mechanism or prosecutor."
        ),
    ),
    Property(
        "delivered_by",
        MESSAGE_CATCHERS,
        PropertyType.ROLE_LIST,
        N_("Delivered by"),
        N_(
            "On an element that waits for a message: the roles that may deliver it from the case page, "
            "the API or the command line, separated by commas (required on every message catch)."
        ),
    ),
    Property(
        "payload_form",
        MESSAGE_CATCHERS,
        PropertyType.FORM_KEY,
        N_("Message form"),
        N_(
            "On an element that waits for a message: the key of the form (a file in workflows/forms/) "
            "whose JSON Schema the message's data must fit; without it the message carries no data."
        ),
    ),
    Property(
        "texts",
        CALL_ACTIVITIES,
        PropertyType.TEXTS,
        N_("Texts for the called pathway"),
        N_(
            "On a call activity: the words the called pathway's placeholders stand for, as a JSON object "
            '(for example {"authority": "ДСП"} fills {authority} in its names, name_en and legal_source). '
            "One shared sub-pathway then reads in each caller's words."
        ),
    ),
    Property(
        "name_en",
        FLOW_ELEMENTS,
        PropertyType.TEXT,
        N_("Name in English"),
        N_("The element's name in English, for the English interface (its name is the Bulgarian one)."),
    ),
)
BY_NAME: dict[str, Property] = {prop.name: prop for prop in PROPERTIES}


# --- typed values for the runtime ---------------------------------------------------------------------


@dataclass(frozen=True)
class TaskProperties:
    """What a human task says of itself; ``role`` is as written (the case work resolves it)."""

    role: str = ""
    form: str = ""
    due: str = ""
    due_from: str = ""
    ends_stay: bool = False
    escalation: bool = False
    legal_source: str = ""
    legal_source_en: str = ""
    item_label: str = ""
    name_en: str = ""


@dataclass(frozen=True)
class EventProperties:
    """What an event (a timer, when it waits and fires) says of itself."""

    due_from: str = ""
    legal_source: str = ""
    legal_source_en: str = ""
    notify: tuple[str, ...] = ()
    name_en: str = ""


@dataclass(frozen=True)
class ServiceProperties:
    """What a service task says of itself: the operation it calls and what that operation needs."""

    operation: str = ""
    notify: tuple[str, ...] = ()
    outside_body: str = ""
    legal_source: str = ""
    legal_source_en: str = ""
    name_en: str = ""


def service_properties(raw: Mapping[str, str]) -> ServiceProperties:
    return ServiceProperties(**_typed(ServiceProperties, raw))


@dataclass(frozen=True)
class MessageProperties:
    """What an element that waits for a message says of it: who delivers it, with what form's data."""

    delivered_by: tuple[str, ...] = ()
    payload_form: str = ""
    name_en: str = ""


def task_properties(raw: Mapping[str, str]) -> TaskProperties:
    return TaskProperties(**_typed(TaskProperties, raw))


def event_properties(raw: Mapping[str, str]) -> EventProperties:
    return EventProperties(**_typed(EventProperties, raw))


def message_properties(raw: Mapping[str, str]) -> MessageProperties:
    return MessageProperties(**_typed(MessageProperties, raw))


def _typed(target: type, raw: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for item in fields(target):
        text = str(raw.get(item.name, "") or "")
        if BY_NAME[item.name].type is PropertyType.ROLE_LIST:
            values[item.name] = split_list(text)
        elif BY_NAME[item.name].type is PropertyType.FLAG:
            values[item.name] = text.strip().lower() == "true"
        else:
            values[item.name] = text
    return values


def split_list(text: str) -> tuple[str, ...]:
    """``"manager, case_lead,,"`` → ``("manager", "case_lead")``."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


def raw_of_spec(task_spec: Any) -> dict[str, str]:
    """The properties SpiffWorkflow's parser kept on a task spec, as written."""
    extensions = getattr(task_spec, "extensions", None) or {}
    return {str(name): str(value or "") for name, value in dict(extensions.get("properties", {})).items()}


def raw_of_element(element: etree._Element) -> dict[str, str]:
    """The properties of an element of an already safely parsed diagram, as written."""
    found = element.xpath(
        "./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property",
        namespaces={"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS},
    )
    return {str(p.get("name")): str(p.get("value") or "") for p in found}


# --- the lint ----------------------------------------------------------------------------------------------
