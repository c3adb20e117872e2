"""A person's rights over their data: everything Casepath holds about them, and who viewed their file.

Both are for the manager of the case's centre and both are audited (``case.subject_export``,
``case.viewers_report``). The person's cases are the case asked about and the other cases of the
centres the manager runs with the same name and the same birth date (a birth date must be known: two
people of one name are never joined on the name alone).

What is exported: each case's particulars, its completed forms' answers, the notes the manager may read
(a therapy note is listed by its date and kind only: the centre's psychologist releases its text),
task comments, the attached documents' list, the outgoing documents' list (kind, number, date), the
places the person stayed on, linked cases and the timeline. **The centre's confidential address is
never exported**: the centre is named, and any text in which someone wrote the address has it replaced
by ``[…]`` (:func:`without_address`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from engine.audit.chain import record
from engine.casework.cases import get_case
from engine.casework.documents import service as documents
from engine.casework.read.casefile import CaseFile, read_case
from engine.casework.read.timeline import READ_ACTIONS
from engine.people.permissions import SUBJECT_REQUEST_HANDLERS, Principal, can_answer_subject_request, require
from engine.store.models import (
    AuditEvent,
    Case,
    CaseNote,
    CaseTask,
    Centre,
    Place,
    PlaceStay,
    Room,
    TaskComment,
    User,
)
from engine.store.uow import UnitOfWork

REDACTED = "[…]"
MAX_CASES = 50  # of one person: more means the match is wrong, never a real person's history
# What counts as viewing a file: reading it or its tasks, its audit, a document, or these exports.
VIEW_ACTIONS = (*READ_ACTIONS, "case.subject_export", "case.viewers_report")
_NOTE_ACTIONS = ("note.add", "note.edit")  # in READ_ACTIONS for the timeline, but they are changes


@dataclass(frozen=True)
class Viewer:
    at: datetime
    case_number: str
    actor: str  # the username, or "system"
    actor_name: str
    action: str


def person_cases(uow: UnitOfWork, who: Principal, public_id: str) -> list[Case]:
    """The case asked about and the same person's other cases in the centres the caller manages."""
    case = get_case(uow, who, public_id)
    require(can_answer_subject_request(who, case), "only the centre's manager answers a person's request")
    if case.birth_date is None:
        return [case]
    name = " ".join(case.display_name.split()).casefold()
    same = uow.session.scalars(
        select(Case)
        .where(
            Case.birth_date == case.birth_date,
            Case.centre_id.in_(who.centres_with(SUBJECT_REQUEST_HANDLERS)),
            Case.id != case.id,
        )
        .order_by(Case.admitted_at, Case.id)
        .limit(MAX_CASES)
    ).all()
    return [case, *(other for other in same if " ".join(other.display_name.split()).casefold() == name)]


def without_address(value: Any, addresses: list[str]) -> Any:
    """``value`` (text, or lists and dicts of it) with every confidential address in it replaced."""
    if isinstance(value, str):
        for address in addresses:
            value = re.sub(re.escape(address), REDACTED, value, flags=re.IGNORECASE)
        return value
    if isinstance(value, list):
        return [without_address(item, addresses) for item in value]
    if isinstance(value, dict):
        return {key: without_address(item, addresses) for key, item in value.items()}
    return value


def export_subject(uow: UnitOfWork, who: Principal, public_id: str, file_format: str) -> dict[str, Any]:
    """Everything held about the person of a case, as JSON-ready data (codes, ISO 8601 dates)."""
    found = person_cases(uow, who, public_id)
    files = [read_case(uow, who, case.public_id, view="subject_export") for case in found]
    exported = {
        "generated_at": _iso(uow.clock.now()),
        "person": {
            "name": found[0].display_name,
            "birth_date": _iso(found[0].birth_date),
            "sex": found[0].sex,
        },
        "cases": [_case(uow, case, casefile) for case, casefile in zip(found, files, strict=True)],
    }
    _audit_each(uow, who, found, "case.subject_export", file_format)
    addresses = _addresses(uow, [case.centre_id for case in found])
    result: dict[str, Any] = without_address(exported, addresses)
    return result


