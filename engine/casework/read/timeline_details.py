"""What a timeline entry adds to its action: whom a task went to (or that it was released), and a
comment's text. Read for a page of entries at once: one query for the names, one for the comments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from engine.casework.task_notes import comment_texts
from engine.store.models import User
from engine.store.uow import UnitOfWork


@dataclass(frozen=True)
class EntryDetail:
    to: str = ""  # the new holder's name, for a reassignment
    released: bool = False  # a reassignment to nobody, or a release
    note: str = ""  # a comment's text


def details(uow: UnitOfWork, entries: list[tuple[str, dict[str, Any]]]) -> list[EntryDetail]:
    """One detail per (action, audit detail) pair, in order."""
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
    if action == "task.comment" and "comment" in detail:
        return EntryDetail(note=texts.get(int(detail["comment"]), ""))
    return EntryDetail()
