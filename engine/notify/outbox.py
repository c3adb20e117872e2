"""The e-mail outbox: notification e-mails as rows, delivered after commit and retried with backoff.

:func:`engine.notify.notifications.notify_roles` writes one ``outbox_email`` row per e-mail in the same
transaction as the notification. Whoever delivers — a Celery worker (``tasks/mail.py``), the web
process's embedded sweeper when there is no Redis, or ``casepath mail deliver`` — calls
:func:`deliver_one` or :func:`deliver_due`, which never hold a transaction open while SMTP talks:

1. claim the row with one conditional UPDATE (due, not sent, not leased by someone else), count the
   attempt and take a lease of :data:`LEASE`; commit. A redelivered message or a second deliverer
   finds the row claimed or sent and does nothing;
2. send the e-mail, outside any transaction;
3. record the outcome: ``sent``, or ``failed`` with the next attempt after an exponential backoff,
   or ``given_up`` after :data:`MAX_ATTEMPTS`.

A deliverer that dies between 1 and 3 leaves a lease that expires; the row is tried again (at least
once: SMTP has no exactly-once). E-mails carry the case number and a link only; every header value is
one line (:func:`engine.notify.notifications.header_value`); errors are recorded as codes, never messages.
"""

from __future__ import annotations

import functools
import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from babel import support
from sqlalchemy import func, or_, select, update

from engine.config import PROJECT_ROOT
from engine.errors import NotFound, ValidationFailed
from engine.notify.mail import Email, Mailer
from engine.notify.messages import (
    DEADLINE_FIRED,
    ESCALATION_OPENED,
    N_,
    PATHWAY_APPROVAL,
    PATHWAY_DEPLOYED,
    ROLE_GRANTED,
    TASK_ASSIGNED,
    TASK_DUE_SOON,
    TASK_FOLLOW_UP,
    TASK_OVERDUE,
)
from engine.store.models import Case, Notification, OutboxEmail, User
from engine.store.uow import UnitOfWork

log = logging.getLogger(__name__)

STATES = ("pending", "failed", "sent", "given_up")
DUE_STATES = ("pending", "failed")
MAX_ATTEMPTS = 8  # 1 + 7 retries: about four hours with the delays below
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=2)
LEASE = timedelta(minutes=2)  # well beyond the SMTP timeout of one attempt
MAX_AGE = timedelta(days=3)  # an older e-mail is given up: stale news (e.g. SMTP configured late)
MAX_ID = 2**31 - 1

UowFactory = Callable[[], UnitOfWork]

# Each e-mail's subject: a fixed text and the case number, never a name (English message ids; the
# Bulgarian is in the web app's catalogue, which the deliverer reads outside any request).
SUBJECTS = {
    DEADLINE_FIRED: N_("Casepath: case %(number)s: a deadline has passed"),
    ROLE_GRANTED: N_("Casepath: a role was granted in the centre"),
    PATHWAY_DEPLOYED: N_("Casepath: a new pathway version"),
    TASK_ASSIGNED: N_("Casepath: case %(number)s: a task was given to you"),
    TASK_DUE_SOON: N_("Casepath: case %(number)s: your task is due tomorrow"),
    TASK_OVERDUE: N_("Casepath: case %(number)s: your task is overdue"),
    TASK_FOLLOW_UP: N_("Casepath: case %(number)s: your follow-up date is today"),
    ESCALATION_OPENED: N_("Casepath: case %(number)s: an escalation was opened"),
    PATHWAY_APPROVAL: N_("Casepath: a pathway change awaits approval"),
    "": N_("Casepath: case %(number)s"),
}
CATALOGUES = PROJECT_ROOT / "web" / "translations"


@functools.lru_cache(maxsize=8)
def _catalogue(locale: str) -> support.NullTranslations:
    return support.Translations.load(str(CATALOGUES), [locale], domain="messages")


def retry_delay(attempts: int) -> timedelta:
    """1 min, 2 min, 4 min … after the 1st, 2nd, 3rd … failed attempt, at most two hours."""
    delay: timedelta = FIRST_RETRY * 2 ** min(max(attempts - 1, 0), 16)
    return min(delay, LONGEST_RETRY)


