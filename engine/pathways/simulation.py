"""Simulation: run a pathway with the real runtime on a virtual clock, without a database.

A :class:`PathwayRun` records what a case would live through, each step dated: a task opening (with
its due date, computed as the case work computes it), a task completed, a timer firing, a signal, the
end, or an incident. Left to itself (:meth:`PathwayRun.run_until`), people complete each task on its
due date (at once when it has none), with the form's defaults, so that timers on people's work fire
when the work runs late; a scenario (:mod:`engine.pathways.scenarios`) instead says who does what
when. Coordinators use it (``casepath pathways simulate``) to see a pathway's dates before deploying;
the suite uses it to walk every shipped pathway end to end.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.bpmn import operations, parsing, spiff
from engine.bpmn.due import task_due
from engine.bpmn.expressions.evaluator import Evaluator
from engine.clock import FrozenClock, isoformat_local
from engine.errors import ExpressionError
from engine.pathways.forms import FormCatalog

DEFAULT_START = {
    "case_number": "SIM-0001",
    "legal_basis": "referral",
    "target_group": "domestic_violence",
    "is_child": False,
    "age": 30,
    "has_referral": True,
}
KINDS = ("start", "task", "completed", "timer", "signal", "end", "incident")


@dataclass(frozen=True)
class Step:
    at: datetime
    kind: str  # one of KINDS
    element_id: str
    name: str
    detail: str = ""
    due_at: datetime | None = None
    legal_source: str = ""

    def line(self) -> str:
        text = f"{isoformat_local(self.at)}  {self.kind:<9} {self.element_id}  {self.name}"
        if self.due_at is not None:
            text += f"  due {isoformat_local(self.due_at)}"
        return f"{text}  {self.detail}" if self.detail else text

    def as_json(self) -> dict[str, Any]:
        return {
            "at": isoformat_local(self.at),
            "kind": self.kind,
            "element_id": self.element_id,
            "name": self.name,
            "due_at": isoformat_local(self.due_at) if self.due_at is not None else None,
            "legal_source": self.legal_source,
        }


@dataclass
class SimulationResult:
    steps: list[Step] = field(default_factory=list)
    completed: bool = False
    incident: spiff.RuntimeFailure | None = None
    stuck: str = ""  # why the case cannot move on, when it cannot

    def first(self, element_id: str, kind: str | None = None) -> Step | None:
        return next(
            (s for s in self.steps if s.element_id == element_id and kind in (None, s.kind)),
            None,
        )

    def of(self, element_id: str, kind: str) -> list[Step]:
        return [step for step in self.steps if step.element_id == element_id and step.kind == kind]

    @property
    def ok(self) -> bool:
        return self.completed and self.incident is None and not self.stuck


class SimulationStopped(Exception):
    """The run stopped on an incident; the result holds the incident step."""


@dataclass
class _Open:
    task: spiff.HumanTask
    due_at: datetime | None


def form_data_for(task: spiff.HumanTask, forms: FormCatalog, data: Mapping[str, Any]) -> dict[str, Any]:
    """A form's defaults, overridden by top-level fields of ``data`` it has, then by data[element or form]."""
    form_key = task.properties.form
    values: dict[str, Any] = {}
    fields: set[str] = set()
    if form_key and forms.exists(form_key):
        form = forms.get(form_key)
        values = form.defaults()
        fields = set(form.schema.get("properties", {}))
    values.update({k: v for k, v in spiff.prefill_of(task).items() if k in fields})
    values.update({k: v for k, v in data.items() if k in fields})
    for key in (form_key, task.element_id):
        specific = data.get(key)
        if isinstance(specific, dict):
            values.update(specific)
    return values


