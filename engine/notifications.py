"""Notifications: in-app rows per user, written in the caller's transaction; e-mail only after commit.

A notification says which case (its number) and what happened, with a link that carries the case's
opaque ``public_id``: never the person's name nor the centre's address (DOMAIN.md, confidentiality).
Services call :func:`notify_roles`, which adds the rows and emits :class:`NotificationsCreated`; the
unit of work hands that event to :class:`EmailDispatcher` only once the commit has succeeded.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any, Protocol

from sqlalchemy import func, select, update

from engine.errors import NotFound
from engine.paging import page_count
from engine.permissions import Principal
from engine.roles import resolve_role
from engine.store.models import Case, Membership, Notification, User
from engine.store.uow import UnitOfWork

log = logging.getLogger(__name__)
PAGE_SIZE = 20
MAX_PAGE = 10_000
MAX_ID = 2**31 - 1  # notification.id is a 32-bit integer
DEADLINE_FIRED = "deadline.fired"
ROLE_GRANTED = "role.granted"


@dataclass(frozen=True)
class NotificationsCreated:
    """Rows that were written; e-mailed by the dispatcher after the transaction commits."""

    notification_ids: tuple[int, ...]


def case_link(case: Case) -> str:
    return f"/cases/{case.public_id}"


def parse_roles(value: str) -> list[str]:
    """``"manager, case_lead"`` → role codes; unknown names are ignored (the linter reports them)."""
    codes = [resolve_role(part) for part in value.split(",") if part.strip()]
    return sorted({code for code in codes if code is not None})


def deadline_texts(case_number: str, name: str, name_en: str = "") -> dict[str, str]:
    """What a fired deadline says, per locale: the case number and the timer's name from the diagram."""
    return {
        "bg": f"Случай {case_number}: изтече срокът „{name}“",
        "en": f"Case {case_number}: deadline “{name_en or name}” has passed",
    }


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
    uow: UnitOfWork, case: Case, roles: Iterable[str], kind: str, texts: Mapping[str, str]
) -> list[Notification]:
    """One notification per user holding a role in the case's centre; e-mail follows the commit."""
    now = uow.clock.now()
    rows = [
        Notification(
            user_id=user.id,
            case_id=case.id,
            kind=kind,
            text=(texts.get(user.locale) or texts["bg"])[:500],
            link=case_link(case),
            created_at=now,
        )
        for user in recipients(uow, case.centre_id, roles)
    ]
    if rows:
        uow.session.add_all(rows)
        uow.session.flush()
        uow.emit(NotificationsCreated(tuple(row.id for row in rows)))
    return rows


def notify_centre(
    uow: UnitOfWork,
    centre_id: int,
    roles: Iterable[str],
    kind: str,
    texts: Mapping[str, str],
    exclude: Iterable[int] = (),
) -> list[Notification]:
    """One notification about the centre itself (no case) per user holding a role there."""
    now, skip = uow.clock.now(), set(exclude)
    rows = [
        Notification(
            user_id=user.id, kind=kind, text=(texts.get(user.locale) or texts["bg"])[:500], created_at=now
        )
        for user in recipients(uow, centre_id, roles)
        if user.id not in skip
    ]
    if rows:
        uow.session.add_all(rows)
        uow.session.flush()
        uow.emit(NotificationsCreated(tuple(row.id for row in rows)))
    return rows


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
        )
        .outerjoin(Case, Case.id == Notification.case_id)
        .where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    items = [
        NotificationView(r.id, r.kind, r.text, r.link, r.created_at, r.read_at is not None, r.public_id)
        for r in rows
    ]
    return NotificationPage(items, page, int(total), per_page)


def mark_read(uow: UnitOfWork, who: Principal, notification_id: int) -> None:
    """Mark one of the user's own notifications read; someone else's does not exist for them."""
    if not 0 < notification_id <= MAX_ID:  # beyond the column's range: PostgreSQL would refuse the query
        raise NotFound("notification not found")
    row = uow.session.get(Notification, notification_id)
    if row is None or row.user_id != who.user_id:
        raise NotFound("notification not found")
    if row.read_at is None:
        row.read_at = uow.clock.now()
        uow.session.flush()


def mark_all_read(uow: UnitOfWork, who: Principal) -> int:
    result = uow.session.execute(
        update(Notification)
        .where(Notification.user_id == who.user_id, Notification.read_at.is_(None))
        .values(read_at=uow.clock.now())
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- e-mail, after commit ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str


class Mailer(Protocol):
    def send(self, email: Email) -> None: ...


class SmtpMailer:
    """SMTP through the standard library: a relay as it is, or a server asking for STARTTLS and a login."""

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        timeout: float = 10.0,
        user: str = "",
        password: str = "",
        starttls: bool = False,
    ) -> None:
        self.host, self.port, self.sender, self.timeout = host, port, sender, timeout
        self.user, self.password, self.starttls = user, password, starttls

    def send(self, email: Email) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = email.to
        message["Subject"] = email.subject
        message.set_content(email.body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.user:
                smtp.login(self.user, self.password)
            smtp.send_message(message)


def unsent_emails(uow: UnitOfWork, ids: Iterable[int], base_url: str) -> list[tuple[int, Email]]:
    """The given notifications not yet e-mailed whose user has an address, as e-mails."""
    rows = uow.session.execute(
        select(Notification.id, Notification.text, Notification.link, User.email)
        .join(User, User.id == Notification.user_id)
        .where(Notification.id.in_(list(ids)), Notification.emailed_at.is_(None), User.email != "")
        .order_by(Notification.id)
    ).all()
    return [
        (
            row.id,
            Email(
                row.email, f"Casepath: {row.text}"[:200], f"{row.text}\n\n{base_url.rstrip('/')}{row.link}\n"
            ),
        )
        for row in rows
    ]


def mark_emailed(uow: UnitOfWork, ids: list[int], at: datetime) -> None:
    if ids:
        uow.session.execute(update(Notification).where(Notification.id.in_(ids)).values(emailed_at=at))


class EmailDispatcher:
    """The after-commit dispatcher: e-mails the notifications of committed transactions.

    It runs outside the transaction that wrote the rows (which has committed), so it owns one small
    transaction of its own to record ``emailed_at``. A mail server that is down costs a log line,
    never the change that caused the notification; the in-app row is there either way.
    """

    def __init__(self, make_uow: Callable[[], UnitOfWork], mailer: Mailer, base_url: str) -> None:
        self.make_uow, self.mailer, self.base_url = make_uow, mailer, base_url

    def __call__(self, events: Iterable[Any]) -> None:
        ids = [
            i for event in events if isinstance(event, NotificationsCreated) for i in event.notification_ids
        ]
        if not ids:
            return
        try:
            self.deliver(ids)
        except Exception:
            log.exception("e-mailing notifications %s failed", ids)

    def deliver(self, ids: list[int]) -> int:
        sent: list[int] = []
        with self.make_uow() as uow:
            for notification_id, email in unsent_emails(uow, ids, self.base_url):
                try:
                    self.mailer.send(email)
                except (OSError, smtplib.SMTPException) as error:
                    log.warning("notification %s not e-mailed: %s", notification_id, type(error).__name__)
                    continue
                sent.append(notification_id)
            mark_emailed(uow, sent, uow.clock.now())
            uow.commit()
        return len(sent)
