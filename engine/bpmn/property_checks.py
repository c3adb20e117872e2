"""The lint's checks of the declared properties (engine/bpmn/properties.py): one check per property
type, each naming the element's property in its message."""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from typing import Protocol

from engine.bpmn import call_texts, operations
from engine.bpmn.expressions.syntax import parse_expression
from engine.bpmn.properties import (
    ANCHOR_NAMES,
    ANCHORS,
    PROPERTIES,
    SERVICE_TASKS,
    Property,
    PropertyType,
    service_properties,
    split_list,
)
from engine.clock import duration_problem, is_duration, parse_instant
from engine.errors import ExpressionError


class Vocabulary(Protocol):
    """What the lint needs to know beyond the diagram: which names are roles and which keys are forms."""

    def is_role(self, name: str) -> bool: ...

    def form_exists(self, key: str) -> bool: ...


def problems_of(kind: str, raw: Mapping[str, str], lane: str | None, words: Vocabulary) -> list[str]:
    """Every problem with the declared properties of one element of type ``kind`` (e.g. ``userTask``).

    Properties an element does not carry, and names nobody declared, are left alone: other modelling
    tools write properties of their own.
    """
    problems: list[str] = []
    for prop in PROPERTIES:
        if not prop.carried_by(kind):
            continue
        value = raw.get(prop.name, "")
        if prop.fallback == "lane" and not value:
            value = lane or ""
        problem = _CHECKS[prop.type](prop, value, words)
        if problem:
            problems.append(problem)
    return problems + (
        operations.missing_needs(service_properties(raw).operation, raw) if kind in SERVICE_TASKS else []
    )


def _check_role(prop: Property, value: str, words: Vocabulary) -> str:
    if words.is_role(value):
        return ""
    which = f"'{value}' is not a casework role" if value.strip() else "names no role"
    return f"not executable: user task {which} (a {prop.name} property or a lane named after a role)"


def _check_form(prop: Property, value: str, words: Vocabulary) -> str:
    if not value and not prop.required:
        return ""
    if not value:
        return f"not executable: user task names no form (property '{prop.name}')"
    if not words.form_exists(value):
        return f"{prop.name} '{value}' does not exist in workflows/forms/"
    return ""


def _check_due(prop: Property, value: str, words: Vocabulary) -> str:
    problem = duration_problem(value)
    if problem:
        return f"{prop.name}: {problem}"
    if not value or is_duration(value):
        return ""
    try:
        tree = parse_expression(value)
    except ExpressionError as error:
        return (
            f"{prop.name} '{value}' is neither an ISO 8601 duration nor a valid expression: {error.message}"
        )
    if isinstance(tree, ast.Constant) and isinstance(tree.value, str) and not _is_date(tree.value):
        return f"{prop.name} {value} is quoted text, not a date: write a duration without quotes (P7D)"
    return ""


def _is_date(text: str) -> bool:
    try:
        parse_instant(text)
    except ValueError:
        return False
    return True


def _check_role_list(prop: Property, value: str, words: Vocabulary) -> str:
    unknown = [name for name in split_list(value) if not words.is_role(name)]
    return f"{prop.name} names no casework role: {', '.join(unknown)}" if unknown else ""


def _check_anchor(prop: Property, value: str, words: Vocabulary) -> str:
    if not value or value in ANCHOR_NAMES:
        return ""
    known = ", ".join(anchor.name for anchor in ANCHORS)
    return f"{prop.name} '{value}' is not a date Casepath counts from (one of: {known})"


def _check_flag(prop: Property, value: str, words: Vocabulary) -> str:
    if value.strip().lower() in {"", "true", "false"}:
        return ""
    return f"{prop.name} '{value}' must be true or false"


def _check_expression(prop: Property, value: str, words: Vocabulary) -> str:
    if not value:
        return ""
    try:
        parse_expression(value)
    except ExpressionError as error:
        return f"{prop.name} '{value}' is not a valid expression: {error.message}"
    return ""


def _check_text(prop: Property, value: str, words: Vocabulary) -> str:
    return ""  # any text; how long it may be is the columns' business (engine/pathways/limits.py)


_CHECKS: dict[PropertyType, Callable[[Property, str, Vocabulary], str]] = {
    PropertyType.ROLE: _check_role,
    PropertyType.FORM_KEY: _check_form,
    PropertyType.DUE: _check_due,
    PropertyType.TEXT: _check_text,
    PropertyType.ROLE_LIST: _check_role_list,
    PropertyType.ANCHOR: _check_anchor,
    PropertyType.FLAG: _check_flag,
    PropertyType.EXPRESSION: _check_expression,
    PropertyType.TEXTS: lambda prop, value, words: call_texts.texts_problem(value),
    PropertyType.OPERATION: lambda prop, value, words: operations.operation_problem(prop.name, value),
    PropertyType.OUTSIDE_BODY: lambda prop, value, words: operations.outside_body_problem(prop.name, value),
}
