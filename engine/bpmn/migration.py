"""Moving a running workflow onto another version of its pathway: the tasks keep their ids and data.

SpiffWorkflow's own ``migrate_workflow`` (``bpmn/util/diff.py``) resets every ready and waiting task,
which gives them new ids and forgets when a timer falls due: a case's inbox rows (claims, drafts)
would no longer match its tasks. Here, as spiff-arena does it, each task is re-bound to the task spec of
the same name (or the name a mapping gives) in the target version, and the state is then stored and
reloaded on the target specs, so nothing of the source version is left referenced:

* an open element (a ready task, a waiting event on the path, a running sub-process) that the target
  lacks blocks the move (:class:`Unmovable`), unless the mapping names its new element;
* a waiting boundary event the target lacks is dropped, with what it predicted;
* a finished task the target lacks leaves the history (its children hang from its parent), and a
  predicted one is dropped: the target predicts its own path when the tasks before it complete;
* a waiting timer whose definition changed (its expression, its kind or what it counts from) is
  re-computed from its anchor under the target's rule (:func:`recompute_timer`); one that did not
  change keeps its due date.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.task import Task, TaskState

from engine import clock as clocks
from engine.bpmn import events, state
from engine.bpmn.due import anchor_instant
from engine.bpmn.parsing import ParsedPathway
from engine.bpmn.properties import event_properties, raw_of_spec
from engine.bpmn.timers import CasepathCycle, parse_cycle, timer_value
from engine.clock import Clock
from engine.config import RunLimits
from engine.errors import ExpressionError

OPEN = TaskState.READY | TaskState.STARTED | TaskState.WAITING


class Unmovable(Exception):
    """The workflow cannot move: ``element_id`` is open in it and the target has no such element."""

    def __init__(self, element_id: str, name: str) -> None:
        super().__init__(f"{name or element_id} is open and the new version has no such step")
        self.element_id, self.name = element_id, name


@dataclass(frozen=True)
class Position:
    """An element the workflow is at: a ready task, a waiting event, a running sub-process."""

    element_id: str
    name: str
    kind: str  # task | timer | event | subprocess
    boundary: bool


@dataclass(frozen=True)
class TimerRule:
    """A timer as a version writes it: what it is, its expression and what it counts from."""

    kind: str
    expression: str
    due_from: str


@dataclass
class Rebound:
    """The workflow on the target specs, and what moving it did."""

    workflow: BpmnWorkflow
    dropped: list[str] = field(default_factory=list)  # element ids of waiting events dropped
    moved: list[str] = field(default_factory=list)  # element ids of timers re-computed


def _workflows(workflow: BpmnWorkflow) -> list[Any]:
    return [workflow, *workflow.subprocesses.values()]


def positions(workflow: BpmnWorkflow) -> list[Position]:
    """Where the workflow is, in the order its tasks were created (internal joins left out)."""
    found: list[Position] = []
    for task in workflow.get_tasks(state=OPEN):
        spec = task.task_spec
        if not getattr(spec, "bpmn_id", None):
            continue
        kind = (
            "task"
            if spec.manual
            else "subprocess"
            if task.workflow.top_workflow.subprocesses.get(task.id)
            else ""
        )
        if not kind:
            timers = [d for d, _ in events.catch_definitions(spec) if isinstance(d, TimerEventDefinition)]
            kind = "timer" if timers else "event"
        found.append(
            Position(
                str(spec.bpmn_id), str(spec.bpmn_name or spec.bpmn_id), kind, isinstance(spec, BoundaryEvent)
            )
        )
    return found


def timer_rules(parsed: ParsedPathway) -> dict[str, TimerRule]:
    """Every timer of a version by element id."""
    rules: dict[str, TimerRule] = {}
    for spec in [parsed.spec, *parsed.subprocess_specs.values()]:
        for task_spec in spec.task_specs.values():
            for definition, owner in events.catch_definitions(task_spec):
                if isinstance(definition, TimerEventDefinition) and getattr(owner, "bpmn_id", None):
                    due_from = event_properties(raw_of_spec(owner)).due_from
                    kind = type(definition).__name__
                    rules[str(owner.bpmn_id)] = TimerRule(kind, str(definition.expression or ""), due_from)
    return rules


def elements(parsed: ParsedPathway) -> dict[str, str]:
    """Element id → name of every element of a version."""
    found: dict[str, str] = {}
    for spec in [parsed.spec, *parsed.subprocess_specs.values()]:
        for task_spec in spec.task_specs.values():
            if getattr(task_spec, "bpmn_id", None):
                found[str(task_spec.bpmn_id)] = str(task_spec.bpmn_name or task_spec.bpmn_id)
    return found


def _target_name(name: str, mapping: Mapping[str, str]) -> str:
    """The spec name in the target: the mapping's, also for the specs the library derives from an
    element (``Task_X.BoundaryEventJoin``)."""
    if name in mapping:
        return mapping[name]
    head, dot, tail = name.partition(".")
    return f"{mapping[head]}.{tail}" if dot and head in mapping else name


def rebind(
    workflow: BpmnWorkflow,
    target: ParsedPathway,
    mapping: Mapping[str, str],
    changed_timers: set[str],
    clock: Clock,
    limits: RunLimits | None = None,
) -> Rebound:
    """The workflow re-bound to ``target`` (see the module); raises Unmovable. ``workflow`` is changed
    on the way: use only the one returned."""
    dropped: list[str] = []
    for sub in _workflows(workflow):
        specs = target.spec if sub is workflow else target.subprocess_specs.get(sub.spec.name)
        if specs is None:
            owner = workflow.get_task_from_id(sub.parent_task_id) if hasattr(sub, "parent_task_id") else None
            spec = owner.task_spec if owner is not None else sub.spec
            raise Unmovable(
                str(getattr(spec, "bpmn_id", sub.spec.name)), str(getattr(spec, "bpmn_name", "") or "")
            )
        for task in list(sub.tasks.values()):
            if task.id not in sub.tasks:
                continue  # dropped with an ancestor
            new_spec = specs.task_specs.get(_target_name(task.task_spec.name, mapping))
            if new_spec is not None:
                task.task_spec = new_spec
            else:
                _leave(workflow, sub, task, dropped)
        sub.spec = specs
    workflow.subprocess_specs = target.subprocess_specs
    if workflow.last_task is not None and workflow.last_task.id not in workflow.tasks:
        workflow.last_task = None
    moved = state.load_state(state.dump_state(workflow), state.SERIALIZER_VERSION, target, clock, limits)
    recomputed = [element for element in changed_timers if recompute_timers(moved, element, clock.now())]
    return Rebound(moved, sorted(set(dropped)), sorted(recomputed))


def _leave(top: BpmnWorkflow, sub: Any, task: Task, dropped: list[str]) -> None:
    """A task whose element the target lacks: pruned from the history, dropped, or Unmovable."""
    spec = task.task_spec
    element = getattr(spec, "bpmn_id", None)
    if task.has_state(TaskState.FINISHED_MASK):
        _prune(sub, task)
    elif task.has_state(TaskState.PREDICTED_MASK) or not element:
        _drop(top, sub, task)
    elif task.state == TaskState.WAITING and isinstance(spec, BoundaryEvent):
        dropped.append(str(element))
        _drop(top, sub, task)
    else:
        raise Unmovable(str(element), str(spec.bpmn_name or ""))


def _prune(sub: Any, task: Task) -> None:
    """Take a finished task out of the tree; its children hang from its parent (data stays materialised:
    the state is dumped afresh, each task's data as a delta from its new parent)."""
    parent = task.parent
    for child in task.children:
        child._parent = parent.id if parent is not None else None
    if parent is not None:
        at = parent._children.index(task.id)
        parent._children[at : at + 1] = list(task._children)
    elif task._children:
        sub.task_tree = task.children[0]
    del sub.tasks[task.id]


def _drop(top: BpmnWorkflow, sub: Any, task: Task) -> None:
    for item in list(_subtree(task)):
        top.subprocesses.pop(item.id, None)
        sub.tasks.pop(item.id, None)
    parent = task.parent
    if parent is not None and task.id in parent._children:
        parent._children.remove(task.id)


def _subtree(task: Task) -> Iterator[Task]:
    yield task
    for child in task.children:
        if child is not None:
            yield from _subtree(child)


def recompute_timers(workflow: BpmnWorkflow, element_id: str, now: datetime) -> bool:
    """Re-compute the due time of the waiting timer ``element_id`` from its anchor under the rule of the
    spec it is bound to; whether one was waiting. A cycle goes on from its first occurrence after ``now``
    (counted from its anchor: the n-th at anchor + n x duration), never firing the ones passed."""
    found = False
    for task in events.waiting_catch_tasks(workflow):
        for definition, owner in events.catch_definitions(task.task_spec):
            if isinstance(definition, TimerEventDefinition) and str(owner.bpmn_id) == element_id:
                _recompute(task, definition, owner, now)
                found = True
    return found


def _recompute(task: Task, definition: TimerEventDefinition, owner: Any, now: datetime) -> None:
    started = datetime.fromtimestamp(task.last_state_change, UTC)
    anchor = event_properties(raw_of_spec(owner)).due_from
    try:
        base = anchor_instant(anchor, task.data, started)
        value = timer_value(task, str(definition.expression or ""))
        task.internal_data.pop("event_fired", None)
        if isinstance(definition, CasepathCycle):
            task._set_internal_data(event_value=_cycle_state(value, base, now))
        elif clocks.is_duration(value):
            task._set_internal_data(event_value=clocks.add_duration(base, value).isoformat())
        else:
            task._set_internal_data(event_value=clocks.parse_instant(value).isoformat())
    except (ValueError, OverflowError) as error:
        raise ExpressionError(
            "the timer gives no time", str(definition.expression), problem="wrong_kind"
        ) from error


def _cycle_state(value: str, base: datetime, now: datetime) -> dict[str, Any]:
    cycles, start, duration = parse_cycle(value, base)
    offset = 1 if start == clocks.add_duration(base, duration) else 0
    first = base if offset else start
    step = clocks.parse_duration(duration)
    n, due = 0, start
    while due <= now and cycles != 0:
        n, cycles = n + 1, cycles - 1
        due = clocks.add_duration(first, step.times(n + offset))
    return {
        "cycles": cycles,
        "next": due.isoformat(),
        "duration": duration,
        "n": n,
        "base": first.isoformat(),
        "offset": offset,
    }
