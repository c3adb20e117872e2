"""What stopped a case: the kinds of problem an incident may name, as stable codes.

An incident is read by coordinators who may not open the case (the incidents page, the API, the
CLI), so it says *where* the pathway stopped (the element), *what* it was evaluating (the expression,
text from the diagram) and the *kind* of problem, and never a value from the case. The detailed error
text, which may quote case data ("int() cannot read '…' as a whole number"), is not stored at all.

The texts below are English; the web app translates them through its catalogues by code
(``web/labels.py``, ``INCIDENT_PROBLEMS``).
"""

from __future__ import annotations

PROBLEMS: dict[str, str] = {
    "expression": "An expression or script failed while the case ran.",
    "unknown_name": "An expression uses a name the case does not have (yet).",
    "unreadable_value": "An expression could not convert a value of the case (to a number or a date).",
    "wrong_kind": "An expression got a value of the wrong kind (text, number, list, date).",
    "missing_item": "An expression looked up a key or a position that the value does not have.",
    "too_large": "An expression produced a value that is too large.",
    "division_by_zero": "An expression divided by zero.",
    "engine": "The workflow engine could not continue at this element.",
    "loop": "The diagram loops without a gateway.",
    "step_budget": "The run took more steps than allowed: the diagram probably loops without end.",
    "time_budget": "The run took longer than allowed.",
    "task_cap": "The case created more tasks in a day than allowed.",
    "notification_cap": "The case sent more notifications in a day than allowed.",
    "due_date": "The due date of a task could not be computed from its expression.",
    "short_cycle": "A repeating timer repeats more often than allowed.",
    "uncaught_error": "The pathway threw an error that no boundary event or event sub-process catches.",
    "stuck": "Only an event that may never come could move the case on: no task and no deadline waits.",
    "operation_unbound": "A service task was reached where no Casepath operation can run.",
    "unknown_operation": "A service task names an operation that Casepath does not have.",
    "operation_input": "The operation lacks case data it needs (see the service task's operation).",
    "no_such_centre": "The centre chosen for the linked case does not exist.",
    "wrong_centre_kind": "The centre chosen for the linked case is not a crisis centre.",
    "decision_not_unique": (
        "More than one rule of a UNIQUE decision table matched the case: correct the table."
    ),
    "decision_conflict": (
        "Rules of an ANY decision table matched the case with different outputs: correct the table."
    ),
}
DEFAULT = "expression"


def problem_text(code: str) -> str:
    """The English text of a problem; an unknown code reads as a failed expression."""
    return PROBLEMS.get(code, PROBLEMS[DEFAULT])
