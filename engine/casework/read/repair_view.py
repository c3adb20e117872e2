"""The repair page's reading of a case: its number, where it is (element names) and dates, never its
content (a coordinator repairs cases they may not read). See :mod:`engine.casework.repair`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from engine.bpmn import repair as moves
from engine.casework.cases import load_workflow
from engine.casework.repair import repairable, shifts_on_resume
from engine.errors import NotFound
from engine.pathways.names import english_names_of_version
from engine.people.permissions import CASE_REPAIRERS, Principal, can_repair_case, can_view_case
from engine.store.models import Case, CaseTask, Deadline
from engine.store.uow import UnitOfWork


@dataclass(frozen=True)
class Step:
    element_id: str
    name: str
    name_en: str
    since: datetime
    due_at: datetime | None


@dataclass(frozen=True)
class WaitingTimer:
    id: int
    element_id: str
    name: str
    name_en: str
    due_at: datetime
    due_duration: str
    due_from: str
    shifts_on_resume: bool


@dataclass(frozen=True)
class Target:
    element_id: str
    name: str
    name_en: str
    direction: str  # back | forward


@dataclass(frozen=True)
class RepairView:
    """A case as its repairer sees it: number, position and dates, never its content."""

    public_id: str
    number: str
    status: str
    centre_name: str
    pathway_key: str
    pathway_name: str
    pathway_version: int
    admitted_at: datetime
    suspended_at: datetime | None
    closed_at: datetime | None
    incident_element: str
    steps: list[Step]
    timers: list[WaitingTimer]
    targets: list[Target]
    can_open_case: bool


def repair_view(uow: UnitOfWork, who: Principal, public_id: str) -> RepairView:
    case = repairable(uow, who, public_id)
    english = english_names_of_version(uow, case.pathway_version_id)
    steps = [
        Step(row.element_id, row.name, english.get(row.element_id, ""), row.created_at, row.due_at)
        for row in uow.session.scalars(
            select(CaseTask)
            .where(CaseTask.case_id == case.id, CaseTask.status == "open")
            .order_by(CaseTask.created_at, CaseTask.id)
        )
    ]
    timers = [
        WaitingTimer(
            row.id,
            row.element_id,
            row.kind,
            english.get(row.element_id, ""),
            row.due_at,
            row.due_duration,
            row.due_from,
            shifts_on_resume(row.due_duration, row.due_from),
        )
        for row in uow.session.scalars(
            select(Deadline)
            .where(Deadline.case_id == case.id, Deadline.status == "pending")
            .order_by(Deadline.due_at, Deadline.id)
        )
    ]
    targets: list[Target] = []
    if case.status in ("open", "incident"):
        found = moves.move_targets(load_workflow(uow, case))
        targets = [Target(t.element_id, t.name, english.get(t.element_id, ""), t.direction) for t in found]
    version = case.pathway_version
    return RepairView(
        public_id=case.public_id,
        number=case.number,
        status=case.status,
        centre_name=case.centre.name,
        pathway_key=version.pathway.key,
        pathway_name=version.pathway.name,
        pathway_version=version.version,
        admitted_at=case.admitted_at,
        suspended_at=case.suspended_at,
        closed_at=case.closed_at,
        incident_element=case.incident_element,
        steps=steps,
        timers=timers,
        targets=targets,
        can_open_case=can_view_case(who, case),
    )


def find_case_id(uow: UnitOfWork, who: Principal, number: str) -> str:
    """The public id of a case the reader repairs, by its number (the incidents page's search box)."""
    case = uow.session.scalar(select(Case).where(Case.number == number.strip().upper()[:40]))
    if case is None or not can_repair_case(who, case):
        raise NotFound("case not found")
    return case.public_id


def suspended_cases(
    uow: UnitOfWork, who: Principal, limit: int = 100
) -> list[tuple[str, str, datetime | None]]:
    """(public id, number, since) of the suspended cases of the centres the reader repairs cases in."""
    centres = who.centres_with(CASE_REPAIRERS)
    if not centres:
        return []
    rows = uow.session.execute(
        select(Case.public_id, Case.number, Case.suspended_at)
        .where(Case.status == "suspended", Case.centre_id.in_(centres))
        .order_by(Case.suspended_at, Case.id)
        .limit(limit)
    )
    return [(public_id, number, since) for public_id, number, since in rows]
