"""The case file as people read it: header, current work, timeline, completed forms, the diagram.

Every read of a case's content is itself recorded in the audit trail (``case.read``: who, when, from
which address), in the reader's transaction. Managers see that trail for their centre's cases.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased

from engine.audit.chain import record
from engine.bpmn import spiff
from engine.bpmn.names import legal_source_en
from engine.casework import attachments, notes
from engine.casework.case_links import LinkView, links_of
from engine.casework.cases import get_case, load_workflow
from engine.casework.read.timeline import TimelineEntry, timeline_of, with_notes
from engine.clock import add_duration, days_between
from engine.pathways.names import english_names_of_version
from engine.people import places
from engine.people.permissions import (
    Principal,
    can_claim,
    can_close_case,
    can_complete,
    can_open_case,
    can_reassign,
    can_repair_case,
    can_retry_incident,
    can_signal_case,
    can_unclaim,
    can_view_address,
    can_view_case_audit,
    can_write_note,
)
from engine.store.models import Case, CaseTask, Deadline, Pathway, PathwayVersion, User
from engine.store.uow import UnitOfWork

STAY_CAP = "P6M"


@dataclass(frozen=True)
class DeadlineView:
    kind: str
    due_at: datetime
    legal_source: str
    element_id: str
    due_duration: str = ""  # how it was counted: P20D … from due_from (see engine/bpmn/properties.py)
    due_from: str = ""
    name_en: str = ""  # the diagram's English name of the element, if it has one
    legal_source_en: str = ""  # the diagram's English legal source (``legal_source_en``), if it has one


@dataclass(frozen=True)
class CaseHeader:
    public_id: str
    number: str
    display_name: str
    status: str
    centre_id: int
    centre_name: str
    centre_address: str | None  # None unless the reader is staff of that centre
    legal_basis: str
    target_group: str
    referral_number: str
    birth_date: Any
    admitted_at: datetime
    closed_at: datetime | None
    left_at: datetime | None  # the person left; the case stays open for its follow-ups
    day_of_stay: int
    cap_at: datetime
    days_to_cap: int
    stay_over: bool  # closed, or the person left: no running day count, no cap to warn of
    pathway: str
    pathway_name: str
    pathway_version: int
    incident_element: str
    incident_message: str
    incident_expression: str
    incident_problem: str
    suspended_at: datetime | None = None  # held by a coordinator since (status "suspended")


@dataclass(frozen=True)
class TaskSummary:
    public_id: str
    name: str
    element_id: str
    role: str
    form_key: str
    status: str
    centre_id: int
    assignee_id: int | None
    assignee_name: str
    created_at: datetime
    due_at: datetime | None
    legal_source: str
    completed_at: datetime | None
    completed_by: str
    due_duration: str
    due_from: str
    can_complete: bool
    can_claim: bool
    can_unclaim: bool
    can_reassign: bool
    item_label: str = ""  # which item of a multi-instance task it is for
    name_en: str = ""  # the diagram's English name of the task (``name_en``), if it has one
    legal_source_en: str = ""  # the diagram's English legal source (``legal_source_en``), if it has one


@dataclass(frozen=True)
class CompletedForm:
    task_id: str
    task_name: str
    form_key: str
    completed_at: datetime | None
    completed_by: str
    data: dict[str, Any]
    task_name_en: str = ""  # the diagram's English name of the task, if it has one


@dataclass(frozen=True)
class CaseFile:
    header: CaseHeader
    current_tasks: list[TaskSummary]
    deadlines: list[DeadlineView]
    timeline: list[TimelineEntry]
    completed: list[CompletedForm]
    current_elements: list[str]
    done_elements: list[str]
    signals: list[str]
    can_signal: bool
    can_view_audit: bool
    can_retry: bool  # the case is an incident and the reader may run it again
    can_close: bool  # the case is not closed and the reader may close it by hand
    notes: list[notes.NoteView]  # those the reader may read, newest first
    attachments: list[attachments.AttachmentView]
    can_write_therapy_notes: bool
    links: list[LinkView] = field(default_factory=list)  # cases opened from this one, or that opened it
    dsp_lead_name: str = ""  # the ДСП lead social worker (ЗСУ чл. 84(3)), as given at intake
    dsp_lead_contact: str = ""
    place: tuple[str, str] | None = None  # (room, place) the person stays on
    can_link_family: bool = False  # the reader admits in the case's centre and the case is not closed
    can_repair: bool = False  # a coordinator or the manager: suspend, resume, move, cancel a timer
    pathway_version_id: int = 0  # the case's: its forms are those this version was deployed with

    @property
    def next_deadline(self) -> DeadlineView | None:
        return self.deadlines[0] if self.deadlines else None


@dataclass(frozen=True)
class CaseProgress:
    """Where a case stands in its diagram: element ids to highlight, and the events it waits for."""

    current: list[str]
    done: list[str]
    signals: list[str]
    started_with: dict[str, Any] = field(default_factory=dict)  # the data the case started with


def case_progress(uow: UnitOfWork, case: Case) -> CaseProgress:
    """Read the case's workflow (without changing it) for the diagram and the signal buttons."""
    workflow = load_workflow(uow, case)
    current = [task.element_id for task in spiff.ready_human_tasks(workflow)]
    if not current and case.status == "open":  # nothing to do now: show what the case waits for
        current = [timer.element_id for timer in spiff.waiting_timers(workflow)]
    signals = spiff.waited_signals(workflow) if case.status == "open" else []
    started = spiff.start_data(workflow)
    return CaseProgress(list(dict.fromkeys(current)), spiff.completed_elements(workflow), signals, started)


