"""Event sub-processes as BPMN means them, on top of SpiffWorkflow 3.2.

The library starts an event sub-process when its start event fires, but treats every one as
non-interrupting and keeps its parent waiting for one that never started. After each engine step
Casepath settles both:

* an *interrupting* event sub-process that has started cancels everything else in its parent (the
  main flow and the other event sub-processes), so only its own flow runs on;
* when the parent's own flow has finished, event sub-processes that have not started are withdrawn
  (their timers leave the ``deadline`` table), so the parent completes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.task import Task, TaskState

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_INTERRUPTED = "casepath_interrupted"


def event_subprocesses_of(root: etree._Element) -> dict[str, bool]:
    """Each event sub-process of a document by id, with whether its start event interrupts."""
    found: dict[str, bool] = {}
    for node in root.iter(f"{{{BPMN_NS}}}subProcess"):
        if node.get("triggeredByEvent") != "true":
            continue
        starts = node.findall(f"{{{BPMN_NS}}}startEvent")
        interrupting = any(start.get("isInterrupting", "true") != "false" for start in starts)
        found[str(node.get("id"))] = interrupting
    return found


def settle(workflow: BpmnWorkflow, event_subprocesses: Mapping[str, bool]) -> bool:
    """Interrupt and withdraw as the module doc says; True when anything changed (run the engine again)."""
    if not event_subprocesses:
        return False
    changed = False
    for scope in [workflow, *workflow.subprocesses.values()]:
        changed |= _settle_scope(workflow, scope, event_subprocesses)
    return changed


def _settle_scope(top: BpmnWorkflow, scope: Any, event_subprocesses: Mapping[str, bool]) -> bool:
    root = scope.task_tree
    if root is None:
        return False
    branches = list(root.children)
    handlers = [task for task in branches if task.task_spec.bpmn_id in event_subprocesses]
    for handler in handlers:
        if handler.has_state(TaskState.FINISHED_MASK) or handler._get_internal_data(_INTERRUPTED):
            continue
        if event_subprocesses[str(handler.task_spec.bpmn_id)] and _has_started(top, handler):
            handler._set_internal_data(**{_INTERRUPTED: True})
            for other in branches:
                if other is not handler:
                    other.cancel()
            return True
    main = [task for task in branches if task not in handlers]
    if main and all(_finished(task) for task in main):
        waiting = [h for h in handlers if not (h.has_state(TaskState.FINISHED_MASK) or _has_started(top, h))]
        for handler in waiting:
            handler.cancel()
        for join in scope.get_tasks(state=TaskState.WAITING):
            if _is_end(join):  # it waited for the withdrawn branches too: let it look again
                join.task_spec._update(join)
        return bool(waiting)
    return False


def _has_started(top: BpmnWorkflow, handler: Task) -> bool:
    """Whether the event sub-process's start event has fired (its sub-workflow ran past its start)."""
    inner = top.subprocesses.get(handler.id)
    if inner is None or inner.task_tree is None:
        return False
    return any(child.state == TaskState.COMPLETED for child in inner.task_tree.children)


def _finished(branch: Task) -> bool:
    """A branch of the main flow is finished when nothing in it is left but its end joins."""
    return all(_is_end(task) or task.has_state(TaskState.FINISHED_MASK) for task in _walk(branch))


def _is_end(task: Task) -> bool:
    name = str(task.task_spec.name)
    return name == "End" or name.endswith(".EndJoin")


def _walk(task: Task) -> Iterator[Task]:
    yield task
    for child in task.children:
        yield from _walk(child)


def waiting_start_events(workflow: BpmnWorkflow) -> Iterator[Any]:
    """The event definitions of the event sub-processes that could start now (signal, message …).

    The library keeps them on the start task of each running (sub-)process rather than as waiting
    tasks, so they are looked up there; a scope already interrupted waits for nothing more.
    """
    for scope in [workflow, *workflow.subprocesses.values()]:
        root = scope.task_tree
        if root is None or not scope.get_tasks(state=TaskState.NOT_FINISHED_MASK):
            continue
        if any(child._get_internal_data(_INTERRUPTED) for child in root.children):
            continue
        for name in getattr(root.task_spec, "trigger_specs", []):
            spec = workflow.subprocess_specs.get(name)
            for start in getattr(spec, "bpmn_start_events", None) or []:
                yield start.event_definition
