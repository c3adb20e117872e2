"""Events beyond timers and signals: messages that wait for people, what a pathway throws, conditions.

* A **message** catch (receive task, intermediate or boundary catch event, event-based gateway branch,
  event sub-process start) waits for a named message; the case's API delivers it with a payload, which
  the catching element keeps under the message's name in the case data (or under its
  ``spiffworkflow:messageVariable``). The case is the correlation: the URL names it.
* What a pathway **throws** (send tasks, message and escalation throw events, error end events) is
  collected once after each run, so the case work can notify the roles the element names.
* An **error** nothing catches stops the case (:func:`uncaught_error`), an incident naming its code.
* A **conditional** catch re-reads the case data each run (after every task completion and message)
  and fires when its condition, evaluated by the safe evaluator, is true.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.conditional import ConditionalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import (
    ErrorEventDefinition,
    EscalationEventDefinition,
)
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent, ThrowingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import EventBasedGateway
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.task import Task, TaskState

from engine.bpmn.properties import (
    EventProperties,
    MessageProperties,
    event_properties,
    message_properties,
    raw_of_spec,
)
from engine.errors import ExpressionError

THROWN_FLAG = "casepath_thrown"  # set on a throwing task once the case work has seen it


def catch_definitions(spec: Any) -> list[tuple[Any, Any]]:
    """(event definition, the element that declares it) of a catching spec.

    An event-based gateway holds its branches' definitions (the library moves them there, in the
    order of its outgoing flows); an event with several definitions declares them all itself.
    """
    definition = getattr(spec, "event_definition", None)
    if isinstance(definition, MultipleEventDefinition):
        if isinstance(spec, EventBasedGateway):
            return list(zip(definition.event_definitions, spec.outputs, strict=False))
        return [(item, spec) for item in definition.event_definitions]
    return [(definition, spec)] if definition is not None else []


def waiting_catch_tasks(workflow: BpmnWorkflow) -> Iterator[Task]:
    for task in workflow.get_tasks(state=TaskState.WAITING):
        if isinstance(task.task_spec, CatchingEvent):
            yield task


@dataclass(frozen=True)
class WaitingMessage:
    """A message the workflow waits for: its name, the element that waits and that element's properties."""

    name: str
    element_id: str
    label: str  # the element's name (Bulgarian); properties.name_en is the English one
    properties: MessageProperties
    definition: Any


def waiting_messages(workflow: BpmnWorkflow) -> list[WaitingMessage]:
    found: list[WaitingMessage] = []
    for task in waiting_catch_tasks(workflow):
        for definition, owner in catch_definitions(task.task_spec):
            if isinstance(definition, MessageEventDefinition):
                label = str(owner.bpmn_name or definition.name)
                props = message_properties(raw_of_spec(owner))
                found.append(
                    WaitingMessage(str(definition.name), str(owner.bpmn_id), label, props, definition)
                )
    return found


class CasepathCondition(ConditionalEventDefinition):  # type: ignore[misc]
    """A condition on case data that may not exist yet: a name the case does not have reads as "not yet".

    ``risk == "high"`` waits quietly until a form sets ``risk``; any other failure of the expression
    still stops the case as an incident.
    """

    def has_fired(self, my_task: Task) -> bool:
        try:
            return bool(super().has_fired(my_task))
        except Exception as error:
            if _unknown_name(error):
                my_task._set_internal_data(has_fired=False)
                return False
            raise


def _unknown_name(error: BaseException) -> bool:
    seen: BaseException | None = error
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, ExpressionError):
            return seen.problem == "unknown_name"
        seen = seen.__cause__ or seen.__context__ or getattr(seen, "exception", None)
    return False


def use_casepath_events(spec: Any) -> None:
    """After parsing: a caught message keeps its payload under the message's name unless the diagram
    names a variable; a condition is a :class:`CasepathCondition`."""
    for task_spec in spec.task_specs.values():
        for definition, _owner in catch_definitions(task_spec):
            if (
                isinstance(definition, MessageEventDefinition)
                and getattr(definition, "message_var", 0) is None
            ):
                definition.message_var = definition.name
            if type(definition) is ConditionalEventDefinition:
                definition.__class__ = CasepathCondition