def read_case(uow: UnitOfWork, who: Principal, public_id: str, view: str = "page") -> CaseFile:
    """The whole case file for a reader of its centre; records the read."""
    case = get_case(uow, who, public_id)
    rows = uow.session.execute(task_query(CaseTask.case_id == case.id)).all()
    progress = case_progress(uow, case)
    names_en = english_names_of_version(uow, case.pathway_version_id)
    current = [task_summary(who, row, names_en) for row in rows if row[0].status == "open"]
    case_notes = notes.list_notes(uow, who, case)
    casefile = CaseFile(
        header=_header(uow, who, case),
        current_tasks=current,
        deadlines=_deadlines(uow, case, current),
        timeline=with_notes(timeline_of(uow, case), case_notes),
        completed=[_completed(row, names_en) for row in rows if row[0].status == "completed"],
        current_elements=progress.current,
        done_elements=progress.done,
        signals=progress.signals,
        can_signal=can_signal_case(who, case),
        can_view_audit=can_view_case_audit(who, case),
        can_retry=case.status == "incident" and can_retry_incident(who, case),
        can_close=case.status != "closed" and can_close_case(who, case),
        notes=case_notes,
        attachments=attachments.list_attachments(uow, case),
        can_write_therapy_notes=can_write_note(who, case, "psychologist"),
        links=links_of(uow, who, case),
        dsp_lead_name=str(progress.started_with.get("dsp_lead_name") or ""),
        dsp_lead_contact=str(progress.started_with.get("dsp_lead_contact") or ""),
        place=places.place_of(uow, case.id) if case.left_at is None else None,
        can_link_family=case.status != "closed" and can_open_case(who, case.centre_id),
        can_repair=can_repair_case(who, case),
        pathway_version_id=case.pathway_version_id,
    )
    record_read(uow, who, case, {"view": view})
    return casefile


def record_read(uow: UnitOfWork, who: Principal, case: Case, detail: dict[str, Any]) -> None:
    record(
        uow.session, uow.clock.now(), who, "case.read", case_id=case.id, subject=case.number, detail=detail
    )