class PathwayRun:
    """One simulated case: start it, then move time, complete tasks and send signals."""

    def __init__(
        self,
        pathway: parsing.ParsedPathway,
        forms: FormCatalog,
        start_at: datetime,
        data: Mapping[str, Any] | None = None,
    ) -> None:
        given = dict(data or {})
        self.forms = forms
        self.answers = given
        self.clock = FrozenClock(start_at)
        self.evaluator = Evaluator(self.clock)
        self.result = SimulationResult()
        self._open: dict[str, _Open] = {}
        self.operations = operations.Rehearsal()  # service tasks: recorded, nothing is opened or sent
        start_data: dict[str, Any] = {**DEFAULT_START, "admitted_at": isoformat_local(start_at)}
        start_data.update({k: v for k, v in given.items() if k in DEFAULT_START or not isinstance(v, dict)})
        self.process_id = pathway.process_id
        self._record("start", pathway.process_id, "admission", str(start_data.get("legal_basis", "")))
        self.workflow: Any = None
        self._guard(lambda: self._begin(pathway, start_data))

    # --- what people and time do -----------------------------------------------------------------------

    def complete(self, element_id: str, data: Mapping[str, Any] | None = None) -> None:
        """Complete the open task of ``element_id`` (the oldest, if several) with its form's values."""
        found = next((item for item in self._open.values() if item.task.element_id == element_id), None)
        if found is None:
            raise LookupError(f"no open task {element_id} on {isoformat_local(self.clock.now())}")
        values = form_data_for(found.task, self.forms, {**self.answers, **(dict(data) if data else {})})
        self._record("completed", element_id, found.task.name)
        self._guard(lambda: spiff.complete(self.workflow, found.task.id, values))

    def signal(self, name: str, payload: Mapping[str, Any] | None = None) -> None:
        """Report ``name`` (e.g. ``risk_changed``); LookupError when nothing waits for it now."""
        if name not in spiff.waited_signals(self.workflow):
            raise LookupError(f"nothing waits for the signal {name} on {isoformat_local(self.clock.now())}")
        self._record("signal", name, name)
        self._guard(lambda: spiff.signal(self.workflow, name, payload))

    def advance_to(self, moment: datetime) -> None:
        """Let time pass until ``moment``: every timer due by then fires, in order, at its due time."""
        for _ in range(100_000):  # a bound, not a budget: each round fires at least one timer
            if self.finished:
                break
            timers = spiff.waiting_timers(self.workflow)
            due = min((timer.due_at for timer in timers), default=None)
            if due is None or due > moment:
                break
            self._fire_timers(due)
        if moment > self.clock.now():
            self.clock.set(moment)

    def run_until(
        self, until: datetime | None = None, hold: Collection[str] = (), max_steps: int = 2000
    ) -> None:
        """People complete each task on its due date (tasks in ``hold`` never); timers fire when due.

        Stops at the end, an incident, ``until``, or when nothing can move the case on (``stuck``).
        """
        for _ in range(max_steps):
            if self.finished:
                return
            workable = [item for item in self._open.values() if item.task.element_id not in hold]
            task_at = min((item.due_at or self.clock.now() for item in workable), default=None)
            timer_at = min((t.due_at for t in spiff.waiting_timers(self.workflow)), default=None)
            if task_at is None and timer_at is None:
                if until is not None:
                    return self.advance_to(until)  # waiting for what the caller does next
                if not self._open:  # held tasks wait for their caller; otherwise nothing ever will
                    self._stuck()
                return
            if timer_at is not None and (task_at is None or timer_at <= task_at):
                if until is not None and timer_at > until:
                    return self.advance_to(until)
                self._fire_timers(timer_at)
                continue
            assert task_at is not None
            if until is not None and task_at > until:
                return self.advance_to(until)
            self.clock.set(max(task_at, self.clock.now()))
            item = min(workable, key=lambda item: item.due_at or self.clock.now())
            self.complete(item.task.element_id)
        self.result.stuck = f"still running after {max_steps} steps"

    @property
    def finished(self) -> bool:
        return self.result.completed or self.result.incident is not None or bool(self.result.stuck)

    # --- bookkeeping -------------------------------------------------------------------------------------

    def _begin(self, pathway: parsing.ParsedPathway, start_data: dict[str, Any]) -> None:
        self.workflow = spiff.start(pathway, start_data, self.clock)

    def _fire_timers(self, due: datetime) -> None:
        self.clock.set(max(due, self.clock.now()))
        for timer in spiff.waiting_timers(self.workflow):
            if timer.due_at <= self.clock.now():
                self._record(
                    "timer", timer.element_id, timer.name, legal_source=timer.properties.legal_source
                )
        self._guard(lambda: spiff.run(self.workflow))

    def _guard(self, action: Any) -> None:
        """Run an engine verb, then note what opened, closed or ended; an incident stops the run."""
        try:
            with operations.bound(self.operations):
                action()
            self._note_operations()
            self._note()
        except spiff.RuntimeFailure as failure:
            self.result.incident = failure
            self._record("incident", failure.element_id, failure.detail, failure.expression)

    def _note(self) -> None:
        ready = {task.id: task for task in spiff.ready_human_tasks(self.workflow)}
        for task_id in list(self._open):
            if task_id not in ready:
                del self._open[task_id]
        for task_id, task in ready.items():
            if task_id not in self._open:
                due = self._due(task)
                self._open[task_id] = _Open(task, due)
                source = task.properties.legal_source
                self._record("task", task.element_id, task.name, _role(task), due, source)
        if spiff.is_completed(self.workflow) and not self.result.completed:
            self.result.completed = True
            self._record("end", self.process_id, "completed")

    def _note_operations(self) -> None:
        """A service task the run reached is a completed step: the operation's name and element."""
        for call in self.operations.calls:
            self._record("completed", call.element_id, call.name, call.operation)
        self.operations.calls.clear()

    def _due(self, task: spiff.HumanTask) -> datetime | None:
        try:
            return task_due(task.properties, task.data, self.clock.now(), self.evaluator)
        except ExpressionError as error:
            raise spiff.RuntimeFailure(
                task.element_id, "due_date", task.properties.due, self.workflow
            ) from error

    def _stuck(self) -> None:
        waiting = spiff.waited_signals(self.workflow)
        if waiting:
            self.result.stuck = f"the case waits only for a signal that may never come: {', '.join(waiting)}"
        else:
            self.result.stuck = "nothing can move the case on"
        self._record("incident", self.process_id, self.result.stuck)

    def _record(
        self,
        kind: str,
        element_id: str,
        name: str,
        detail: str = "",
        due_at: datetime | None = None,
        legal_source: str = "",
    ) -> None:
        self.result.steps.append(Step(self.clock.now(), kind, element_id, name, detail, due_at, legal_source))


def simulate(
    pathway: parsing.ParsedPathway,
    forms: FormCatalog,
    start_at: datetime,
    data: Mapping[str, Any] | None = None,
    max_steps: int = 2000,
) -> SimulationResult:
    """The whole case left to itself: each task completed on its due date, until the end."""
    run = PathwayRun(pathway, forms, start_at, data)
    run.run_until(max_steps=max_steps)
    return run.result


def _role(task: spiff.HumanTask) -> str:
    role = task.properties.role or task.lane or ""
    return f"[{role}]"
