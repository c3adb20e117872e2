"""What the lint asks of a pathway's parsed specs: every expression in the safe subset, no fast cycles."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition, TimerEventDefinition

from engine import clock as clocks
from engine.bpmn.expressions.syntax import check_expression, check_script
from engine.bpmn.parsing import ParsedPathway
from engine.bpmn.timers import check_timer, cycle_too_short, is_cycle_literal, parse_cycle
from engine.errors import ExpressionError, Problem


def check_scripts_of(pathway: ParsedPathway) -> list[Problem]:
    """Every condition, script, pre/post-script and timer in the specs, checked by the safe subset."""
    problems: list[Problem] = []
    for spec in [pathway.spec, *pathway.subprocess_specs.values()]:
        for task_spec in spec.task_specs.values():
            problems.extend(_check_task_spec(task_spec))
    return problems


def _check_task_spec(task_spec: Any) -> list[Problem]:
    element = str(getattr(task_spec, "bpmn_id", None) or task_spec.name)
    checks: list[tuple[str, str]] = []
    for attr in ("script", "prescript", "postscript"):
        text = getattr(task_spec, attr, None)
        if text:
            checks.append(("script", text))
    for condition in conditions_of(task_spec):
        checks.append(("expression", condition))
    definition = getattr(task_spec, "event_definition", None)
    if isinstance(definition, TimerEventDefinition):
        checks.append(("timer", definition.expression))
    problems = []
    for kind, text in checks:
        try:
            _check_one(kind, text)
        except ExpressionError as error:
            problems.append(Problem(element, f"{kind} {text!r}: {error.message}"))
    return problems


def short_cycles_of(pathway: ParsedPathway, minimum: str) -> list[Problem]:
    """Cycle timers written as literals (``R/PT5M``) that repeat more often than ``minimum`` allows.

    A cycle computed by an expression is checked when it starts (it parks the case if too short).
    """
    problems: list[Problem] = []
    for spec in [pathway.spec, *pathway.subprocess_specs.values()]:
        for task_spec in spec.task_specs.values():
            definitions = [getattr(task_spec, "event_definition", None)]
            if isinstance(definitions[0], MultipleEventDefinition):
                definitions = list(definitions[0].event_definitions)
            for definition in definitions:
                duration = _literal_cycle(definition)
                if duration and cycle_too_short(duration, minimum):
                    element = str(getattr(task_spec, "bpmn_id", None) or task_spec.name)
                    message = f"the timer repeats every {duration}: at least {minimum} is allowed"
                    problems.append(Problem(element, message))
    return problems


def _literal_cycle(definition: Any) -> str:
    if not isinstance(definition, CycleTimerEventDefinition):
        return ""
    text = (definition.expression or "").strip()
    if not is_cycle_literal(text):
        return ""  # an expression: known only at run time
    try:
        return parse_cycle(text, clocks.parse_instant("2000-01-01"))[2]
    except ExpressionError:
        return ""  # malformed: check_scripts_of reports it


def conditions_of(task_spec: Any) -> Iterator[str]:
    for condition, _target in getattr(task_spec, "cond_task_specs", []) or []:
        text = condition.args[0] if condition is not None and getattr(condition, "args", None) else condition
        if isinstance(text, str) and text:
            yield text
    for attr in ("condition", "completion_condition", "cardinality"):
        text = getattr(task_spec, attr, None)
        if isinstance(text, str) and text:
            yield text


def _check_one(kind: str, text: str) -> None:
    if kind == "script":
        check_script(text)
    elif kind == "timer":
        check_timer(text)
    else:
        check_expression(text)


def check_text(kind: str, text: str) -> None:
    """Check one text as the studio's editor sends it while it is typed: ``script``, ``timer`` or
    ``expression``; ExpressionError says what is wrong."""
    _check_one(kind, text)
