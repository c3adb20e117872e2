"""The property declaration for people: JSON for the studio and the CLI, a table for the docs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.bpmn import operations
from engine.bpmn.properties import (
    ANCHORS,
    CALL_ACTIVITIES,
    EVENTS,
    FLOW_ELEMENTS,
    HUMAN_TASKS,
    MESSAGE_CATCHERS,
    PROPERTIES,
    SERVICE_TASKS,
    PropertyType,
)


def as_json(
    translate: Callable[[str, str], str], locales: tuple[str, ...] = ("bg", "en")
) -> list[dict[str, Any]]:
    """The declaration as data; ``translate(locale, message_id)`` gives each label and help text."""
    declared = []
    for prop in PROPERTIES:
        item: dict[str, Any] = {
            "name": prop.name,
            "elements": sorted(prop.carriers),
            "type": prop.type.value,
            "required": prop.required,
            "fallback": prop.fallback or None,
            "label": {locale: translate(locale, prop.label) for locale in locales},
            "help": {locale: translate(locale, prop.help) for locale in locales},
        }
        if prop.type is PropertyType.ANCHOR:
            item["values"] = [
                {
                    "name": anchor.name,
                    "phrase": {locale: translate(locale, anchor.phrase) for locale in locales},
                }
                for anchor in ANCHORS
            ]
        if prop.type is PropertyType.OPERATION:
            item["values"] = [
                {"name": op.name, "help": {locale: translate(locale, op.help) for locale in locales}}
                for op in operations.OPERATIONS
            ]
        if prop.type is PropertyType.OUTSIDE_BODY:
            item["values"] = [{"name": body} for body in operations.OUTSIDE_BODIES]
        declared.append(item)
    return declared


_TYPE_WORDS = {
    PropertyType.ROLE: "role name",
    PropertyType.FORM_KEY: "form key",
    PropertyType.DUE: "ISO 8601 duration or expression",
    PropertyType.TEXT: "free text",
    PropertyType.ROLE_LIST: "list of role names",
    PropertyType.ANCHOR: "anchor (a date of the case)",
    PropertyType.FLAG: "true or false",
    PropertyType.OPERATION: "operation name",
    PropertyType.OUTSIDE_BODY: "outside body",
    PropertyType.EXPRESSION: "expression",
    PropertyType.TEXTS: "JSON object of texts",
}


def _carrier_words(carriers: frozenset[str]) -> str:
    if carriers == FLOW_ELEMENTS:
        return "any flow element"
    if carriers == MESSAGE_CATCHERS:
        return "receive tasks and catch events (intermediate, boundary, start)"
    groups = [
        ("user, manual and plain tasks", HUMAN_TASKS),
        ("events", EVENTS),
        ("send tasks", frozenset({"sendTask"})),
        ("service tasks", SERVICE_TASKS),
        ("call activities", CALL_ACTIVITIES),
    ]
    return ", ".join(words for words, group in groups if group <= carriers)


def markdown_table() -> str:
    """The table in docs/pathway-authoring.md, between its ``properties-table`` markers."""
    lines = ["| property | on | type | required | meaning |", "|---|---|---|---|---|"]
    for prop in PROPERTIES:
        required = "yes" if prop.required else "no"
        if prop.fallback == "lane":
            required = "yes, unless the task sits in a lane named after a role"
        lines.append(
            f"| `{prop.name}` | {_carrier_words(prop.carriers)} | {_TYPE_WORDS[prop.type]} | {required} "
            f"| {prop.help} |"
        )
    return "\n".join(lines) + "\n"
