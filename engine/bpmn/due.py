"""When a human task is due and where its timers count from: a duration from the date the law names.

A pathway says ``due`` (a duration, or an expression giving a date) and ``due_from`` (the anchor,
see :data:`~engine.bpmn.properties.ANCHORS`): the needs assessment's breach is 20 days from the
admission, not from when someone opened the task. ``opened`` (or no ``due_from``) keeps the old
meaning: the moment the task opened or the timer started waiting. An anchor the case has no date in
is an error of the run (the case parks as an incident naming the element), never a silent "now".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from engine import clock as clocks
from engine.bpmn.expressions.evaluator import Evaluator
from engine.bpmn.properties import OPENED, TaskProperties
from engine.errors import ExpressionError


def anchor_instant(anchor: str, data: Mapping[str, Any], default: datetime) -> datetime:
    """The instant ``anchor`` names in the case data; ``default`` for ``opened`` or no anchor."""
    if not anchor or anchor == OPENED:
        return default
    value = data.get(anchor)
    if isinstance(value, datetime):
        return clocks.as_utc(value)
    if isinstance(value, date):
        return clocks.parse_instant(value.isoformat())
    if isinstance(value, str) and value.strip():
        try:
            return clocks.parse_instant(value)
        except ValueError:
            pass
    message = f"the deadline counts from {anchor}, but the case has no date in '{anchor}'"
    raise ExpressionError(message, anchor, problem="due_date")


def task_due(
    properties: TaskProperties, data: Mapping[str, Any], opened_at: datetime, evaluator: Evaluator
) -> datetime | None:
    """A human task's due instant, computed once when it opens; None when the task has no ``due``.

    Raises ExpressionError (problem ``due_date``) when the expression fails, gives no date, or the
    anchor has no date in the case.
    """
    due = properties.due.strip()
    if not due:
        return None
    if clocks.is_duration(due):
        try:
            return clocks.add_duration(anchor_instant(properties.due_from, data, opened_at), due)
        except (ValueError, OverflowError) as error:  # a part too long, a date past the calendar
            raise ExpressionError("the due date is out of range", due, problem="due_date") from error
    try:
        value = evaluator.evaluate(due, data)
        return clocks.parse_instant(str(value))
    except ExpressionError as error:
        raise ExpressionError(error.message, due, problem="due_date") from error
    except (ValueError, OverflowError) as error:
        raise ExpressionError("the due expression gave no date", due, problem="due_date") from error
