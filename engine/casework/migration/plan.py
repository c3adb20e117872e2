"""The preview of a migration, case by case: where each case is, what moving it changes, and whether it
can move at all. The preview moves each case's workflow in memory exactly as executing would
(:func:`engine.bpmn.migration.rebind`) and reads the differences; nothing is stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from engine.bpmn import migration as moving
from engine.bpmn import spiff
from engine.bpmn.due import task_due
from engine.bpmn.expressions.evaluator import Evaluator
from engine.bpmn.parsing import ParsedPathway
from engine.casework.cases import load_workflow
from engine.casework.migration.texts import BLOCKING, CLOCK_CHANGES, change
from engine.clock import is_duration, local_date
from engine.errors import ExpressionError, NotFound, UnknownSerializer, ValidationFailed
from engine.pathways.forms import FormCatalog
from engine.pathways.names import english_names_of_version
from engine.pathways.versions import parsed_version
from engine.store.models import Case, CaseTask, Deadline, Pathway, PathwayVersion
from engine.store.uow import UnitOfWork

MAX_MAPPING = 200


@dataclass(frozen=True)
class Versions:
    """The two versions of a migration, parsed, and what differs in their timers."""

    pathway: Pathway
    source: PathwayVersion
    target: PathwayVersion
    source_parsed: ParsedPathway
    target_parsed: ParsedPathway
    mapping: dict[str, str]
    changed_timers: set[str]
    names_en: dict[str, str]
    source_id: int = 0
    target_id: int = 0
    source_version: int = 0
    target_version: int = 0


@dataclass
class CasePreview:
    case_id: int
    number: str
    position: list[dict[str, str]]  # {name, name_en} of each step the case is at
    changes: list[dict[str, Any]] = field(default_factory=list)
    rebound: moving.Rebound | None = None  # the workflow moved in memory, for the execution to store

    @property
    def blocked(self) -> bool:
        return any(item["code"] in BLOCKING for item in self.changes)

    @property
    def verdict(self) -> str:
        if self.blocked:
            return "blocked"
        return "failed" if any(item["code"] == "failed" for item in self.changes) else "migratable"

    @property
    def moves_clocks(self) -> bool:
        return any(item["code"] in CLOCK_CHANGES for item in self.changes)


def versions_of(
    uow: UnitOfWork, key: str, source: int, target: int, mapping: Mapping[str, str] | None
) -> Versions:
    """The two versions, checked: both deployed, different, and a mapping naming their elements."""
    pathway = uow.session.scalar(select(Pathway).where(Pathway.key == key))
    if pathway is None:
        raise NotFound(f"pathway '{key}' does not exist")
    found = {
        row.version: row
        for row in uow.session.scalars(
            select(PathwayVersion).where(
                PathwayVersion.pathway_id == pathway.id, PathwayVersion.version.in_([source, target])
            )
        )
    }
    for name, number in (("from", source), ("to", target)):
        if number not in found:
            raise ValidationFailed(f"pathway '{key}' has no version {number}", {name: ["no such version"]})
    if source == target:
        raise ValidationFailed("the versions must differ", {"to": ["the same as from"]})
    old, new = parsed_version(found[source]), parsed_version(found[target])
    clean = _checked_mapping(dict(mapping or {}), moving.elements(old), moving.elements(new), target)
    rules_old, rules_new = moving.timer_rules(old), moving.timer_rules(new)
    changed = {
        element
        for element, rule in rules_old.items()
        if clean.get(element, element) in rules_new and rules_new[clean.get(element, element)] != rule
    }
    changed = {clean.get(element, element) for element in changed}
    names_en = english_names_of_version(uow, found[target].id) | english_names_of_version(
        uow, found[source].id
    )
    return Versions(
        pathway,
        found[source],
        found[target],
        old,
        new,
        clean,
        changed,
        names_en,
        found[source].id,
        found[target].id,
        source,
        target,
    )


def _checked_mapping(
    mapping: dict[str, str], old: Mapping[str, str], new: Mapping[str, str], target: int
) -> dict[str, str]:
    if len(mapping) > MAX_MAPPING:
        raise ValidationFailed("the mapping is too long", {"mapping": [f"at most {MAX_MAPPING} pairs"]})
    problems = [f"{a}: not an element of the source version" for a in mapping if a not in old]
    problems += [f"{b}: not an element of version {target}" for b in mapping.values() if b not in new]
    if problems:
        raise ValidationFailed("the mapping names unknown elements", {"mapping": problems})
    return mapping


def cases_of(uow: UnitOfWork, versions: Versions, numbers: Sequence[str] | None) -> list[Case]:
    """The open cases (and cases stopped by an incident) on the source version, or the ones named."""
    query = select(Case).where(Case.pathway_version_id == versions.source_id, Case.status != "closed")
    if numbers:
        wanted = sorted(set(numbers))
        rows = list(uow.session.scalars(select(Case).where(Case.number.in_(wanted)).order_by(Case.id)))
        unknown = sorted(set(wanted) - {row.number for row in rows})
        other = [row.number for row in rows if row.pathway_version_id != versions.source_id]
        if unknown or other:
            errors = [f"{n}: no such case" for n in unknown]
            errors += [f"{n}: not on version {versions.source_version}" for n in other]
            raise ValidationFailed("some cases cannot be in this migration", {"cases": errors})
        return rows
    return list(uow.session.scalars(query.order_by(Case.id)))


def preview_case(uow: UnitOfWork, case: Case, versions: Versions, forms: FormCatalog) -> CasePreview:
    """What moving ``case`` changes, and whether it is blocked; the case is not changed."""
    preview = CasePreview(case.id, case.number, [])
    if case.pathway_version_id != versions.source_id or case.status == "closed":
        preview.changes.append(change("blocked_not_on_source", version=versions.source_version))
        return preview
    try:
        workflow = load_workflow(uow, case)
    except UnknownSerializer as error:
        preview.changes.append(
            change("failed", problem=type(error).__name__, version=versions.source_version)
        )
        return preview
    preview.position = _position(versions, moving.positions(workflow))
    if case.status in ("incident", "suspended"):  # a suspended case's clocks hold: resume it first
        preview.changes.append(change(f"blocked_{case.status}"))
        return preview
    before = spiff.waiting_timers(workflow)
    tasks = open_rows(uow, case.id)
    try:
        rebound = moving.rebind(
            workflow, versions.target_parsed, versions.mapping, versions.changed_timers, uow.clock
        )
    except moving.Unmovable as gone:
        preview.changes.append(
            change(
                "blocked_gone",
                **_named(versions, gone.element_id, gone.name),
                version=versions.target_version,
            )
        )
        return preview
    except (ExpressionError, spiff.RuntimeFailure) as error:
        problem = getattr(error, "problem", "") or type(error).__name__
        preview.changes.append(change("failed", problem=problem, version=versions.source_version))
        return preview
    preview.changes += task_changes(uow, versions, tasks, rebound.workflow, forms)
    preview.changes += timer_changes(versions, before, rebound)
    preview.rebound = rebound
    return preview


def _position(versions: Versions, found: list[moving.Position]) -> list[dict[str, str]]:
    """Where a case is, for people: its open tasks and the timers on its path; else the sub-processes it
    runs in (its stay), never the events it merely listens for."""
    steps = [p for p in found if p.kind == "task" or (p.kind == "timer" and not p.boundary)]
    steps = steps or [p for p in found if p.kind == "subprocess"]
    return [_named(versions, p.element_id, p.name) for p in steps]


def _named(versions: Versions, element: str, name: str) -> dict[str, str]:
    return {"name": name or element, "name_en": versions.names_en.get(element, "")}


def open_rows(uow: UnitOfWork, case_id: int) -> dict[str, CaseTask]:
    rows = uow.session.scalars(select(CaseTask).where(CaseTask.case_id == case_id, CaseTask.status == "open"))
    return {row.workflow_task_id: row for row in rows}


def day(moment: datetime | None) -> str:
    """A date as people in the centre write it (12.01.2027), in Sofia's calendar."""
    return local_date(moment).strftime("%d.%m.%Y") if moment is not None else "—"


