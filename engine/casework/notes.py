"""Case notes: a dated note on a case (a contact, a phone call, an incident at the centre), written by
a member of the centre's staff, optionally about one of the case's tasks.

A note is for all staff who may open the case, or for the centre's psychologists only (a therapy note:
``engine.people.permissions.can_read_note``). Its author may edit it; the earlier text is kept as a
revision, and every change is audited (``note.add``, ``note.edit``: which note, never its text). A
reader who may not read a note is told it does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from engine.audit.chain import record
from engine.casework.cases import get_case
from engine.clock import as_utc
from engine.errors import NotFound, ValidationFailed
from engine.people.permissions import (
    Principal,
    can_edit_note,
    can_read_note,
    can_write_note,
    require,
)
from engine.store.models import Case, CaseNote, CaseNoteRevision, CaseTask, User
from engine.store.uow import UnitOfWork

KINDS = ("contact", "phone_call", "incident", "other")
VISIBILITIES = ("staff", "psychologist")
MAX_BODY = 10_000
NOTE_LIMIT = 500  # the newest notes a case file shows
# Field messages (web/field_messages.py shows them in the reader's language).
REQUIRED = "required"
TOO_LONG = f"at most {MAX_BODY} characters"
IN_FUTURE = "not in the future"
THERAPY_ONLY = "only a psychologist of the centre may choose this"
NOT_A_TASK = "not a task of this case"
NOT_A_DATE = "a date and time, e.g. 2025-09-01T10:00"


@dataclass(frozen=True)
class NoteInput:
    kind: str
    body: str
    visibility: str = "staff"
    noted_at: datetime | None = None  # when it happened; now if not given
    task_id: str = ""  # public id of one of the case's tasks, or ""


@dataclass(frozen=True)
class NoteChange:
    """What an edit changes; None keeps what the note says (``task_id=""`` unlinks the task)."""

    kind: str | None = None
    body: str | None = None
    noted_at: datetime | None = None
    task_id: str | None = None


@dataclass(frozen=True)
class NoteRevisionView:
    kind: str
    noted_at: datetime
    body: str
    written_at: datetime
    replaced_at: datetime
    replaced_by: str


@dataclass(frozen=True)
class NoteView:
    public_id: str
    kind: str
    visibility: str
    noted_at: datetime
    body: str
    author: str
    created_at: datetime
    edited_at: datetime | None
    task_id: str
    task_name: str
    can_edit: bool
    revisions: list[NoteRevisionView]


def validate_note(entry: NoteInput, now: datetime) -> None:
    fields: dict[str, list[str]] = {}
    if entry.kind not in KINDS:
        fields["kind"] = [f"one of {', '.join(KINDS)}"]
    if entry.visibility not in VISIBILITIES:
        fields["visibility"] = [f"one of {', '.join(VISIBILITIES)}"]
    if not entry.body.strip():
        fields["body"] = [REQUIRED]
    elif len(entry.body) > MAX_BODY:
        fields["body"] = [TOO_LONG]
    if entry.noted_at is not None and as_utc(entry.noted_at) > now:
        fields["noted_at"] = [IN_FUTURE]
    if fields:
        raise ValidationFailed("the note has errors", fields)


def add_note(uow: UnitOfWork, who: Principal, case_public_id: str, entry: NoteInput) -> CaseNote:
    """Write a note on a case the author may open; a therapy note only if they read therapy notes."""
    case = get_case(uow, who, case_public_id)
    now = uow.clock.now()
    validate_note(entry, now)
    if not can_write_note(who, case, entry.visibility):
        raise ValidationFailed(
            "only a psychologist writes a note for the psychologist only",
            {"visibility": [THERAPY_ONLY]},
        )
    note = CaseNote(
        case_id=case.id,
        task_id=_task_of(uow, case, entry.task_id),
        author_id=who.user_id,
        kind=entry.kind,
        visibility=entry.visibility,
        noted_at=as_utc(entry.noted_at) if entry.noted_at else now,
        body=entry.body.strip(),
        created_at=now,
    )
    uow.session.add(note)
    uow.session.flush()
    _audit(uow, who, case, "note.add", note)
    return note


def edit_note(
    uow: UnitOfWork, who: Principal, case_public_id: str, note_public_id: str, change: NoteChange
) -> CaseNote:
    """Its author changes a note's kind, date, task or text; the earlier text is kept as a revision.

    The visibility stays as written: a therapy note never becomes readable by all staff by an edit.
    """
    case = get_case(uow, who, case_public_id)
    note = _get_note(uow, who, case, note_public_id)
    require(can_edit_note(who, case, note), "only the author edits a note")
    now = uow.clock.now()
    kind = note.kind if change.kind is None else change.kind
    body = note.body if change.body is None else change.body
    validate_note(NoteInput(kind, body, note.visibility, change.noted_at), now)
    uow.session.add(
        CaseNoteRevision(
            note_id=note.id,
            kind=note.kind,
            noted_at=note.noted_at,
            body=note.body,
            written_at=note.edited_at or note.created_at,
            replaced_at=now,
            replaced_by_id=who.user_id,
        )
    )
    note.kind = kind
    note.body = body.strip()
    note.noted_at = as_utc(change.noted_at) if change.noted_at else note.noted_at
    if change.task_id is not None:
        note.task_id = _task_of(uow, case, change.task_id)
    note.edited_at = now
    uow.session.flush()
    _audit(uow, who, case, "note.edit", note)
    return note


def list_notes(uow: UnitOfWork, who: Principal, case: Case) -> list[NoteView]:
    """The notes of a case that the reader may read, newest first, with their earlier texts."""
    rows = uow.session.execute(
        select(CaseNote, User.display_name, User.username, CaseTask.public_id, CaseTask.name)
        .outerjoin(User, User.id == CaseNote.author_id)
        .outerjoin(CaseTask, CaseTask.id == CaseNote.task_id)
        .where(CaseNote.case_id == case.id)
        .order_by(CaseNote.noted_at.desc(), CaseNote.id.desc())
        .limit(NOTE_LIMIT)
    ).all()
    readable = [row for row in rows if can_read_note(who, case, row[0])]
    revisions = _revisions(uow, [row[0].id for row in readable])
    return [
        NoteView(
            public_id=note.public_id,
            kind=note.kind,
            visibility=note.visibility,
            noted_at=note.noted_at,
            body=note.body,
            author=name or username or "",
            created_at=note.created_at,
            edited_at=note.edited_at,
            task_id=task_id or "",
            task_name=task_name or "",
            can_edit=can_edit_note(who, case, note),
            revisions=revisions.get(note.id, []),
        )
        for note, name, username, task_id, task_name in readable
    ]


def read_notes(uow: UnitOfWork, who: Principal, case_public_id: str) -> list[NoteView]:
    """The notes of a case for the API; the read is audited like a read of the case file."""
    case = get_case(uow, who, case_public_id)
    notes = list_notes(uow, who, case)
    detail = {"view": "notes"}
    record(
        uow.session, uow.clock.now(), who, "case.read", case_id=case.id, subject=case.number, detail=detail
    )
    return notes


def read_note(uow: UnitOfWork, who: Principal, case_public_id: str, note_public_id: str) -> NoteView:
    """One note as its reader sees it (after a change: not audited as a read)."""
    case = get_case(uow, who, case_public_id)
    for note in list_notes(uow, who, case):
        if note.public_id == note_public_id:
            return note
    raise NotFound("note not found")


def _get_note(uow: UnitOfWork, who: Principal, case: Case, public_id: str) -> CaseNote:
    note = uow.session.scalar(
        select(CaseNote).where(CaseNote.public_id == public_id, CaseNote.case_id == case.id)
    )
    if note is None or not can_read_note(who, case, note):
        raise NotFound("note not found")  # a therapy note does not exist for other staff
    return note


def _task_of(uow: UnitOfWork, case: Case, task_public_id: str) -> int | None:
    if not task_public_id:
        return None
    task_id = uow.session.scalar(
        select(CaseTask.id).where(CaseTask.public_id == task_public_id, CaseTask.case_id == case.id)
    )
    if task_id is None:
        raise ValidationFailed("the note has errors", {"task_id": [NOT_A_TASK]})
    return task_id


def _revisions(uow: UnitOfWork, note_ids: list[int]) -> dict[int, list[NoteRevisionView]]:
    if not note_ids:
        return {}
    rows = uow.session.execute(
        select(CaseNoteRevision, User.display_name, User.username)
        .outerjoin(User, User.id == CaseNoteRevision.replaced_by_id)
        .where(CaseNoteRevision.note_id.in_(note_ids))
        .order_by(CaseNoteRevision.id.desc())
    ).all()
    found: dict[int, list[NoteRevisionView]] = {}
    for revision, name, username in rows:
        found.setdefault(revision.note_id, []).append(
            NoteRevisionView(
                revision.kind,
                revision.noted_at,
                revision.body,
                revision.written_at,
                revision.replaced_at,
                name or username or "",
            )
        )
    return found


def _audit(uow: UnitOfWork, who: Principal, case: Case, action: str, note: CaseNote) -> None:
    """Which note changed, its kind and who may read it: never its text."""
    detail = {"note": note.public_id, "kind": note.kind, "visibility": note.visibility}
    record(uow.session, uow.clock.now(), who, action, case_id=case.id, subject=case.number, detail=detail)
