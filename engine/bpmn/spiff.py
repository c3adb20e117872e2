"""Running a workflow: the small verbs the case work uses (start, run, complete, signal, retry) and what
it reads back (ready human tasks, waiting timers, the path taken).

Errors inside the library become one :class:`RuntimeFailure` that names the element and a problem
code, and every run is bounded by the case's run limits.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition as BaseSignal
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import SignalEventDefinition
from SpiffWorkflow.task import Task, TaskState

from engine import clock as clocks
from engine.bpmn import events
from engine.bpmn.event_subprocesses import settle, waiting_start_events
from engine.bpmn.parsing import ParsedPathway, first_line
from engine.bpmn.properties import (
    EventProperties,
    TaskProperties,
    event_properties,
    raw_of_spec,
    task_properties,
)
from engine.bpmn.run_problems import problem_text
from engine.bpmn.script_engine import SafeScriptEngine, engine_of
from engine.bpmn.timers import CasepathCycle, literal_timer
from engine.clock import Clock
from engine.config import RunLimits
from engine.errors import ExpressionError


class Workflow(Protocol):
    """A running workflow as code outside engine/bpmn names it: a handle passed back to this module's verbs.

    Only this package imports SpiffWorkflow; a ``BpmnWorkflow`` is one. Naming a method keeps anything
    else (a bool, None) from passing for a workflow.
    """

    def is_completed(self) -> bool: ...


class RuntimeFailure(Exception):
    """An error inside the workflow, for an incident: where it happened and the kind of problem.

    ``problem`` is a code from :mod:`engine.bpmn.run_problems` and ``message`` its value-free text: both may
    be shown to people who may not read the case. ``detail`` is the error as raised, which may quote
    case data: only the simulation (scenario data, for the pathway's author) shows it; it is never stored.
    """

    def __init__(
        self, element_id: str, problem: str, expression: str = "", workflow: Any = None, detail: str = ""
    ) -> None:
        super().__init__(problem_text(problem))
        self.element_id = element_id
        self.problem = problem
        self.message = problem_text(problem)
        self.expression = expression
        self.workflow = workflow  # the state where it stopped, stored with the incident
        self.detail = detail or self.message


def start(
    pathway: ParsedPathway, data: Mapping[str, Any], clock: Clock, limits: RunLimits | None = None
) -> BpmnWorkflow:
    """A new workflow with ``data`` in its start task, run until it needs people or time."""
    engine = SafeScriptEngine(clock, limits, pathway.event_subprocesses)
    workflow = BpmnWorkflow(pathway.spec, pathway.subprocess_specs, script_engine=engine)
    start_task = workflow.task_tree
    start_task.data.update(dict(data))
    for child in start_task.children:
        child.data.update(dict(data))
    return run(workflow)


def run(workflow: BpmnWorkflow) -> BpmnWorkflow:
    """Fire due timers and run engine steps until only people or time can move the workflow on.

    The run is bounded by the work budget of the workflow's limits: more engine steps or more time
    than allowed stop it where it is (an endless loop parks the case instead of holding its lock).
    """
    engine = engine_of(workflow)
    budget = _Budget(engine.limits)
    with _failures_of(workflow):
        workflow.refresh_timers()
        workflow.do_engine_steps(did_complete_task=budget.spend)
        # BPMN's event sub-processes (see the module), and conditions that wait on the case data: re-read
        # after each step that may have changed them
        while settle(workflow, engine.event_subprocesses) or events.refresh_conditions(
            workflow, workflow_data(workflow)
        ):
            workflow.do_engine_steps(did_complete_task=budget.spend)
    uncaught = events.uncaught_error(workflow)
    if uncaught is not None:
        raise RuntimeFailure(uncaught[0], "uncaught_error", uncaught[1], workflow)
    return workflow


class _OverBudget(Exception):
    def __init__(self, problem: str, element_id: str, detail: str) -> None:
        super().__init__(detail)
        self.problem, self.element_id, self.detail = problem, element_id, detail


class _Budget:
    """Counts the engine steps of one run and the time they take; raises _OverBudget past either."""

    def __init__(self, limits: RunLimits) -> None:
        self.steps_left = limits.max_steps
        self.limits = limits
        self.until = time.monotonic() + limits.max_seconds

    def spend(self, task: Task) -> None:
        self.steps_left -= 1
        element = str(task.task_spec.bpmn_id or task.task_spec.name)
        if self.steps_left < 0:
            raise _OverBudget("step_budget", element, f"more than {self.limits.max_steps} engine steps")
        if time.monotonic() > self.until:
            raise _OverBudget("time_budget", element, f"longer than {self.limits.max_seconds} s")


@contextmanager
def _failures_of(workflow: BpmnWorkflow, element_id: str = "") -> Iterator[None]:
    """Errors raised inside the library become one RuntimeFailure carrying the workflow."""
    try:
        yield
    except ExpressionError as error:
        element = element_id or error.element_id or _erroring_element(workflow)
        raise RuntimeFailure(element, error.problem, error.expression, workflow, error.message) from error
    except _OverBudget as error:
        raise RuntimeFailure(error.element_id, error.problem, "", workflow, error.detail) from error
    except (WorkflowException, SpiffWorkflowException) as error:
        raise _failure(workflow, error) from error
    except RecursionError as error:  # the library predicts loops recursively; a bad loop must not crash
        raise RuntimeFailure(element_id or "process", "loop", "", workflow) from error
    except _UNEXPECTED as error:  # whatever else the library lets through parks the case, never a traceback
        element = element_id or _erroring_element(workflow)
        raise RuntimeFailure(element, "engine", "", workflow, first_line(error)) from error


failures_of = _failures_of  # for the other verbs of this package (engine/bpmn/repair.py)
_UNEXPECTED = (ValueError, TypeError, KeyError, AttributeError, IndexError, LookupError, ArithmeticError)


def _failure(workflow: BpmnWorkflow, error: SpiffWorkflowException) -> RuntimeFailure:
    task = getattr(error, "task", None)
    element = str((task.task_spec.bpmn_id if task is not None else _erroring_element(workflow)) or "process")
    cause = _expression_error_in(error)
    if cause is not None:
        return RuntimeFailure(element, cause.problem, cause.expression, workflow, cause.message)
    return RuntimeFailure(element, "engine", "", workflow, first_line(error))


def _expression_error_in(error: BaseException) -> ExpressionError | None:
    """The ExpressionError the library wrapped (it chains implicitly, so look at the context too)."""
    seen: BaseException | None = error
    for _ in range(10):
        if seen is None or isinstance(seen, ExpressionError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _erroring_element(workflow: BpmnWorkflow) -> str:
    for task in workflow.get_tasks(state=TaskState.ERROR):
        return str(task.task_spec.bpmn_id or task.task_spec.name)
    return "process"


def retry(workflow: BpmnWorkflow) -> BpmnWorkflow:
    """Put tasks that failed back to ready and run again (after a coordinator fixed the cause)."""
    for task in workflow.get_tasks(state=TaskState.ERROR):
        task._set_state(TaskState.READY)
    return run(workflow)


@dataclass(frozen=True)
class HumanTask:
    """A ready user task as Casepath sees it."""

    id: str
    element_id: str
    name: str
    lane: str | None
    properties: TaskProperties
    data: dict[str, Any]


PREFILL_PREFIX = "prefill_"


def prefill_of(task: HumanTask) -> dict[str, Any]:
    """What the pathway pre-fills in a task's form: ``prefill_<form key>`` in its data, set by a preScript.

    A form has one ``default``; a value that differs per pathway (the final report goes to ОЗД from a
    child's case, to ДСП from an adult's) is set on the user task, e.g.
    ``prefill_final_report = {"recipient": "ozd"}``. The task opens with it as its draft, so the page
    shows it filled in; the simulation uses it over the form's defaults. Only simple values are taken.
    """
    value = task.data.get(PREFILL_PREFIX + task.properties.form) if task.properties.form else None
    if not isinstance(value, dict):
        return {}
    return {
        str(name): item
        for name, item in value.items()
        if isinstance(name, str) and isinstance(item, str | int | float | bool) and len(str(item)) <= 1000
    }


def ready_human_tasks(workflow: BpmnWorkflow) -> list[HumanTask]:
    tasks = workflow.get_tasks(state=TaskState.READY, manual=True)
    return [_human(task) for task in tasks]


def _human(task: Task) -> HumanTask:
    spec = task.task_spec
    return HumanTask(
        id=str(task.id),
        element_id=str(spec.bpmn_id),
        name=str(spec.bpmn_name or spec.bpmn_id),
        lane=spec.lane,
        properties=task_properties(raw_of_spec(spec)),
        data=task.data,
    )


def event_properties_of(parsed: ParsedPathway, element_id: str) -> EventProperties:
    """The properties of one event of a pathway (a timer's ``notify`` when it fires)."""
    for spec in [parsed.spec, *parsed.subprocess_specs.values()]:
        for task_spec in spec.task_specs.values():
            if getattr(task_spec, "bpmn_id", None) == element_id:
                return event_properties(raw_of_spec(task_spec))
    return EventProperties()


def find_human_task(workflow: BpmnWorkflow, task_id: str) -> Task | None:
    try:
        task = workflow.get_task_from_id(UUID(task_id))
    except (ValueError, KeyError, TypeError, WorkflowException):
        return None
    if task is None or not task.task_spec.manual or task.state != TaskState.READY:
        return None
    return task


def data_of(task: Task) -> dict[str, Any]:
    """A task's data: what the case knows when the task is done."""
    return dict(task.data)


def complete(workflow: BpmnWorkflow, task_id: str, data: Mapping[str, Any]) -> BpmnWorkflow:
    """Complete a ready user task with form data, then run the workflow on."""
    task = find_human_task(workflow, task_id)
    if task is None:
        raise KeyError(task_id)
    task.data.update(dict(data))
    with _failures_of(workflow, str(task.task_spec.bpmn_id)):
        task.run()
    return run(workflow)


def signal(workflow: BpmnWorkflow, name: str, payload: Mapping[str, Any] | None = None) -> bool:
    """Deliver a named signal (e.g. ``risk_changed``); False when nothing in the workflow waits for it."""
    event = BpmnEvent(SignalEventDefinition(name), dict(payload or {}))
    try:
        workflow.send_event(event)
    except WorkflowException:
        return False
    run(workflow)
    return True


def waited_signals(workflow: BpmnWorkflow) -> list[str]:
    """Names of the signals the workflow is waiting for right now."""
    names: list[str] = []
    for task in _waiting_catch_tasks(workflow):
        for definition, _owner in events.catch_definitions(task.task_spec):
            if isinstance(definition, BaseSignal) and definition.name not in names:
                names.append(str(definition.name))
    for definition in waiting_start_events(workflow):
        if isinstance(definition, BaseSignal) and definition.name not in names:
            names.append(str(definition.name))
    return names


def deliver_message(workflow: BpmnWorkflow, name: str, payload: Mapping[str, Any]) -> bool:
    """Deliver a named message with its payload; False when nothing in the workflow waits for it.

    The case is the correlation: a message goes to the one case its URL names. Correlation keys the
    diagram declares are computed from the payload by the safe evaluator, as the library expects.
    """
    waiting = [item for item in events.waiting_messages(workflow) if item.name == name]
    if not waiting:
        return False
    definition = waiting[0].definition
    with _failures_of(workflow, waiting[0].element_id):
        correlations = definition.calculate_correlations(
            workflow.script_engine, definition.correlation_properties, dict(payload)
        )
        event = BpmnEvent(type(definition)(name), dict(payload), correlations)
        try:
            workflow.send_event(event)
        except WorkflowException:
            return False
    run(workflow)
    return True


@dataclass(frozen=True)
class WaitingTimer:
    """A timer the workflow waits on: element, name and the instant it falls due (UTC)."""

    element_id: str
    name: str
    due_at: datetime
    cycle: bool
    properties: EventProperties
    written: str = ""  # the timer as the diagram writes it, when it is a literal (P30D, R/P1M)


def waiting_timers(workflow: BpmnWorkflow) -> list[WaitingTimer]:
    """Every waiting timer with its due time, evaluating the due time now if it was not yet (a timer
    whose value is no time raises RuntimeFailure, which parks the case)."""
    with _failures_of(workflow):
        return _waiting_timers(workflow)


def _waiting_timers(workflow: BpmnWorkflow) -> list[WaitingTimer]:
    found: list[WaitingTimer] = []
    for task in _waiting_catch_tasks(workflow):
        # a timer behind an event-based gateway waits in the gateway's task, declared by its branch
        for definition, spec in events.catch_definitions(task.task_spec):
            if isinstance(definition, TimerEventDefinition):
                _add_timer(found, task, definition, spec)
    return found


def _add_timer(found: list[WaitingTimer], task: Task, definition: TimerEventDefinition, spec: Any) -> None:
    due = _due_of(task, definition)
    if due is not None:
        name = str(spec.bpmn_name or spec.bpmn_id)
        cycle = isinstance(definition, CasepathCycle)
        properties = event_properties(raw_of_spec(spec))
        written = literal_timer(definition.expression or "")
        found.append(WaitingTimer(str(spec.bpmn_id), name, due, cycle, properties, written))


def _waiting_catch_tasks(workflow: BpmnWorkflow) -> Iterator[Task]:
    return events.waiting_catch_tasks(workflow)


def _due_of(task: Task, definition: TimerEventDefinition) -> datetime | None:
    value = task._get_internal_data("event_value")
    if isinstance(definition, CasepathCycle):
        if value is None and task._get_internal_data("event_fired", False):
            return None  # its cycle has run out: reading its due time must not start it again
        if value is None:
            definition.cycle_complete(task)
            value = task._get_internal_data("event_value")
        if not isinstance(value, dict) or value.get("cycles") == 0:
            return None  # a cycle that has run out has no next occurrence
        return datetime.fromisoformat(value["next"])
    if value is None:
        definition.has_fired(task)
        value = task._get_internal_data("event_value")
    return clocks.parse_instant(value) if isinstance(value, str) else None


def is_completed(workflow: BpmnWorkflow) -> bool:
    return bool(workflow.is_completed())


def completed_elements(workflow: BpmnWorkflow) -> list[str]:
    """Element ids of completed tasks, in completion order: the path the case has taken."""
    done = [t for t in workflow.get_tasks(state=TaskState.COMPLETED) if t.task_spec.bpmn_id]
    done.sort(key=lambda t: t.last_state_change)
    return [str(t.task_spec.bpmn_id) for t in done]


def start_data(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The data the workflow started with (the intake's), as given to :func:`start`."""
    return dict(workflow.task_tree.data)


def workflow_data(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The data of the most recently completed task: what the case knows so far."""
    last = workflow.last_task
    return dict(last.data) if last is not None else {}
