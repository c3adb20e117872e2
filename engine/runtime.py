"""The SpiffWorkflow boundary: the only module in Casepath that imports SpiffWorkflow.

Small verbs over a workflow: parse, start, run, ready human tasks, complete, waiting timers, refresh
timers, signal, dump and load. What Casepath changes in the library, and why:

* expressions go to :mod:`engine.expressions` through a replaced *environment* (two library paths call
  ``environment.evaluate`` directly, so replacing only the script engine would leave a hole);
* timers use Casepath's calendar arithmetic and the injected clock instead of SpiffWorkflow's own month
  lengths and ``datetime.now()``;
* a workflow's spec is stored once per pathway version; a case keeps only its state, and loading
  reuses an already-built spec object.
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from uuid import UUID

from lxml import etree
from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.event_definition import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition as BaseSignal
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.specs.event_definitions import SignalEventDefinition
from SpiffWorkflow.task import Task, TaskState

from engine import clock as clocks
from engine.clock import Clock
from engine.config import RunLimits
from engine.errors import ExpressionError, PathwayInvalid, Problem
from engine.expressions import Evaluator, check_expression, check_script
from engine.run_problems import problem_text

SERIALIZER_VERSION = "casepath-1/spiff-1.5"


# --- expressions -------------------------------------------------------------------------------


class SafeEnvironment(BasePythonScriptEngineEnvironment):  # type: ignore[misc]
    """Routes every expression and script through Casepath's interpreter, never the builtin one."""

    def __init__(self, evaluator: Evaluator) -> None:
        super().__init__({})
        self.evaluator = evaluator

    def evaluate(self, expression: str, context: Mapping[str, Any], external_context: Any = None) -> Any:
        names = {**(external_context or {}), **context}
        return self.evaluator.evaluate(expression, names)

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        self.evaluator.execute(script, context)
        return True

    def call_service(self, context: Any, **kwargs: Any) -> Any:
        raise ExpressionError("service tasks are not supported by Casepath")


class SafeScriptEngine(PythonScriptEngine):  # type: ignore[misc]
    """A script engine bound to a clock and to the case's run limits, whose environment is the safe one."""

    def __init__(self, clock: Clock, limits: RunLimits | None = None) -> None:
        self.clock = clock
        self.limits = limits or RunLimits()
        super().__init__(environment=SafeEnvironment(Evaluator(clock)))

    def validate(self, expression: str) -> None:
        check_expression(expression)

    def now(self) -> datetime:
        return self.clock.now()


# --- timers --------------------------------------------------------------------------------------


def _engine_of(workflow: BpmnWorkflow) -> SafeScriptEngine:
    engine = workflow.top_workflow.script_engine
    if not isinstance(engine, SafeScriptEngine):  # a workflow must never run on the default engine
        raise ExpressionError("workflow is not bound to Casepath's script engine")
    return engine


def _engine_clock(task: Task) -> Clock:
    return _engine_of(task.workflow).clock


def timer_value(task: Task, expression: str) -> str:
    """A timer's text: a bare ISO 8601 literal as written, otherwise a safe expression's result."""
    text = expression.strip()
    if clocks.is_duration(text) or (text.upper().startswith("R") and "/" in text) or _is_iso_instant(text):
        return text
    value = task.workflow.script_engine.evaluate(task, text)
    if isinstance(value, datetime):
        return value.isoformat()
    if not isinstance(value, str):
        raise ExpressionError(f"timer expression must give a duration or a date, not {value!r}", text)
    return value.strip()


def _is_iso_instant(text: str) -> bool:
    try:
        clocks.parse_instant(text)
    except ValueError:
        return False
    return True


def timer_due(task: Task, expression: str) -> datetime:
    """When a date or duration timer falls due, computed once when the timer starts waiting."""
    value = timer_value(task, expression)
    if clocks.is_duration(value):
        return clocks.add_duration(_engine_clock(task).now(), value)
    return clocks.parse_instant(value)


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
    if clocks.parse_instant(event_value) <= _engine_clock(task).now():
        task._set_internal_data(event_fired=True)
    return bool(task._get_internal_data("event_fired", False))


