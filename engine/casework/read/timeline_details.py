"""What a timeline entry adds to its action: whom a task went to (or that it was released), and a
comment's text. Read for a page of entries at once: one query for the names, one for the comments."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import func, select

from engine.casework.migration.texts import TIMELINE_MIGRATED, TIMELINE_REVERTED
from engine.casework.task_notes import comment_texts
from engine.pathways.names import english_names_of_version
from engine.store.models import Case, CaseTask, User
from engine.store.uow import UnitOfWork

MIGRATION_LINES = {"case.migrated": TIMELINE_MIGRATED, "case.migration_reverted": TIMELINE_REVERTED}
REPAIRS = frozenset({"case.suspend", "case.resume", "case.move", "deadline.cancel"})


@dataclass(frozen=True)
class EntryDetail:
    to: str = ""  # the new holder's name, for a reassignment
    released: bool = False  # a reassignment to nobody, or a release
    note: str = ""  # a comment's text
    subject_en: str = ""  # the subject (a task's name, as recorded) in English, where the diagram has it
    line: str = ""  # a message id of engine/casework/migration/texts.py (a migrated or reverted case)
    params: dict[str, Any] | None = None  # its parameters


def details(
    uow: UnitOfWork,
    entries: list[tuple[str, dict[str, Any]]],
    case: Case | None = None,
    subjects: list[str] | None = None,
) -> list[EntryDetail]:
    """One detail per (action, audit detail) pair, in order; given the case and each entry's subject,
    the subjects that name a task of the case in English too."""
    found = _details(uow, entries)
    if case is None or subjects is None:
        return found
    english = english_subjects(uow, case)
    return [replace(d, subject_en=english.get(s or "", "")) for d, s in zip(found, subjects, strict=True)]


def english_subjects(uow: UnitOfWork, case: Case) -> dict[str, str]:
    """A task's recorded name (the timeline's subject) → its English name, for the case's tasks."""
    names_en = english_names_of_version(uow, case.pathway_version_id)
    if not names_en:
        return {}
    rows = uow.session.execute(
        select(CaseTask.name, CaseTask.element_id).where(CaseTask.case_id == case.id).distinct()
    )
    return {name: names_en[element] for name, element in rows if element in names_en}


def _details(uow: UnitOfWork, entries: list[tuple[str, dict[str, Any]]]) -> list[EntryDetail]:
    usernames = {str(d.get("to")) for action, d in entries if action == "task.reassign" and d.get("to")}
    names: dict[str, str] = {}
    if usernames:
        shown = func.coalesce(func.nullif(User.display_name, ""), User.username)
        query = select(User.username, shown).where(User.username.in_(usernames))
        names = {username: name for username, name in uow.session.execute(query)}
    ids = [int(d["comment"]) for action, d in entries if action == "task.comment" and "comment" in d]
    texts = comment_texts(uow, ids)
    return [_detail(action, d, names, texts) for action, d in entries]


def _detail(action: str, detail: dict[str, Any], names: dict[str, str], texts: dict[int, str]) -> EntryDetail:
    if action == "task.reassign":
        to = str(detail.get("to") or "")
        return EntryDetail(to=names.get(to, to), released=not to)
    if action == "task.unclaim":
        return EntryDetail(released=True)
    if action in MIGRATION_LINES:
        params = {"version": detail.get("to", ""), "moved": list(detail.get("moved", []))[:20]}
        return EntryDetail(line=MIGRATION_LINES[action], params=params)
    if action in REPAIRS:  # the reason the coordinator gave (engine/casework/repair.py)
        return EntryDetail(note=str(detail.get("reason") or ""))
    if action == "task.comment" and "comment" in detail:
        return EntryDetail(note=texts.get(int(detail["comment"]), ""))
    return EntryDetail()
