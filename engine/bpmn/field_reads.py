"""Which fields a pathway's expressions read: a form that is in use cannot lose one of them.

Conditions, scripts (and pre/post-scripts), multi-instance expressions, timers, due dates that are
expressions and item labels are read from the parsed specs of every process in the bundle (the
pathway and the pathways it calls). A name counts as read when it appears as a variable
(``age >= 14``) or as a string key of a subscript (``data["age"]``); that is conservative by design:
refusing to drop a field that is only named costs a coordinator a rename, dropping one that is read
costs a running case an incident.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.bpmn import properties
from engine.bpmn.checks import conditions_of
from engine.bpmn.expressions.syntax import parse_expression, parse_script
from engine.bpmn.parsing import ParsedPathway
from engine.bpmn.timers import is_cycle_literal
from engine.clock import is_duration
from engine.errors import ExpressionError


@dataclass(frozen=True)
class Reading:
    """An expression of an element that reads a name."""

    element_id: str
    kind: str  # condition | script | timer | due | item_label
    text: str


def form_keys_of(parsed: ParsedPathway) -> set[str]:
    """Every form the bundle's processes name: a task's form, a message's payload form."""
    keys: set[str] = set()
    form_properties = [p.name for p in properties.PROPERTIES if p.type is properties.PropertyType.FORM_KEY]
    for task_spec in _task_specs(parsed):
        raw = properties.raw_of_spec(task_spec)
        keys.update(raw[name].strip() for name in form_properties if raw.get(name, "").strip())
    return keys


def readings_of(parsed: ParsedPathway) -> Iterator[Reading]:
    """Every expression of the bundle, with the element it belongs to."""
    for task_spec in _task_specs(parsed):
        element = str(getattr(task_spec, "bpmn_id", None) or task_spec.name)
        for attr in ("script", "prescript", "postscript"):
            text = getattr(task_spec, attr, None)
            if isinstance(text, str) and text:
                yield Reading(element, "script", text)
        for text in conditions_of(task_spec):
            yield Reading(element, "condition", text)
        definition = getattr(task_spec, "event_definition", None)
        if isinstance(definition, TimerEventDefinition) and definition.expression:
            text = str(definition.expression).strip()
            if not (is_duration(text) or is_cycle_literal(text)):  # a literal reads nothing
                yield Reading(element, "timer", text)
        raw = properties.raw_of_spec(task_spec)
        due = raw.get("due", "").strip()
        if due and not is_duration(due):
            yield Reading(element, "due", due)
        if raw.get("item_label", "").strip():
            yield Reading(element, "item_label", raw["item_label"].strip())


def names_read(reading: Reading) -> set[str]:
    """The variables and string subscripts an expression reads (nothing for one that does not parse)."""
    try:
        trees: list[ast.AST] = (
            list(parse_script(reading.text)) if reading.kind == "script" else [parse_expression(reading.text)]
        )
    except ExpressionError:
        return set()  # a timer literal (P1M), or text the lint reports on its own
    names: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):  # not what a script assigns
                names.add(node.id)
            elif (
                isinstance(node, ast.Subscript)
                and isinstance(node.slice, ast.Constant)
                and isinstance(node.slice.value, str)
            ):
                names.add(node.slice.value)
    return names


def first_reading(parsed: ParsedPathway, field: str) -> Reading | None:
    """The first expression of the bundle that reads ``field``, or None."""
    for reading in readings_of(parsed):
        if field in names_read(reading):
            return reading
    return None


def _task_specs(parsed: ParsedPathway) -> Iterator[Any]:
    for spec in [parsed.spec, *parsed.subprocess_specs.values()]:
        yield from spec.task_specs.values()
