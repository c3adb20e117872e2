"""Repairing a running workflow by hand: where its token may move, moving it, holding and shifting timers.

Only SpiffWorkflow's own verbs change the task tree: ``reset_from_task_id`` takes a case back to a step
it has done (the step opens again, the tasks after it are dropped), and running a ready task
(``run_task_from_id``) skips it, so the token goes forward along the path the diagram predicts. A move
is offered only where those verbs land safely:

* **back** to a user or manual task that was completed on the way to where the case waits now (an
  ancestor of a waiting task, or of the task an error stopped, across sub-process boundaries);
* **forward** to a user or manual task the library predicts after a task that is ready now.

A forward move that the diagram cannot make by skipping tasks alone (a timer, a message or a gateway
on the way chooses otherwise) fails with :class:`MoveRefused` and the caller keeps the stored state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.task import Task, TaskState

from engine import clock as clocks
from engine.bpmn import events, spiff
from engine.bpmn.properties import STARTED, event_properties, raw_of_spec
from engine.bpmn.timers import CasepathCycle, literal_timer

MAX_SKIPS = 50  # a forward move skips at most this many tasks
AHEAD = TaskState.PREDICTED_MASK | TaskState.FUTURE  # tasks the library expects to come


class MoveRefused(Exception):
    """The token cannot be moved there: ``reason`` is a code (``not_offered``, ``not_reached``,
    ``error_remains``, ``would_stop``, ``not_waiting``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class MoveTarget:
    element_id: str
    name: str
    direction: str  # back | forward


def _element(task: Task) -> str:
    return str(task.task_spec.bpmn_id or "")


def _name(task: Task) -> str:
    spec = task.task_spec
    return str(spec.bpmn_name or spec.bpmn_id)


def _ancestors(workflow: BpmnWorkflow, task: Task) -> Iterator[Task]:
    """The task's ancestors, through the sub-process tasks that contain it up to the top process."""
    current: Task | None = task
    while current is not None:
        parent = current.parent
        if parent is None and current.workflow.parent_task_id is not None:
            parent = workflow.get_task_from_id(current.workflow.parent_task_id)
        if parent is not None:
            yield parent
        current = parent


def _is_manual(task: Task) -> bool:
    return bool(task.task_spec.manual) and bool(task.task_spec.bpmn_id)


def move_targets(workflow: BpmnWorkflow) -> list[MoveTarget]:
    """The user and manual tasks the token may be moved to now, back ones first (latest done first)."""
    ready = workflow.get_tasks(state=TaskState.READY, manual=True)
    ready_elements = {_element(task) for task in ready}
    # where the case is: its ready tasks, what waits, and the task an error stopped (an incident)
    waiting = [*ready, *workflow.get_tasks(state=TaskState.WAITING | TaskState.ERROR)]
    back: dict[str, Task] = {}
    for task in waiting:
        for ancestor in _ancestors(workflow, task):
            element = _element(ancestor)
            if (
                _is_manual(ancestor)
                and ancestor.state == TaskState.COMPLETED
                and element not in ready_elements
            ):
                known = back.get(element)
                if known is None or ancestor.last_state_change > known.last_state_change:
                    back[element] = ancestor
    found = [
        MoveTarget(element, _name(task), "back")
        for element, task in sorted(back.items(), key=lambda item: -item[1].last_state_change)
    ]
    forward: dict[str, Task] = {}
    ready_ids = {task.id for task in ready}
    for task in workflow.get_tasks(state=AHEAD, manual=True):
        element = _element(task)
        if element in ready_elements or element in back or element in forward or not _is_manual(task):
            continue
        if any(ancestor.id in ready_ids for ancestor in _ancestors(workflow, task)):
            forward[element] = task
    found += [MoveTarget(element, _name(task), "forward") for element, task in forward.items()]
    return found


def move_to(workflow: BpmnWorkflow, element_id: str) -> list[str]:
    """Move the token to ``element_id`` (one of :func:`move_targets`); returns the skipped elements.

    Back: the latest completed instance is reset with the data the case has now (nothing entered since
    is lost). Forward: the ready task on the way is run without new data, and the workflow runs on,
    until the target is ready. Raises MoveRefused, or RuntimeFailure when a step on the way fails.
    """
    target = next((t for t in move_targets(workflow) if t.element_id == element_id), None)
    if target is None:
        raise MoveRefused("not_offered")
    if target.direction == "back":
        _move_back(workflow, element_id)
        skipped: list[str] = []
    else:
        skipped = _move_forward(workflow, element_id)
    if not any(_element(task) == element_id for task in workflow.get_tasks(state=TaskState.READY)):
        raise MoveRefused("not_reached")
    if workflow.get_tasks(state=TaskState.ERROR):  # a case stopped by an error, moved beside the error
        raise MoveRefused("error_remains")
    return skipped


def _move_back(workflow: BpmnWorkflow, element_id: str) -> None:
    done = [
        task
        for task in workflow.get_tasks(state=TaskState.COMPLETED, manual=True)
        if _element(task) == element_id
    ]
    task = max(done, key=lambda item: item.last_state_change)
    data: dict[str, Any] = dict(task.parent.data) if task.parent is not None else {}
    data.update(spiff.workflow_data(workflow))
    for ready in workflow.get_tasks(state=TaskState.READY, manual=True):
        data.update(ready.data)
    with spiff.failures_of(workflow, element_id):
        workflow.reset_from_task_id(task.id, data=data)
        _forget_dropped_events(workflow)
    spiff.run(workflow)


def _forget_dropped_events(workflow: BpmnWorkflow) -> None:
    """The library's reset drops the waiting events after the step from the tree but leaves them in its
    event manager, where the next timer refresh would touch them: remove them there too."""
    manager = workflow.event_manager
    for task_id, task in list(manager.tasks.items()):
        if task_id not in task.workflow.tasks:
            manager.remove_task(task)


def _move_forward(workflow: BpmnWorkflow, element_id: str) -> list[str]:
    skipped: list[str] = []
    for _ in range(MAX_SKIPS):
        ready = workflow.get_tasks(state=TaskState.READY, manual=True)
        if any(_element(task) == element_id for task in ready):
            return skipped
        ahead = {
            ancestor.id
            for task in workflow.get_tasks(state=AHEAD, manual=True)
            if _element(task) == element_id
            for ancestor in _ancestors(workflow, task)
        }
        on_the_way = [task for task in ready if task.id in ahead]
        if not on_the_way:
            raise MoveRefused("not_reached")
        step = on_the_way[0]
        skipped.append(_element(step))
        with spiff.failures_of(workflow, _element(step)):
            workflow.run_task_from_id(step.id)
        spiff.run(workflow)
    raise MoveRefused("not_reached")


# --- timers ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShiftedTimer:
    element_id: str
    before: datetime
    after: datetime


def timer_anchor(spec: Any) -> str:
    """What a waiting timer counts from, as its deadline row records it (``started`` when unsaid)."""
    return event_properties(raw_of_spec(spec)).due_from or STARTED.name


def shift_timers(
    workflow: BpmnWorkflow, by: timedelta, shifts: Callable[[str, str], bool]
) -> list[ShiftedTimer]:
    """Move the waiting timers that ``shifts(written, anchor)`` chooses later by ``by`` (the time the
    case was held); the others keep their due instant. A cycle moves its next occurrence and the base
    the later ones are counted from."""
    moved: list[ShiftedTimer] = []
    for task in events.waiting_catch_tasks(workflow):
        for definition, spec in events.catch_definitions(task.task_spec):
            if not isinstance(definition, TimerEventDefinition):
                continue
            if not shifts(literal_timer(definition.expression or ""), timer_anchor(spec)):
                continue
            value = task._get_internal_data("event_value")
            if isinstance(definition, CasepathCycle) and isinstance(value, dict) and "next" in value:
                before = datetime.fromisoformat(value["next"])
                value["next"] = (before + by).isoformat()
                if "base" in value:
                    value["base"] = (datetime.fromisoformat(value["base"]) + by).isoformat()
                task._set_internal_data(event_value=value)
            elif isinstance(value, str):
                before = clocks.parse_instant(value)
                task._set_internal_data(event_value=(before + by).isoformat())
            else:
                continue
            moved.append(ShiftedTimer(str(spec.bpmn_id), before, before + by))
    return moved


def cancel_timer(workflow: BpmnWorkflow, element_id: str) -> None:
    """Cancel the waiting timer ``element_id``: it will not fire; what waits beside it goes on.

    A timer that is all the case waits for is refused (``would_stop``): the case would stop for good.
    A timer of an event-based gateway is refused too (the gateway waits for its events together).
    """
    waiting = [
        task
        for task in events.waiting_catch_tasks(workflow)
        if _element(task) == element_id
        and any(isinstance(d, TimerEventDefinition) for d, _ in events.catch_definitions(task.task_spec))
    ]
    if not waiting:
        raise MoveRefused("not_waiting")
    for task in waiting:
        task.cancel()
    spiff.run(workflow)
    if not (
        spiff.ready_human_tasks(workflow)
        or spiff.waiting_timers(workflow)
        or events.waiting_messages(workflow)
        or spiff.is_completed(workflow)
    ):
        raise MoveRefused("would_stop")
