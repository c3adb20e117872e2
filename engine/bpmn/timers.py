"""Timers on Casepath's calendar and clock instead of SpiffWorkflow's month lengths and ``datetime.now()``.

A date or duration timer computes its due instant once, when it starts waiting, from the injected
clock; a cycle (``R[n]/duration`` or ``R[n]/start/duration``) steps by calendar months. The parser
swaps the library's timer classes for these (:func:`use_casepath_timers`), and the serializer stores
them under the library's converter, so a stored case loads with either.
"""

from __future__ import annotations

import ast
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
)
from SpiffWorkflow.task import Task

from engine import clock as clocks
from engine.bpmn.due import anchor_instant
from engine.bpmn.expressions.syntax import check_expression, parse_expression
from engine.bpmn.properties import event_properties, raw_of_spec
from engine.bpmn.script_engine import engine_of
from engine.clock import Clock
from engine.errors import ExpressionError


def is_cycle_literal(text: str) -> bool:
    """Whether ``text`` is written as an ISO 8601 repeating interval (R/P1M, R3/2026-01-01/P1M)."""
    return text.upper().startswith("R") and "/" in text


def timer_value(task: Task, expression: str) -> str:
    """A timer's text: a bare ISO 8601 literal as written, otherwise a safe expression's result."""
    text = expression.strip()
    if clocks.is_duration(text) or is_cycle_literal(text) or is_iso_instant(text):
        return text
    value = task.workflow.script_engine.evaluate(task, text)
    if isinstance(value, datetime):
        return value.isoformat()
    if not isinstance(value, str):
        raise ExpressionError(f"timer expression must give a duration or a date, not {value!r}", text)
    return value.strip()


def engine_clock(task: Task) -> Clock:
    return engine_of(task.workflow).clock


def is_iso_instant(text: str) -> bool:
    try:
        clocks.parse_instant(text)
    except ValueError:
        return False
    return True


def timer_due(task: Task, expression: str) -> datetime:
    """When a date or duration timer falls due, computed once when the timer starts waiting."""
    value = timer_value(task, expression)
    try:
        if clocks.is_duration(value):
            return clocks.add_duration(_counted_from(task, engine_clock(task).now()), value)
        return clocks.parse_instant(value)
    except (ValueError, OverflowError) as error:  # the value may be case data: the message names none
        element = str(task.task_spec.bpmn_id)
        raise ExpressionError(NOT_A_TIME, expression, element_id=element, problem="wrong_kind") from error


def _counted_from(task: Task, now: datetime) -> datetime:
    """Where a timer's duration counts from: its ``due_from`` anchor in the case data, or ``now``."""
    anchor = event_properties(raw_of_spec(task.task_spec)).due_from
    try:
        return anchor_instant(anchor, task.data, now)
    except ExpressionError as error:
        raise ExpressionError(
            error.message, anchor, element_id=str(task.task_spec.bpmn_id), problem="due_date"
        ) from error


class CasepathTimeDate(TimeDateEventDefinition):  # type: ignore[misc]
    def has_fired(self, my_task: Task) -> bool:
        return _fire_once(my_task, self.expression)

    def details(self, my_task: Task) -> Any:
        return super().details(my_task)


class CasepathDuration(DurationTimerEventDefinition):  # type: ignore[misc]
    def has_fired(self, my_task: Task) -> bool:
        return _fire_once(my_task, self.expression)


def _fire_once(task: Task, expression: str) -> bool:
    event_value = task._get_internal_data("event_value")
    if event_value is None:
        event_value = timer_due(task, expression).isoformat()
        task._set_internal_data(event_value=event_value)
    if clocks.parse_instant(event_value) <= engine_clock(task).now():
        task._set_internal_data(event_fired=True)
    return bool(task._get_internal_data("event_fired", False))


class CasepathCycle(CycleTimerEventDefinition):  # type: ignore[misc]
    """``R[n]/duration`` (from when the timer starts, or from its ``due_from`` anchor) or
    ``R[n]/start/duration``, months by the calendar.

    The n-th occurrence falls at first + (n - 1) x duration, never at the previous one plus the
    duration: a review done late does not push the later ones, and month ends do not drift.
    """

    def cycle_complete(self, my_task: Task) -> bool:
        state = my_task._get_internal_data("event_value")
        now = engine_clock(my_task).now()
        if state is None:
            base = _counted_from(my_task, now)
            cycles, start, duration = _computed_cycle(my_task, self.expression, base)
            _refuse_short_cycle(my_task, duration)
            state = {"cycles": cycles, "next": start.isoformat(), "duration": duration, "n": 0}
            # R/P1M counts its occurrences from ``base`` (the first at base + 1 x P1M); R/start/P1M
            # from its start (the first at start + 0 x P1M).
            offset = 1 if start == clocks.add_duration(base, duration) else 0
            state["base"], state["offset"] = (base if offset else start).isoformat(), offset
        ready = False
        if state["cycles"] != 0:
            due = datetime.fromisoformat(state["next"])
            if due <= now:
                state["n"] += 1
                state["next"] = _occurrence_after(state, due).isoformat()
                state["cycles"] -= 1
                ready = True
            my_task._set_internal_data(event_value=state)
        else:
            my_task.internal_data.pop("event_value", None)
            my_task.internal_data["event_fired"] = True
        return ready


