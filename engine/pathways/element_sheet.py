"""The supported-elements part of docs/pathway-authoring.md, generated from the declarations.

The lint's ``SUPPORTED`` and ``SUPPORTED_EVENTS``, the task properties' required ones and the construct
list are the truth; the docs carry this text between their ``supported-elements`` markers and a test
keeps them equal, so docs and code cannot disagree again.
"""

from __future__ import annotations

from engine.bpmn.constructs import CONSTRUCTS
from engine.bpmn.properties import HUMAN_TASKS, PROPERTIES
from engine.pathways.lint import SUPPORTED, SUPPORTED_EVENTS

_KINDS = (
    (
        "events",
        ("startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"),
    ),
    (
        "human tasks (wait for a person)",
        tuple(sorted(HUMAN_TASKS, key=("userTask", "manualTask", "task").index)),
    ),
    (
        "other activities",
        (
            "scriptTask",
            "serviceTask",
            "businessRuleTask",
            "sendTask",
            "receiveTask",
            "subProcess",
            "callActivity",
            "transaction",
        ),
    ),
    ("gateways", ("exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway")),
    ("flow and data", ("sequenceFlow", "dataObject", "dataObjectReference", "dataStoreReference")),
    ("decoration", ("textAnnotation", "association", "group", "laneSet", "lane")),
)


def _codes(names: object) -> str:
    return ", ".join(f"`{name}`" for name in names)  # type: ignore[attr-defined]


def markdown() -> str:
    """The text between ``<!-- supported-elements:start -->`` and ``<!-- supported-elements:end -->``."""
    lines = ["| kind | elements |", "|---|---|"]
    listed: set[str] = set()
    for kind, names in _KINDS:
        present = [name for name in names if name in SUPPORTED]
        listed.update(present)
        if present:
            lines.append(f"| {kind} | {_codes(present)} |")
    rest = sorted(SUPPORTED - listed)
    if rest:
        lines.append(f"| other | {_codes(rest)} |")
    lines += [
        "",
        f"Event definitions: {_codes(sorted(SUPPORTED_EVENTS))}; an event with no definition is fine.",
        "",
    ]
    needed = [prop.name for prop in PROPERTIES if prop.required and prop.carriers >= HUMAN_TASKS]
    lines.append(
        f"Every human task ({_codes(sorted(HUMAN_TASKS))}) needs {_codes(needed)} (a `role` may come "
        "from its lane instead): manual and plain tasks are done with a form like user tasks."
    )
    refused = [item for item in CONSTRUCTS if not item.supported]
    if refused:
        lines += ["", "Constructs not run yet (each reported as `not executable by Casepath: …`):", ""]
        lines += [f"* {item.label}: {item.elements}" for item in refused]
    return "\n".join(lines) + "\n"