class CasepathCycle(CycleTimerEventDefinition):  # type: ignore[misc]
    """``R[n]/duration`` (from when the timer starts) or ``R[n]/start/duration``, months by the calendar."""

    def cycle_complete(self, my_task: Task) -> bool:
        state = my_task._get_internal_data("event_value")
        now = _engine_clock(my_task).now()
        if state is None:
            cycles, start, duration = _computed_cycle(my_task, self.expression, now)
            _refuse_short_cycle(my_task, duration)
            state = {"cycles": cycles, "next": start.isoformat(), "duration": duration, "n": 0}
        ready = False
        if state["cycles"] != 0:
            due = datetime.fromisoformat(state["next"])
            if due <= now:
                state["n"] += 1
                state["next"] = clocks.add_duration(due, state["duration"]).isoformat()
                state["cycles"] -= 1
                ready = True
            my_task._set_internal_data(event_value=state)
        else:
            my_task.internal_data.pop("event_value", None)
            my_task.internal_data["event_fired"] = True
        return ready


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
    minimum = _engine_of(task.workflow).limits.min_cycle
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
    start = clocks.parse_instant(parts[1]) if len(parts) == 3 else clocks.add_duration(now, duration)
    return cycles, start, duration


_TIMER_CLASSES: dict[type, type] = {
    TimeDateEventDefinition: CasepathTimeDate,
    DurationTimerEventDefinition: CasepathDuration,
    CycleTimerEventDefinition: CasepathCycle,
}


def _use_casepath_timers(spec: Any) -> None:
    for task_spec in spec.task_specs.values():
        definition = getattr(task_spec, "event_definition", None)
        definitions = [definition]
        if isinstance(definition, MultipleEventDefinition):
            definitions = list(definition.event_definitions)
        for item in definitions:
            replacement = _TIMER_CLASSES.get(type(item))
            if replacement is not None:
                item.__class__ = replacement


# --- parsing ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedPathway:
    """Executable specs built from one BPMN document (and its DMN decisions)."""

    process_id: str
    spec: Any
    subprocess_specs: dict[str, Any]


def process_ids(root: etree._Element) -> list[str]:
    """Ids of the executable processes in a document, in document order."""
    ns = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
    found = root.xpath("//bpmn:process[@isExecutable='true']/@id", namespaces=ns)
    return [str(value) for value in found]


def parse_pathway(
    root: etree._Element, process_id: str | None = None, decisions: list[etree._Element] | None = None
) -> ParsedPathway:
    """Build SpiffWorkflow specs from an already safely parsed tree; library errors become problems."""
    ids = process_ids(root)
    if process_id is None:
        if not ids:
            raise PathwayInvalid("not executable: no process is marked executable")
        process_id = ids[0]
    parser = SpiffBpmnParser()
    try:
        parser.add_bpmn_xml(root, filename=process_id)
        for decision in decisions or []:
            parser.add_dmn_xml(decision)
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except ValidationException as error:
        element = getattr(error, "id", None) or process_id
        raise PathwayInvalid(str(error), [Problem(str(element), _first_line(error))]) from error
    except (SpiffWorkflowException, KeyError, ValueError, TypeError, AttributeError, IndexError) as error:
        raise PathwayInvalid(str(error), [Problem(process_id, _first_line(error))]) from error
    for item in [spec, *subprocess_specs.values()]:
        _use_casepath_timers(item)
    return ParsedPathway(process_id, spec, subprocess_specs)


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or error.__class__.__name__
    return text.splitlines()[0][:300]


# --- serialisation --------------------------------------------------------------------------------