@dataclass(frozen=True)
class Thrown:
    """Something the pathway threw in the last run: kind (message, escalation, error), name or code."""

    kind: str
    element_id: str
    name: str
    label: str
    properties: EventProperties


_THROWN_KINDS = ((MessageEventDefinition, "message"), (EscalationEventDefinition, "escalation"),
                 (ErrorEventDefinition, "error"))  # fmt: skip


def collect_thrown(workflow: BpmnWorkflow) -> list[Thrown]:
    """Throws completed since the last call (each task is reported once), oldest first."""
    done = [
        task
        for task in workflow.get_tasks(state=TaskState.COMPLETED)
        if isinstance(task.task_spec, ThrowingEvent) and not task._get_internal_data(THROWN_FLAG, False)
    ]
    done.sort(key=lambda task: task.last_state_change)
    found: list[Thrown] = []
    for task in done:
        task._set_internal_data(**{THROWN_FLAG: True})
        spec, definition = task.task_spec, task.task_spec.event_definition
        for kind_class, kind in _THROWN_KINDS:
            if isinstance(definition, kind_class):
                name = str(getattr(definition, "code", None) or definition.name or "")
                label = str(spec.bpmn_name or name or spec.bpmn_id)
                props = event_properties(raw_of_spec(spec))
                found.append(Thrown(kind, str(spec.bpmn_id), name, label, props))
    return found


def uncaught_error(workflow: BpmnWorkflow) -> tuple[str, str] | None:
    """(element, code) of an error thrown in the last run that nothing caught; other events are dropped.

    The library keeps the events nothing inside the workflow caught; an escalation nobody catches is
    not an error in BPMN (its ``notify`` roles were told), a message nobody inside catches went out.
    """
    errors = [
        event for event in workflow.get_events() if isinstance(event.event_definition, ErrorEventDefinition)
    ]
    if not errors:
        return None
    definition = errors[0].event_definition
    code = str(definition.code or definition.name or "")
    throwers = [
        task
        for task in workflow.get_tasks(state=TaskState.COMPLETED)
        if isinstance(task.task_spec, ThrowingEvent) and task.task_spec.event_definition == definition
    ]
    throwers.sort(key=lambda task: task.last_state_change)
    element = str(throwers[-1].task_spec.bpmn_id) if throwers else "process"
    return element, code


def starts_on_a_timer(spec: Any) -> bool:
    """Whether the process (not a sub-process) starts at a timer start event: a periodic pathway."""
    return any(
        isinstance(task_spec, StartEvent) and isinstance(task_spec.event_definition, TimerEventDefinition)
        for task_spec in spec.task_specs.values()
    )


def refresh_conditions(workflow: BpmnWorkflow, case_data: dict[str, Any]) -> bool:
    """Re-evaluate every waiting conditional event on the case data as it is now; True if one fired."""
    fired = False
    for task in list(waiting_catch_tasks(workflow)):
        definitions = [item for item, _ in catch_definitions(task.task_spec)]
        if not any(isinstance(item, ConditionalEventDefinition) for item in definitions):
            continue
        task.data.update(case_data)
        if isinstance(task.task_spec.event_definition, MultipleEventDefinition):
            _catch_conditions_that_hold(task, task.task_spec.event_definition)
        task.task_spec._update(task)
        fired = fired or task.state != TaskState.WAITING
    return fired


def _catch_conditions_that_hold(task: Task, multiple: MultipleEventDefinition) -> None:
    """The library's multiple event (an event-based gateway's branches) reads only its timers by itself:
    a condition among them is caught here when it holds, as the library catches a due timer."""
    seen = list(task.internal_data.get("seen_events", []))
    for item in multiple.event_definitions:
        already = any(event.event_definition is item for event in seen)
        if isinstance(item, ConditionalEventDefinition) and not already and item.has_fired(task):
            seen.append(BpmnEvent(item))
    task._set_internal_data(seen_events=seen)
