"""Notifications: in-app rows per user and outbox e-mails, written in the caller's transaction.

A notification says which case (its number) and what happened, with a link that carries the case's
opaque ``public_id``: never the person's name nor the centre's address (DOMAIN.md, confidentiality).
A row stores a message id (``kind``) and its parameters (``engine.notify.messages``), never a text:
each reader sees it in their own language. Services call :func:`notify_roles` (or
:func:`notify_centre`, :func:`notify_users`), which adds the rows and, for users with an address who
want that kind by e-mail (``engine.notify.preferences``), an ``outbox_email`` row each;
:mod:`engine.notify.outbox` delivers those after the commit, outside the request, and retries them
with backoff. The SMTP transport is :mod:`engine.notify.mail`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import func, select, update

from engine.errors import NotFound
from engine.notify.messages import (
    DEADLINE_FIRED,
    PATHWAY_APPROVAL,
    PATHWAY_DEPLOYED,
    PATHWAY_THREW,
    ROLE_GRANTED,
)
from engine.notify.preferences import emailed_users
from engine.paging import page_count
from engine.store.models import Case, Membership, Notification, OutboxEmail, User
from engine.store.uow import UnitOfWork

PAGE_SIZE = 20
MAX_PAGE = 10_000
MAX_ID = 2**31 - 1  # notification.id is a 32-bit integer
Params = Mapping[str, Any]
__all__ = ["DEADLINE_FIRED", "PATHWAY_APPROVAL", "PATHWAY_DEPLOYED", "PATHWAY_THREW", "ROLE_GRANTED"]


@dataclass(frozen=True)
class EmailsQueued:
    """Outbox rows that were written; after commit, a dispatcher may wake whoever delivers them."""

    outbox_ids: tuple[int, ...]


class Reader(Protocol):
    """Whoever reads their notifications: any principal with a user id (notify knows no permissions)."""

    @property
    def user_id(self) -> int | None: ...


def case_link(case: Case) -> str:
    return f"/cases/{case.public_id}"


def deadline_params(case_number: str, name: str, name_en: str = "") -> dict[str, str]:
    """What a fired deadline says: the case number and the timer's name from the diagram (both languages)."""
    return {"number": case_number, "name": name, "name_en": name_en or name}


def thrown_params(case_number: str, name: str, name_en: str = "") -> dict[str, str]:
    """What a send task or throw event says: the case number and the element's name (both languages)."""
    return {"number": case_number, "name": name, "name_en": name_en or name}


def recipients(uow: UnitOfWork, centre_id: int, roles: Iterable[str]) -> list[User]:
    """Active users who hold one of ``roles`` in the centre."""
    query = (
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.centre_id == centre_id, Membership.role.in_(list(roles)), User.active.is_(True))
        .order_by(User.id)
    )
    return list(uow.session.scalars(query).unique())


def notify_roles(
    uow: UnitOfWork, case: Case, roles: Iterable[str], kind: str, params: Params
) -> list[Notification]:
    """One notification per user holding a role in the case's centre, and an outbox e-mail for each
    user with an address: rows in the caller's transaction, mailed after it commits
    (engine/notify/outbox.py)."""
    return _notify(uow, recipients(uow, case.centre_id, roles), kind, params, case)


def notify_centre(
    uow: UnitOfWork,
    centre_id: int,
    roles: Iterable[str],
    kind: str,
    params: Params,
    exclude: Iterable[int] = (),
) -> list[Notification]:
    """One notification about the centre itself (no case) per user holding a role there."""
    skip = set(exclude)
    users = [user for user in recipients(uow, centre_id, roles) if user.id not in skip]
    return _notify(uow, users, kind, params)


def notify_users(
    uow: UnitOfWork, users: list[User], kind: str, params: Params, case: Case | None = None, link: str = ""
) -> list[Notification]:
    """One notification to each of these users (e.g. a task's holder), linking to ``link`` or the case."""
    return _notify(uow, [user for user in users if user.active], kind, params, case, link)


def _notify(
    uow: UnitOfWork, users: list[User], kind: str, params: Params, case: Case | None = None, link: str = ""
) -> list[Notification]:
    now = uow.clock.now()
    rows = [
        Notification(
            user_id=user.id,
            case_id=case.id if case is not None else None,
            kind=kind,
            params=dict(params),
            text="",
            link=link or (case_link(case) if case is not None else ""),
            created_at=now,
        )
        for user in users
    ]
    if rows:
        uow.session.add_all(rows)
        uow.session.flush()
        wanted = emailed_users(uow, [user for user in users if user.email], kind)
        queue_emails(uow, [row for row in rows if row.user_id in wanted], now)
    return rows


def queue_emails(uow: UnitOfWork, rows: list[Notification], now: datetime) -> None:
    mails = [
        OutboxEmail(notification_id=row.id, status="pending", next_attempt_at=now, created_at=now)
        for row in rows
    ]
    if mails:
        uow.session.add_all(mails)
        uow.session.flush()
        uow.emit(EmailsQueued(tuple(mail.id for mail in mails)))


# --- read side, for the header badge and the list page -------------------------------------------


@dataclass(frozen=True)
class NotificationView:
    id: int
    kind: str
    text: str
    link: str
    created_at: datetime
    read: bool
    case_public_id: str | None = None  # the opaque id to link to; None once the case is gone
    params: dict[str, Any] | None = field(default=None)  # None: a row from before message ids (``text``)


@dataclass(frozen=True)
class NotificationPage:
    items: list[NotificationView]
    page: int
    total: int
    per_page: int

    @property
    def has_next(self) -> bool:
        return self.page * self.per_page < self.total

    @property
    def pages(self) -> int:
        return page_count(self.total, self.per_page)


def unread_count(uow: UnitOfWork, user_id: int) -> int:
    query = select(func.count()).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    return int(uow.session.scalar(query) or 0)


def list_for(uow: UnitOfWork, user_id: int, page: int = 1, per_page: int = PAGE_SIZE) -> NotificationPage:
    """A user's notifications, newest first, one page at a time (pages start at 1)."""
    page = min(max(page, 1), MAX_PAGE)
    total = uow.session.scalar(select(func.count()).where(Notification.user_id == user_id)) or 0
    rows = uow.session.execute(
        select(
            Notification.id,
            Notification.kind,
            Notification.text,
            Notification.link,
            Notification.created_at,
            Notification.read_at,
            Case.public_id,
            Notification.params,
        )
        .outerjoin(Case, Case.id == Notification.case_id)
        .where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    items = [
        NotificationView(
            r.id, r.kind, r.text, r.link, r.created_at, r.read_at is not None, r.public_id, r.params
        )
        for r in rows
    ]
    return NotificationPage(items, page, int(total), per_page)


def mark_read(uow: UnitOfWork, who: Reader, notification_id: int) -> None:
    """Mark one of the user's own notifications read; someone else's does not exist for them."""
    if not 0 < notification_id <= MAX_ID:  # beyond the column's range: PostgreSQL would refuse the query
        raise NotFound("notification not found")
    row = uow.session.get(Notification, notification_id)
    if row is None or row.user_id != who.user_id:
        raise NotFound("notification not found")
    if row.read_at is None:
        row.read_at = uow.clock.now()
        uow.session.flush()


def mark_all_read(uow: UnitOfWork, who: Reader) -> int:
    result = uow.session.execute(
        update(Notification)
        .where(Notification.user_id == who.user_id, Notification.read_at.is_(None))
        .values(read_at=uow.clock.now())
    )
    return int(getattr(result, "rowcount", 0) or 0)