class _StateConverter(BpmnWorkflowConverter):  # type: ignore[misc]
    """Restores a workflow's state onto spec objects that were built once per pathway version."""

    def restore_state(self, dct: dict[str, Any], spec: Any, subprocess_specs: dict[str, Any]) -> BpmnWorkflow:
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow

    def state_to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        """The library's dict of a workflow, less the specs: they are shared and stored once per version.

        The same dict as ``BpmnWorkflowConverter.to_dict`` without ``spec`` and ``subprocess_specs``,
        which converting would cost as much as the rest of the state and be thrown away.
        """
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        dct["typename"] = self.registry.typenames[self.target_class]
        return dct


def _build_serializer() -> tuple[BpmnWorkflowSerializer, _StateConverter]:
    config = dict(SPIFF_CONFIG)
    for replacement in _TIMER_CLASSES.values():
        config[replacement] = TimerConditionalEventDefinitionConverter
    registry = BpmnWorkflowSerializer.configure(config)
    converter = _StateConverter(BpmnWorkflow, registry)
    return BpmnWorkflowSerializer(registry), converter


_SERIALIZER, _STATE = _build_serializer()


def dump_spec(parsed: ParsedPathway) -> str:
    """The specs as JSON, stored once per pathway version."""
    return json.dumps(
        {
            "process_id": parsed.process_id,
            "spec": _SERIALIZER.to_dict(parsed.spec),
            "subprocess_specs": {k: _SERIALIZER.to_dict(v) for k, v in parsed.subprocess_specs.items()},
        },
        separators=(",", ":"),
    )


@lru_cache(maxsize=64)
def load_spec(spec_json: str) -> ParsedPathway:
    """Specs rebuilt from JSON; cached, since specs are immutable and shared by every case."""
    dct = json.loads(spec_json)
    spec = _SERIALIZER.from_dict(dct["spec"])
    subprocess_specs = {k: _SERIALIZER.from_dict(v) for k, v in dct["subprocess_specs"].items()}
    return ParsedPathway(dct["process_id"], spec, subprocess_specs)


def dump_state(workflow: BpmnWorkflow) -> bytes:
    """A workflow's state without its spec, as compressed JSON: what a case stores.

    Compression matters: a finished six-month case holds a few dozen tasks whose JSON is mostly
    repeated keys and ids; zlib takes it from ~16 KB to a few KB per case.
    """
    registry = _SERIALIZER.registry
    registry._encoder_mode = True
    try:
        dct = _STATE.state_to_dict(workflow)
    finally:
        registry._encoder_mode = False
    # The library's encoder converts what its registry knows (events, datetimes) wherever it sits.
    text = json.dumps(dct, separators=(",", ":"), cls=_SERIALIZER._encoder_cls)
    return zlib.compress(text.encode("utf-8"), 6)


def load_state(
    state: bytes, pathway: ParsedPathway, clock: Clock, limits: RunLimits | None = None
) -> BpmnWorkflow:
    """A workflow restored on the shared spec, bound to the safe script engine and the run limits."""
    dct = json.loads(zlib.decompress(state))
    workflow = _STATE.restore_state(dct, pathway.spec, pathway.subprocess_specs)
    workflow.script_engine = SafeScriptEngine(clock, limits)
    return workflow


# --- running ---------------------------------------------------------------------------------------