def _case(uow: UnitOfWork, case: Case, casefile: CaseFile) -> dict[str, Any]:
    header = casefile.header
    return {
        "number": case.number,
        "centre": header.centre_name,
        "pathway": header.pathway,
        "pathway_version": header.pathway_version,
        "status": case.status,
        "legal_basis": case.legal_basis,
        "target_group": case.target_group,
        "sex": case.sex,
        "birth_date": _iso(case.birth_date),
        "referral_number": case.referral_number,
        "referral_date": _iso(case.referral_date),
        "admitted_at": _iso(case.admitted_at),
        "left_at": _iso(case.left_at),
        "closed_at": _iso(case.closed_at),
        "dsp_lead_name": casefile.dsp_lead_name,
        "dsp_lead_contact": casefile.dsp_lead_contact,
        "forms": [
            {
                "task": form.task_name,
                "task_en": form.task_name_en,  # the diagram's English name, if it has one
                "form": form.form_key,
                "completed_at": _iso(form.completed_at),
                "completed_by": form.completed_by,
                "answers": form.data,
            }
            for form in casefile.completed
        ],
        "notes": [
            {"kind": note.kind, "noted_at": _iso(note.noted_at), "author": note.author, "text": note.body}
            for note in sorted(casefile.notes, key=lambda note: note.noted_at)
        ],
        "therapy_notes_withheld": _withheld_notes(uow, case, len(casefile.notes)),
        "comments": _comments(uow, case),
        "attachments": [
            {
                "title": item.title,
                "kind": item.kind,
                "media_type": item.media_type,
                "size": item.size,
                "uploaded_at": _iso(item.uploaded_at),
                "uploaded_by": item.uploaded_by,
            }
            for item in casefile.attachments
        ],
        "documents": [  # the outgoing documents to ДСП and ОЗД made from its forms (the PDFs stay stored)
            {
                "kind": doc.kind,
                "number": doc.number,
                "issued_on": doc.issued_on.isoformat(),
                "by": doc.created_by,
            }
            for doc in documents.list_documents(uow, case)
        ],
        "places": _places(uow, case),
        "linked_cases": [{"kind": link.kind, "number": link.number} for link in casefile.links],
        "timeline": [
            {"at": _iso(entry.at), "action": entry.action, "by": entry.actor, "about": entry.subject}
            for entry in casefile.timeline
            if not entry.note_id  # the notes themselves are above
        ],
    }


def _withheld_notes(uow: UnitOfWork, case: Case, readable: int) -> int:
    held = uow.session.scalar(select(func.count()).select_from(CaseNote).where(CaseNote.case_id == case.id))
    return int(held or 0) - readable


def _comments(uow: UnitOfWork, case: Case) -> list[dict[str, Any]]:
    rows = uow.session.execute(
        select(TaskComment.created_at, CaseTask.name, User.display_name, TaskComment.body)
        .join(CaseTask, CaseTask.id == TaskComment.task_id)
        .outerjoin(User, User.id == TaskComment.author_id)
        .where(TaskComment.case_id == case.id)
        .order_by(TaskComment.created_at, TaskComment.id)
    ).all()
    return [{"at": _iso(at), "task": task, "by": by or "", "text": body} for at, task, by, body in rows]


def _places(uow: UnitOfWork, case: Case) -> list[dict[str, Any]]:
    rows = uow.session.execute(
        select(Room.name, Place.label, PlaceStay.from_at, PlaceStay.until_at)
        .join(Place, Place.room_id == Room.id)
        .join(PlaceStay, PlaceStay.place_id == Place.id)
        .where(PlaceStay.case_id == case.id)
        .order_by(PlaceStay.from_at)
    ).all()
    return [
        {"room": room, "place": label, "from": _iso(start), "until": _iso(end)}
        for room, label, start, end in rows
    ]


def _addresses(uow: UnitOfWork, centre_ids: list[int]) -> list[str]:
    found = uow.session.scalars(select(Centre.address).where(Centre.id.in_(centre_ids))).all()
    return sorted({address.strip() for address in found if address.strip()}, key=len, reverse=True)


def who_viewed_file(uow: UnitOfWork, who: Principal, public_id: str, file_format: str) -> list[Viewer]:
    """Who read the person's file(s), newest first, from the audit trail; the report is audited."""
    found = person_cases(uow, who, public_id)
    numbers = {case.id: case.number for case in found}
    viewing = [action for action in VIEW_ACTIONS if action not in _NOTE_ACTIONS]
    rows = uow.session.execute(
        select(AuditEvent.at, AuditEvent.case_id, AuditEvent.actor, User.display_name, AuditEvent.action)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.case_id.in_(numbers), AuditEvent.action.in_(viewing))
        .order_by(AuditEvent.id.desc())
        .limit(5000)
    ).all()
    _audit_each(uow, who, found, "case.viewers_report", file_format)
    return [
        Viewer(row.at, numbers[row.case_id], row.actor, row.display_name or row.actor, row.action)
        for row in rows
    ]


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _audit_each(uow: UnitOfWork, who: Principal, found: list[Case], action: str, file_format: str) -> None:
    """Each of the person's cases gets the entry: its own trail shows what was given out of it."""
    now = uow.clock.now()
    detail = {"format": file_format, "cases": len(found)}
    for case in found:
        record(uow.session, now, who, action, case_id=case.id, subject=case.number, detail=detail)