def _occurrence_after(state: dict[str, Any], due: datetime) -> datetime:
    """The next occurrence, base + (n + offset) x duration once n have fired (a state stored before
    cycles were counted from their base steps on from ``due``, as it always did)."""
    duration = clocks.parse_duration(state["duration"])
    if "base" not in state:
        return clocks.add_duration(due, duration)
    steps = duration.times(state["n"] + state["offset"])
    return clocks.add_duration(datetime.fromisoformat(state["base"]), steps)


def _computed_cycle(task: Task, expression: str, now: datetime) -> tuple[int, datetime, str]:
    """The cycle a timer's expression gives. A computed value may be case data: an error names the
    diagram's expression, never the value it gave (coordinators who may not open the case read it)."""
    value = timer_value(task, expression)
    try:
        return parse_cycle(value, now)
    except ExpressionError as error:
        if value == expression.strip():
            raise
        message = "a timer expression gave no ISO 8601 repeating interval (example: R/P1M)"
        element = str(task.task_spec.bpmn_id)
        raise ExpressionError(message, expression, element_id=element, problem="wrong_kind") from error


def cycle_too_short(duration: str, minimum: str) -> bool:
    """Whether a cycle's duration is shorter than ``minimum`` (both ISO 8601 durations)."""
    anchor = clocks.parse_instant("2001-02-01T00:00:00+00:00")  # a month at its shortest (28 days)
    return clocks.add_duration(anchor, duration) < clocks.add_duration(anchor, minimum)


def _refuse_short_cycle(task: Task, duration: str) -> None:
    """A computed cycle the lint could not see: at run time it stops the case, not the server."""
    minimum = engine_of(task.workflow).limits.min_cycle
    if cycle_too_short(duration, minimum):
        message = f"a repeating timer every {duration} is shorter than the minimum {minimum}"
        raise ExpressionError(message, element_id=str(task.task_spec.bpmn_id), problem="short_cycle")


def parse_cycle(text: str, now: datetime) -> tuple[int, datetime, str]:
    """``R3/P1M`` → (3, now + 1 month, "P1M"); ``R/2026-01-01T09:00+02:00/P1M`` → (-1, that date, "P1M")."""
    parts = text.strip().upper().split("/")
    if len(parts) not in (2, 3) or not parts[0].startswith("R"):
        raise ExpressionError(f"not an ISO 8601 repeating interval: {text!r} (example: R/P1M)", text)
    count = parts[0][1:]
    if count and not count.isdigit():
        raise ExpressionError(f"bad repetition count in {text!r}", text)
    cycles = int(count) if count else -1
    duration = parts[-1]
    if not clocks.is_duration(duration):
        raise ExpressionError(f"a repeating interval needs a duration last: {text!r}", text)
    try:
        start = clocks.parse_instant(parts[1]) if len(parts) == 3 else clocks.add_duration(now, duration)
    except (ValueError, OverflowError):
        raise ExpressionError(
            f"not an ISO 8601 repeating interval: {text!r} (example: R/P1M)", text
        ) from None
    return cycles, start, duration


TIMER_CLASSES: dict[type, type] = {
    TimeDateEventDefinition: CasepathTimeDate,
    DurationTimerEventDefinition: CasepathDuration,
    CycleTimerEventDefinition: CasepathCycle,
}


def use_casepath_timers(spec: Any) -> None:
    for task_spec in spec.task_specs.values():
        definition = getattr(task_spec, "event_definition", None)
        definitions = [definition]
        if isinstance(definition, MultipleEventDefinition):
            definitions = list(definition.event_definitions)
        for item in definitions:
            replacement = TIMER_CLASSES.get(type(item))
            if replacement is not None:
                item.__class__ = replacement


def literal_timer(text: str) -> str:
    """``text`` when it is a literal ISO 8601 duration or repeating interval (P30D, R/P1M), else ""."""
    value = text.strip()
    if clocks.is_duration(value) or is_cycle_literal(value):
        return value
    return ""


def check_timer(text: str) -> None:
    """A timer is a literal ISO 8601 date, duration or repeating interval, or a safe expression.

    A literal, or an expression that is only a quoted literal (``"P7D"``), must be one Casepath runs:
    a fraction (``PT0.25S``) or a text that is neither a duration, a date nor a cycle is refused here,
    at import, rather than when a case reaches the timer.
    """
    value = (text or "").strip()
    if not value:
        raise ExpressionError("timer has no expression", value)
    literal = quoted_literal(value)
    problem = clocks.duration_problem(literal) or clocks.duration_problem(literal.rpartition("/")[2])
    if problem:
        raise ExpressionError(problem, value)
    if clocks.is_duration(literal) or is_iso_instant(literal):
        return
    if is_cycle_literal(literal):
        parse_cycle(literal, clocks.parse_instant("2000-01-01"))
        return
    if literal != value:
        raise ExpressionError(f"{NOT_A_TIME} (examples: P7D, 2026-01-31, R/P1M)", value)
    check_expression(value)


NOT_A_TIME = "the timer gives neither an ISO 8601 duration in whole units, a date nor a repeating interval"


def quoted_literal(text: str) -> str:
    """The text of an expression that is only a quoted string (``"P7D"`` → ``P7D``); else ``text``."""
    value = text.strip()
    if value[:1] not in ("'", '"'):
        return value
    try:
        tree = parse_expression(value)
    except ExpressionError:
        return value
    return tree.value.strip() if isinstance(tree, ast.Constant) and isinstance(tree.value, str) else value
