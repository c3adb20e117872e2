"""A case's timeline: what happened to it, oldest first, with the reader's notes in their place.

Reads of the case are not on it (they are in "who viewed this case"); a note is, for those who may read
it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from engine.casework import attachments, notes
from engine.casework.documents import service as documents
from engine.casework.read.timeline_details import EntryDetail, details
from engine.store.models import AuditEvent, Case, User
from engine.store.uow import UnitOfWork

# Reads, and note changes (the notes themselves are on the timeline, each for those who may read it).
FILE_READS = (*attachments.READ_ACTIONS, *documents.READ_ACTIONS)  # downloads and previews of its files
READ_ACTIONS = ("case.read", "case.audit_read", *FILE_READS, "note.add", "note.edit")
TIMELINE_LIMIT = 300


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    action: str
    actor: str
    subject: str
    note_id: str = ""  # a note of the case (action ``note.<kind>``), for a link to it
    detail: EntryDetail = field(default_factory=EntryDetail)  # whom a task went to; a comment's text


def timeline_of(uow: UnitOfWork, case: Case) -> list[TimelineEntry]:
    """What happened to the case, oldest first (reads are in the audit view, not here)."""
    rows = uow.session.execute(
        select(
            AuditEvent.at,
            AuditEvent.action,
            AuditEvent.actor,
            User.display_name,
            AuditEvent.subject,
            AuditEvent.detail,
        )
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.case_id == case.id, AuditEvent.action.not_in(READ_ACTIONS))
        .order_by(AuditEvent.id.desc())
        .limit(TIMELINE_LIMIT)
    ).all()
    explained = details(
        uow, [(row.action, row.detail or {}) for row in rows], case, [r.subject for r in rows]
    )
    entries = [
        TimelineEntry(at, action, name or actor, subject, detail=more)
        for (at, action, actor, name, subject, _), more in zip(rows, explained, strict=True)
    ]
    return entries[::-1]


def with_notes(timeline: list[TimelineEntry], case_notes: list[notes.NoteView]) -> list[TimelineEntry]:
    """The timeline with the reader's notes at the time each happened, oldest first."""
    entries = [
        TimelineEntry(
            note.noted_at, f"note.{note.kind}", note.author, _excerpt(note.body), note_id=note.public_id
        )
        for note in case_notes
    ]
    return sorted([*timeline, *entries], key=lambda entry: entry.at)


def _excerpt(body: str, length: int = 80) -> str:
    line = " ".join(body.split())
    return line if len(line) <= length else line[: length - 1] + "…"