class RuntimeFailure(Exception):
    """An error inside the workflow, for an incident: where it happened and the kind of problem.

    ``problem`` is a code from :mod:`engine.run_problems` and ``message`` its value-free text: both may
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
    engine = SafeScriptEngine(clock, limits)
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
    budget = _Budget(_engine_of(workflow).limits)
    with _failures_of(workflow):
        workflow.refresh_timers()
        workflow.do_engine_steps(did_complete_task=budget.spend)
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


def _failure(workflow: BpmnWorkflow, error: SpiffWorkflowException) -> RuntimeFailure:
    task = getattr(error, "task", None)
    element = str((task.task_spec.bpmn_id if task is not None else _erroring_element(workflow)) or "process")
    cause = _expression_error_in(error)
    if cause is not None:
        return RuntimeFailure(element, cause.problem, cause.expression, workflow, cause.message)
    return RuntimeFailure(element, "engine", "", workflow, _first_line(error))


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
    properties: dict[str, str]
    data: dict[str, Any]


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
        properties=_properties(spec),
        data=task.data,
    )


def _properties(spec: Any) -> dict[str, str]:
    extensions = getattr(spec, "extensions", None) or {}
    return dict(extensions.get("properties", {}))


def element_properties(parsed: ParsedPathway, element_id: str) -> dict[str, str]:
    """The ``spiffworkflow:properties`` of one element of a pathway (e.g. a timer's ``notify``)."""
    for spec in [parsed.spec, *parsed.subprocess_specs.values()]:
        for task_spec in spec.task_specs.values():
            if getattr(task_spec, "bpmn_id", None) == element_id:
                return _properties(task_spec)
    return {}


def find_human_task(workflow: BpmnWorkflow, task_id: str) -> Task | None:
    try:
        task = workflow.get_task_from_id(UUID(task_id))
    except (ValueError, KeyError, TypeError, WorkflowException):
        return None
    if task is None or not task.task_spec.manual or task.state != TaskState.READY:
        return None
    return task


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
        definition = task.task_spec.event_definition
        if isinstance(definition, BaseSignal) and definition.name not in names:
            names.append(str(definition.name))
    return names


@dataclass(frozen=True)
class WaitingTimer:
    """A timer the workflow waits on: element, name and the instant it falls due (UTC)."""

    element_id: str
    name: str
    due_at: datetime
    cycle: bool
    properties: dict[str, str]


def waiting_timers(workflow: BpmnWorkflow) -> list[WaitingTimer]:
    """Every waiting timer with its due time, evaluating the due time now if it was not yet."""
    found = []
    for task in _waiting_catch_tasks(workflow):
        definition = task.task_spec.event_definition
        if not isinstance(definition, TimerEventDefinition):
            continue
        due = _due_of(task, definition)
        if due is not None:
            spec = task.task_spec
            name = str(spec.bpmn_name or spec.bpmn_id)
            cycle = isinstance(definition, CasepathCycle)
            found.append(WaitingTimer(str(spec.bpmn_id), name, due, cycle, _properties(spec)))
    return found


def _waiting_catch_tasks(workflow: BpmnWorkflow) -> Iterator[Task]:
    for task in workflow.get_tasks(state=TaskState.WAITING):
        if isinstance(task.task_spec, CatchingEvent):
            yield task


def _due_of(task: Task, definition: TimerEventDefinition) -> datetime | None:
    value = task._get_internal_data("event_value")
    if isinstance(definition, CasepathCycle):
        if value is None:
            definition.cycle_complete(task)
            value = task._get_internal_data("event_value")
        return datetime.fromisoformat(value["next"]) if isinstance(value, dict) else None
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


def workflow_data(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The data of the most recently completed task: what the case knows so far."""
    last = workflow.last_task
    return dict(last.data) if last is not None else {}


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
    for condition in _conditions_of(task_spec):
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
    if not (text.upper().startswith("R") and "/" in text):
        return ""  # an expression: known only at run time
    try:
        return parse_cycle(text, clocks.parse_instant("2000-01-01"))[2]
    except ExpressionError:
        return ""  # malformed: check_scripts_of reports it


def _conditions_of(task_spec: Any) -> Iterator[str]:
    for condition, _target in getattr(task_spec, "cond_task_specs", []) or []:
        text = condition.args[0] if condition is not None and getattr(condition, "args", None) else condition
        if isinstance(text, str) and text:
            yield text
    for attr in ("condition", "completion_condition"):
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


def check_timer(text: str) -> None:
    """A timer is a literal ISO 8601 date, duration or repeating interval, or a safe expression."""
    value = (text or "").strip()
    if not value:
        raise ExpressionError("timer has no expression", value)
    if clocks.is_duration(value) or _is_iso_instant(value):
        return
    if value.upper().startswith("R") and "/" in value:
        parse_cycle(value, clocks.parse_instant("2000-01-01"))
        return
    check_expression(value)