@dataclass(frozen=True)
class TaskUpdate:
    """What an open task row becomes under the target version (its holder and draft are kept)."""

    element_id: str
    name: str
    form_key: str
    due_at: datetime | None
    due_duration: str
    due_from: str
    legal_source: str

    def apply(self, row: CaseTask) -> None:
        row.element_id, row.name, row.form_key, row.due_at = (
            self.element_id,
            self.name,
            self.form_key,
            self.due_at,
        )
        row.due_duration, row.due_from, row.legal_source = self.due_duration, self.due_from, self.legal_source


def task_updates(
    uow: UnitOfWork, rows: Mapping[str, CaseTask], workflow: spiff.Workflow
) -> dict[str, TaskUpdate]:
    """Each open row's task under the target: same task id, the target's element, name, form and due
    date (re-computed from the target's rule, counted from when the task opened)."""
    updates: dict[str, TaskUpdate] = {}
    for task in spiff.ready_human_tasks(workflow):
        row = rows.get(task.id)
        if row is None:
            continue
        props = task.properties
        due = task_due(props, task.data, row.created_at, Evaluator(uow.clock)) if props.due.strip() else None
        counted = is_duration(props.due)
        updates[task.id] = TaskUpdate(
            task.element_id,
            task.name[:300],
            props.form,
            due,
            props.due[:40] if counted else "",
            (props.due_from or "opened")[:40] if counted else "",
            props.legal_source[:300],
        )
    return updates


