"""Simulation: run a pathway with the real runtime on a virtual clock, without a database.

User tasks are completed with the given data or their forms' defaults; when nothing is ready the clock
jumps to the earliest waiting timer. Coordinators use it (``casepath pathways simulate``) to see a
pathway's dates before deploying it; the suite uses it to walk every shipped pathway end to end.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.bpmn import parsing, spiff
from engine.clock import FrozenClock, isoformat_local
from engine.pathways.forms import FormCatalog

DEFAULT_START = {
    "case_number": "SIM-0001",
    "legal_basis": "referral",
    "target_group": "domestic_violence",
    "is_child": False,
    "age": 30,
    "has_referral": True,
}


@dataclass(frozen=True)
class Step:
    at: datetime
    kind: str  # start | task | timer | signal | end | incident | stuck
    element_id: str
    name: str
    detail: str = ""

    def line(self) -> str:
        text = f"{isoformat_local(self.at)}  {self.kind:<8} {self.element_id}  {self.name}"
        return f"{text}  {self.detail}" if self.detail else text


@dataclass
class SimulationResult:
    steps: list[Step] = field(default_factory=list)
    completed: bool = False
    incident: spiff.RuntimeFailure | None = None

    def first(self, element_id: str) -> Step | None:
        return next((step for step in self.steps if step.element_id == element_id), None)


def form_data_for(task: spiff.HumanTask, forms: FormCatalog, data: Mapping[str, Any]) -> dict[str, Any]:
    """A form's defaults, overridden by top-level fields of ``data`` it has, then by data[element or form]."""
    form_key = task.properties.form
    values: dict[str, Any] = {}
    fields: set[str] = set()
    if form_key and forms.exists(form_key):
        form = forms.get(form_key)
        values = form.defaults()
        fields = set(form.schema.get("properties", {}))
    values.update({k: v for k, v in data.items() if k in fields})
    for key in (form_key, task.element_id):
        specific = data.get(key)
        if isinstance(specific, dict):
            values.update(specific)
    return values


def simulate(
    pathway: parsing.ParsedPathway,
    forms: FormCatalog,
    start_at: datetime,
    data: Mapping[str, Any] | None = None,
    max_steps: int = 2000,
) -> SimulationResult:
    given = dict(data or {})
    clock = FrozenClock(start_at)
    start_data: dict[str, Any] = {**DEFAULT_START, "admitted_at": isoformat_local(start_at)}
    start_data.update({k: v for k, v in given.items() if k in DEFAULT_START})
    result = SimulationResult()
    result.steps.append(
        Step(clock.now(), "start", pathway.process_id, "admission", str(start_data["legal_basis"]))
    )
    try:
        workflow = spiff.start(pathway, start_data, clock)
        for _ in range(max_steps):
            if spiff.is_completed(workflow):
                result.completed = True
                result.steps.append(Step(clock.now(), "end", pathway.process_id, "completed"))
                return result
            if not _advance(workflow, clock, forms, given, result):
                result.steps.append(
                    Step(clock.now(), "stuck", pathway.process_id, "nothing can move the case on")
                )
                return result
    except spiff.RuntimeFailure as failure:
        result.incident = failure
        result.steps.append(
            Step(clock.now(), "incident", failure.element_id, failure.detail, failure.expression)
        )
        return result
    result.steps.append(
        Step(clock.now(), "stuck", pathway.process_id, f"still running after {max_steps} steps")
    )
    return result


def _advance(
    workflow: Any, clock: FrozenClock, forms: FormCatalog, data: dict[str, Any], result: SimulationResult
) -> bool:
    ready = spiff.ready_human_tasks(workflow)
    if ready:
        task = ready[0]
        values = form_data_for(task, forms, data)
        result.steps.append(Step(clock.now(), "task", task.element_id, task.name, _role(task)))
        spiff.complete(workflow, task.id, values)
        return True
    timers = spiff.waiting_timers(workflow)
    if not timers:
        return False
    due = min(timer.due_at for timer in timers)
    clock.set(max(due, clock.now()))
    for timer in timers:
        if timer.due_at <= clock.now():
            result.steps.append(Step(clock.now(), "timer", timer.element_id, timer.name))
    spiff.run(workflow)
    return True


def _role(task: spiff.HumanTask) -> str:
    role = task.properties.role or task.lane or ""
    due = task.properties.due
    return f"[{role}{', due ' + due if due else ''}]"