def _header(uow: UnitOfWork, who: Principal, case: Case) -> CaseHeader:
    now = uow.clock.now()
    version = uow.session.execute(
        select(Pathway.key, Pathway.name, PathwayVersion.version)
        .join(PathwayVersion, PathwayVersion.pathway_id == Pathway.id)
        .where(PathwayVersion.id == case.pathway_version_id)
    ).one()
    cap_at = add_duration(case.admitted_at, STAY_CAP)
    until = case.left_at or case.closed_at or now
    return CaseHeader(
        public_id=case.public_id,
        number=case.number,
        display_name=case.display_name,
        status=case.status,
        centre_id=case.centre_id,
        centre_name=case.centre.name,
        centre_address=case.centre.address if can_view_address(who, case.centre_id) else None,
        legal_basis=case.legal_basis,
        target_group=case.target_group,
        referral_number=case.referral_number,
        birth_date=case.birth_date,
        admitted_at=case.admitted_at,
        closed_at=case.closed_at,
        left_at=case.left_at,
        day_of_stay=days_between(case.admitted_at, until) + 1,
        cap_at=cap_at,
        days_to_cap=days_between(now, cap_at),
        stay_over=case.status == "closed" or case.left_at is not None,
        pathway=version[0],
        pathway_name=version[1],
        pathway_version=version[2],
        incident_element=case.incident_element,
        incident_message=case.incident_message,
        incident_expression=case.incident_expression,
        incident_problem=case.incident_problem,
        suspended_at=case.suspended_at,
    )


def task_query(where: Any) -> Any:
    assignee, completer = aliased(User), aliased(User)
    return (
        select(
            CaseTask,
            assignee.display_name,
            assignee.username,
            completer.display_name,
            completer.username,
        )
        .outerjoin(assignee, assignee.id == CaseTask.assignee_id)
        .outerjoin(completer, completer.id == CaseTask.completed_by_id)
        .where(where)
        .order_by(CaseTask.created_at, CaseTask.id)
    )


def task_summary(who: Principal, row: Any, names_en: Mapping[str, str] | None = None) -> TaskSummary:
    task, a_name, a_user, c_name, c_user = row
    return TaskSummary(
        public_id=task.public_id,
        name=task.name,
        name_en=(names_en or {}).get(task.element_id, ""),
        element_id=task.element_id,
        role=task.role,
        form_key=task.form_key,
        status=task.status,
        centre_id=task.centre_id,
        assignee_id=task.assignee_id,
        assignee_name=a_name or a_user or "",
        created_at=task.created_at,
        due_at=task.due_at,
        legal_source=task.legal_source,
        legal_source_en=legal_source_en(names_en, task.element_id),
        completed_at=task.completed_at,
        completed_by=c_name or c_user or "",
        due_duration=task.due_duration,
        due_from=task.due_from,
        item_label=task.item_label,
        can_complete=can_complete(who, task),
        can_claim=can_claim(who, task) and task.assignee_id != who.user_id,
        can_unclaim=can_unclaim(who, task) and task.assignee_id is not None,
        can_reassign=can_reassign(who, task),
    )


def _deadlines(uow: UnitOfWork, case: Case, current: list[TaskSummary]) -> list[DeadlineView]:
    rows = uow.session.scalars(
        select(Deadline).where(Deadline.case_id == case.id, Deadline.status == "pending")
    ).all()
    names_en = english_names_of_version(uow, case.pathway_version_id)
    found = [
        DeadlineView(
            row.kind,
            row.due_at,
            row.legal_source,
            row.element_id,
            row.due_duration,
            row.due_from,
            names_en.get(row.element_id, ""),
            legal_source_en(names_en, row.element_id),
        )
        for row in rows
    ]
    found += [
        DeadlineView(
            task.name,
            task.due_at,
            task.legal_source,
            task.element_id,
            task.due_duration,
            task.due_from,
            task.name_en,
            task.legal_source_en,
        )
        for task in current
        if task.due_at is not None
    ]
    return sorted(found, key=lambda d: d.due_at)


def _completed(row: Any, names_en: Mapping[str, str]) -> CompletedForm:
    task, _, _, name, user = row
    return CompletedForm(
        task.public_id,
        task.name,
        task.form_key,
        task.completed_at,
        name or user or "",
        task.data or {},
        names_en.get(task.element_id, ""),
    )