def task_changes(
    uow: UnitOfWork,
    versions: Versions,
    rows: Mapping[str, CaseTask],
    workflow: spiff.Workflow,
    forms: FormCatalog,
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    updates = task_updates(uow, rows, workflow)
    for task_id, row in rows.items():
        update = updates.get(task_id)
        if update is None:
            continue
        named = _named(versions, row.element_id, row.name)
        if update.element_id != row.element_id or update.name != row.name:
            found.append(
                change(
                    "task_mapped", **named, to=update.name, to_en=versions.names_en.get(update.element_id, "")
                )
            )
        else:
            found.append(change("task_kept", **named))
        if update.due_at != row.due_at:
            found.append(change("task_due", **named, due=day(update.due_at), was=day(row.due_at)))
        if update.form_key and forms.exists(update.form_key):
            required = forms.get(update.form_key).schema.get("required", [])
            missing = [
                name
                for name in required
                if name not in (row.draft or {}) and name not in _known(workflow, task_id)
            ]
            if missing and update.form_key != row.form_key:
                found.append(change("data_missing", **named, fields=", ".join(missing[:20])))
    for task in spiff.ready_human_tasks(workflow):
        if task.id not in rows:
            found.append(change("task_new", **_named(versions, task.element_id, task.name)))
    return found


def _known(workflow: spiff.Workflow, task_id: str) -> dict[str, Any]:
    task = spiff.find_human_task(workflow, task_id)
    return spiff.data_of(task) if task is not None else {}


def timer_changes(
    versions: Versions, before: list[spiff.WaitingTimer], rebound: moving.Rebound
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    after = {timer.element_id: timer for timer in spiff.waiting_timers(rebound.workflow)}
    seen: set[str] = set()
    for timer in before:
        element = versions.mapping.get(timer.element_id, timer.element_id)
        named = _named(versions, timer.element_id, timer.name)
        new = after.get(element)
        seen.add(element)
        if new is None:
            found.append(change("timer_dropped", **named))
        elif new.due_at != timer.due_at:
            found.append(change("timer_moved", **named, was=day(timer.due_at), due=day(new.due_at)))
        else:
            found.append(change("timer_kept", **named, due=day(new.due_at)))
    for element, timer in after.items():
        if element not in seen:
            found.append(
                change("deadline_new", **_named(versions, element, timer.name), due=day(timer.due_at))
            )
    return found


def pending_rows(uow: UnitOfWork, case_id: int) -> list[Deadline]:
    return list(
        uow.session.scalars(
            select(Deadline)
            .where(Deadline.case_id == case_id, Deadline.status == "pending")
            .order_by(Deadline.id)
        )
    )
