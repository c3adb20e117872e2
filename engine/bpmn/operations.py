"""Service tasks: the closed list of Casepath operations a pathway may call, and how a run reaches them.

A diagram never runs code of its own. A ``bpmn:serviceTask`` names one operation of :data:`OPERATIONS`
in its ``operation`` property (declared in :mod:`engine.bpmn.properties`, checked by the lint), and the
operation itself lives in the case work (``engine/casework/operations.py``), which binds a handler for
the length of a run (:func:`bound`). The simulation binds one that records what would happen. Without
a handler the service task stops the case as an incident; so does an operation that fails, with one of
the value-free problem codes of :mod:`engine.bpmn.run_problems`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol


def N_(text: str) -> str:
    return text


@dataclass(frozen=True)
class Operation:
    """One operation of the closed list: its name, what it does, and the properties it needs."""

    name: str
    help: str
    needs: tuple[str, ...] = ()  # properties of the service task that must be set


OPEN_LINKED_CASE = "open_linked_case"
NOTIFY_ROLE = "notify_role"
NOTIFY_OUTSIDE_BODY = "notify_outside_body"
OPERATIONS: tuple[Operation, ...] = (
    Operation(
        OPEN_LINKED_CASE,
        N_(
            "Opens the child's case at the children's crisis centre chosen in the case data (child_centre, "
            "child_name, child_birth_date) and links the two cases."
        ),
    ),
    Operation(NOTIFY_ROLE, N_("Tells the roles in notify, in the case's centre."), ("notify",)),
    Operation(
        NOTIFY_OUTSIDE_BODY,
        N_("Records a notice to the outside body in outside_body, without personal data."),
        ("outside_body",),
    ),
)
BY_NAME: dict[str, Operation] = {operation.name: operation for operation in OPERATIONS}
# Who a notice may go to outside the centre (notify_outside_body).
OUTSIDE_BODIES = ("dsp", "ozd", "police", "coordination_mechanism", "prosecutor")


def operation_problem(prop: str, value: str) -> str:
    """The lint's word on a service task's ``operation`` property: "" when it is one of the closed list."""
    if value in BY_NAME:
        return ""
    known = ", ".join(operation.name for operation in OPERATIONS)
    if not value.strip():
        return f"not executable: service task names no operation (property '{prop}'; one of: {known})"
    return f"not executable: '{value}' is not a Casepath operation (property '{prop}'; one of: {known})"


def outside_body_problem(prop: str, value: str) -> str:
    if not value or value in OUTSIDE_BODIES:
        return ""
    return f"{prop} '{value}' is not an outside body Casepath knows (one of: {', '.join(OUTSIDE_BODIES)})"


def missing_needs(operation: str, raw: Mapping[str, str]) -> list[str]:
    """The properties the named operation needs that the service task leaves empty, as lint problems."""
    called = BY_NAME.get(operation)
    needs = [name for name in (called.needs if called else ()) if not raw.get(name, "").strip()]
    return [f"operation '{operation}' needs the property '{name}'" for name in needs]


@dataclass(frozen=True)
class OperationCall:
    """What a service task asks for: the operation, its element, its properties and the case data."""

    operation: str
    element_id: str
    name: str
    properties: Mapping[str, str]
    data: Mapping[str, Any]


class OperationFailed(Exception):
    """An operation that could not be done; ``problem`` is a value-free code of run_problems."""

    def __init__(self, problem: str, detail: str = "") -> None:
        super().__init__(detail or problem)
        self.problem = problem
        self.detail = detail or problem


class Operations(Protocol):
    """Whoever carries the operations out for a run: the case work, or the simulation."""

    def run(self, call: OperationCall) -> Mapping[str, Any]: ...


_BOUND: ContextVar[Operations | None] = ContextVar("casepath_operations", default=None)


@contextmanager
def bound(handler: Operations) -> Iterator[None]:
    """Service tasks reached while this block runs are carried out by ``handler``."""
    token = _BOUND.set(handler)
    try:
        yield
    finally:
        _BOUND.reset(token)


def current() -> Operations | None:
    return _BOUND.get()


# What crosses from one case to the case it opens (open_linked_case), and nothing else: the child's
# name and birth date, and the centre chosen. Never the centre's address, the perpetrator, notes.
LINKED_CASE_FIELDS = ("child_centre", "child_name", "child_birth_date")


@dataclass(frozen=True)
class LinkedCaseInput:
    centre_code: str
    name: str
    birth_date: str  # ISO date: the child's case runs the child pathway only for a minor


def linked_case_input(data: Mapping[str, Any]) -> LinkedCaseInput:
    """The explicit data an open_linked_case takes from the case; OperationFailed names what is missing."""
    centre = str(data.get("child_centre") or "").strip()
    name = str(data.get("child_name") or "").strip()
    born = str(data.get("child_birth_date") or "").strip()
    given = (("child_centre", centre), ("child_name", name), ("child_birth_date", born))
    missing = [label for label, value in given if not value]
    if missing:
        raise OperationFailed("operation_input", f"missing {', '.join(missing)}")
    if len(centre) > 40 or len(name) > 200 or len(born) > 10:
        raise OperationFailed("operation_input", "a value is too long")
    return LinkedCaseInput(centre, name, born)


class Rehearsal:
    """The simulation's handler: checks what an operation would take from the case and records the call.

    Nothing outside the simulated case exists, so nothing is opened or sent; the calls are kept for the
    simulation to show.
    """

    def __init__(self) -> None:
        self.calls: list[OperationCall] = []

    def run(self, call: OperationCall) -> Mapping[str, Any]:
        if call.operation not in BY_NAME:
            raise OperationFailed("unknown_operation", call.operation)
        self.calls.append(call)
        if call.operation == OPEN_LINKED_CASE:
            wanted = linked_case_input(call.data)
            return {"centre": wanted.centre_code, "rehearsed": True}
        return {"rehearsed": True}