def subject_for(kind: str, number: str, locale: str) -> str:
    """The subject in the user's language (Bulgarian unless they chose English), built from safe parts
    only: a fixed text per kind and the case number, never a diagram's text."""
    text = _catalogue(locale if locale in ("bg", "en") else "bg").gettext(SUBJECTS.get(kind, SUBJECTS[""]))
    return text % {"number": number} if "%(number)s" in text else text


def error_code(error: BaseException) -> str:
    """What went wrong, without anything the server or the message said (it may quote an address)."""
    if isinstance(error, smtplib.SMTPResponseException):
        return f"smtp_{error.smtp_code}"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "smtp_recipients_refused"
    return type(error).__name__[:80]


# --- claiming and recording, each in the caller's transaction ------------------------------------


def due_ids(uow: UnitOfWork, now: datetime, limit: int = 100) -> list[int]:
    """Rows to try now, oldest first (served by ix_outbox_email_status_next)."""
    query = (
        select(OutboxEmail.id)
        .where(
            OutboxEmail.status.in_(DUE_STATES),
            OutboxEmail.next_attempt_at <= now,
            or_(OutboxEmail.claimed_until.is_(None), OutboxEmail.claimed_until < now),
        )
        .order_by(OutboxEmail.next_attempt_at, OutboxEmail.id)
        .limit(limit)
    )
    return list(uow.session.scalars(query))


def claim(uow: UnitOfWork, outbox_id: int) -> bool:
    """Take the row for one attempt if it is due and nobody holds it; atomic on both databases."""
    now = uow.clock.now()
    result = uow.session.execute(
        update(OutboxEmail)
        .where(
            OutboxEmail.id == outbox_id,
            OutboxEmail.status.in_(DUE_STATES),
            OutboxEmail.next_attempt_at <= now,
            or_(OutboxEmail.claimed_until.is_(None), OutboxEmail.claimed_until < now),
        )
        .values(attempts=OutboxEmail.attempts + 1, claimed_until=now + LEASE)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def compose(uow: UnitOfWork, outbox_id: int, base_url: str) -> Email | None:
    """The e-mail of a row; None when its user has no address any more or is deactivated."""
    row = uow.session.execute(
        select(Notification.kind, Notification.link, User.email, User.locale, Case.number)
        .select_from(OutboxEmail)
        .join(Notification, Notification.id == OutboxEmail.notification_id)
        .join(User, User.id == Notification.user_id)
        .outerjoin(Case, Case.id == Notification.case_id)
        .where(OutboxEmail.id == outbox_id, User.active.is_(True), User.email != "")
    ).one_or_none()
    if row is None:
        return None
    subject = subject_for(row.kind, row.number or "", row.locale)
    # The body repeats the subject (a fixed text and the case number) with the link: the notification's
    # parameters (a task's or a person's name, a centre) stay in the application.
    return Email(row.email, subject, f"{subject}\n\n{base_url.rstrip('/')}{row.link}\n")


def record_sent(uow: UnitOfWork, outbox_id: int) -> None:
    now = uow.clock.now()
    row = uow.session.get_one(OutboxEmail, outbox_id)
    row.status, row.sent_at, row.claimed_until, row.last_error = "sent", now, None, ""
    uow.session.execute(
        update(Notification).where(Notification.id == row.notification_id).values(emailed_at=now)
    )


def record_failure(uow: UnitOfWork, outbox_id: int, code: str, give_up: bool = False) -> str:
    """``failed`` with the next attempt after the backoff, or ``given_up``; returns the new status."""
    row = uow.session.get_one(OutboxEmail, outbox_id)
    give_up = give_up or row.attempts >= MAX_ATTEMPTS
    row.status = "given_up" if give_up else "failed"
    row.next_attempt_at = uow.clock.now() + retry_delay(row.attempts)
    row.claimed_until, row.last_error = None, code[:80]
    return row.status


# --- delivering: each step its own short transaction, SMTP outside them ---------------------------


def deliver_one(make_uow: UowFactory, mailer: Mailer, base_url: str, outbox_id: int) -> str:
    """One attempt at one row: sent | failed | given_up, or "skipped" when it is not ours to try."""
    with make_uow() as uow:
        if not claim(uow, outbox_id):
            return "skipped"
        email, problem = _ready(uow, outbox_id, base_url)
        if email is None:
            outcome = record_failure(uow, outbox_id, problem, give_up=True)
        uow.commit()
    if email is None:
        return outcome
    try:
        mailer.send(email)
    except Exception as error:  # whatever the transport raised: recorded, retried, never lost
        return _record(make_uow, outbox_id, error)
    with make_uow() as uow:
        record_sent(uow, outbox_id)
        uow.commit()
    return "sent"


def _ready(uow: UnitOfWork, outbox_id: int, base_url: str) -> tuple[Email | None, str]:
    """The e-mail to send, or None and why it never will be."""
    created_at = uow.session.scalar(select(OutboxEmail.created_at).where(OutboxEmail.id == outbox_id))
    if created_at is None or uow.clock.now() - created_at > MAX_AGE:
        return None, "expired"
    email = compose(uow, outbox_id, base_url)
    return email, "" if email else "no_address"


def _record(make_uow: UowFactory, outbox_id: int, error: Exception) -> str:
    code = error_code(error)
    with make_uow() as uow:
        outcome = record_failure(uow, outbox_id, code)
        uow.commit()
    log.warning("e-mail %s not sent (%s): %s", outbox_id, code, outcome)
    return outcome


@dataclass(frozen=True)
class DeliveryRun:
    sent: int = 0
    failed: int = 0  # failed or given up in this run


def deliver_due(make_uow: UowFactory, mailer: Mailer, base_url: str, limit: int = 100) -> DeliveryRun:
    """Try every row due now, up to ``limit``; a row another deliverer holds is left to it."""
    with make_uow() as uow:
        ids = due_ids(uow, uow.clock.now(), limit)
    outcomes = [deliver_one(make_uow, mailer, base_url, outbox_id) for outbox_id in ids]
    return DeliveryRun(outcomes.count("sent"), outcomes.count("failed") + outcomes.count("given_up"))


# --- what operators see ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OutboxView:
    id: int
    notification_id: int
    kind: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str
    created_at: datetime
    sent_at: datetime | None


def counts(uow: UnitOfWork) -> dict[str, int]:
    """How many e-mails are in each state (every state present, zero or not)."""
    rows = uow.session.execute(select(OutboxEmail.status, func.count()).group_by(OutboxEmail.status))
    found = {status: int(n) for status, n in rows}
    return {state: found.get(state, 0) for state in STATES}


def list_mail(uow: UnitOfWork, state: str | None = None, limit: int = 100) -> list[OutboxView]:
    """Outbox rows, newest first; ``state`` one of :data:`STATES`."""
    if state is not None and state not in STATES:
        raise ValidationFailed("unknown state", {"state": [f"one of {', '.join(STATES)}"]})
    query = (
        select(OutboxEmail, Notification.kind)
        .join(Notification, Notification.id == OutboxEmail.notification_id)
        .order_by(OutboxEmail.created_at.desc(), OutboxEmail.id.desc())
        .limit(limit)
    )
    if state is not None:
        query = query.where(OutboxEmail.status == state)
    return [_view(row, kind) for row, kind in uow.session.execute(query)]


def retry(uow: UnitOfWork, outbox_id: int) -> OutboxView:
    """Try a failed or given-up e-mail again at once (one more attempt); a sent one stays sent, and
    one older than :data:`MAX_AGE` is not news any more."""
    row = uow.session.get(OutboxEmail, outbox_id) if 0 < outbox_id <= MAX_ID else None
    if row is None:
        raise NotFound("e-mail not found in the outbox")
    if row.status == "sent":
        raise ValidationFailed("this e-mail has been sent", {"id": ["already sent"]})
    if uow.clock.now() - row.created_at > MAX_AGE:
        raise ValidationFailed(
            "this e-mail is too old to send", {"id": ["older than the outbox keeps trying"]}
        )
    row.status, row.next_attempt_at, row.claimed_until = "pending", uow.clock.now(), None
    uow.session.flush()
    kind = uow.session.scalar(select(Notification.kind).where(Notification.id == row.notification_id))
    return _view(row, kind or "")


def _view(row: OutboxEmail, kind: str) -> OutboxView:
    return OutboxView(
        row.id,
        row.notification_id,
        kind,
        row.status,
        row.attempts,
        row.next_attempt_at,
        row.last_error,
        row.created_at,
        row.sent_at,
    )
