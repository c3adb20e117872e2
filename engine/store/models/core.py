"""The core tables: people, centres, pathways, cases, their tasks and deadlines, audit, notifications."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def new_public_id() -> str:
    """An opaque id for URLs: never a name, never a sequence number."""
    return uuid.uuid4().hex


def new_security_stamp() -> str:
    return secrets.token_hex(16)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Centre(Base):
    __tablename__ = "centre"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))  # crisis_centre | community_support
    capacity: Mapped[int] = mapped_column(Integer)
    address: Mapped[str] = mapped_column(Text, default="")  # confidential: only this centre's staff
    # What outgoing documents carry in their letterhead (never the confidential address above).
    correspondence_address: Mapped[str] = mapped_column(Text, default="", server_default="")
    phone: Mapped[str] = mapped_column(String(60), default="", server_default="")
    email: Mapped[str] = mapped_column(String(255), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str] = mapped_column(String(255), default="")
    locale: Mapped[str] = mapped_column(String(8), default="bg")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Kept in every session at sign-in; a new stamp ends all of the user's sessions at their next request.
    security_stamp: Mapped[str] = mapped_column(String(64), default=new_security_stamp)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)  # reset by an administrator

    memberships: Mapped[list[Membership]] = relationship(back_populates="user", lazy="selectin")


class Membership(Base):
    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "centre_id", name="uq_membership_user_centre"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(30))

    user: Mapped[User] = relationship(back_populates="memberships")
    centre: Mapped[Centre] = relationship(lazy="joined")


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # to a few minutes
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SignInThrottle(Base):
    """Failed sign-ins per account name (known or not), so guessing is slowed across web processes."""

    __tablename__ = "sign_in_throttle"

    account_key: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the name
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Pathway(Base):
    __tablename__ = "pathway"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    centre_kind: Mapped[str] = mapped_column(String(30), default="")
    target: Mapped[str] = mapped_column(String(20), default="any")  # adult | child | any


class PathwayVersion(Base):
    __tablename__ = "pathway_version"
    __table_args__ = (UniqueConstraint("pathway_id", "version", name="uq_pathway_version_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pathway_id: Mapped[int] = mapped_column(ForeignKey("pathway.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    process_id: Mapped[str] = mapped_column(String(200))
    bpmn_xml: Mapped[str] = mapped_column(Text, deferred=True)  # read only by the diagram view
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    spec_json: Mapped[str] = mapped_column(Text)
    deployed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")  # why it was deployed (the studio asks for one)
    # the scenarios deployed with it from the studio (name → scenario); None: the files beside the pathway
    scenarios: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True, deferred=True)

    pathway: Mapped[Pathway] = relationship(lazy="joined")


class Case(Base):
    __tablename__ = "case_file"
    # Occupancy counts a centre's staying cases from this index alone (left_at included: see
    # centres.staying), never reading the closed cases, whose number only grows.
    # The dashboard's arrivals and exits of a month, and its stays near the cap, read these too.
    __table_args__ = (
        # admitted_at too: the stays near the cap and their lengths are read from the index alone, never
        # from the rows, which carry the workflow state.
        Index("ix_case_file_centre_status", "centre_id", "status", "left_at", "admitted_at"),
        Index("ix_case_file_centre_admitted", "centre_id", "admitted_at"),
        Index("ix_case_file_centre_left", "centre_id", "left_at", "admitted_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id"), index=True)
    pathway_version_id: Mapped[int] = mapped_column(ForeignKey("pathway_version.id"), index=True)
    display_name: Mapped[str] = mapped_column(String(200))
    birth_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    sex: Mapped[str] = mapped_column(String(10), server_default="")  # female | male | "" (not said)
    # Kept when retention pseudonymises a closed case (engine/casework/retention.py): the birth date
    # goes, its year and the age band at admission stay, so the statistics count the case as before.
    birth_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    age_band: Mapped[str] = mapped_column(String(20), server_default="")
    pseudonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    target_group: Mapped[str] = mapped_column(String(40))
    legal_basis: Mapped[str] = mapped_column(String(40))
    referral_number: Mapped[str] = mapped_column(String(80), default="")
    referral_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    admitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | incident | suspended | closed
    # Since when a coordinator holds the case (status "suspended"): its timers wait, its tasks are not done.
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # When the person left (a task marked ``ends_stay`` was completed): no longer takes a place, though
    # the case stays open for its follow-ups.
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    workflow_state: Mapped[bytes] = mapped_column(LargeBinary)  # bpmn.state.dump_state: zlib'd JSON
    serializer_version: Mapped[str] = mapped_column(String(40))  # what wrote it; load_state refuses others
    incident_element: Mapped[str] = mapped_column(String(200), default="")
    incident_message: Mapped[str] = mapped_column(Text, default="")
    incident_expression: Mapped[str] = mapped_column(Text, default="")
    incident_problem: Mapped[str] = mapped_column(String(40), default="")  # engine/bpmn/run_problems.py
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    centre: Mapped[Centre] = relationship(lazy="joined")
    pathway_version: Mapped[PathwayVersion] = relationship(lazy="select")


class CaseTask(Base):
    """The inbox read model: one row per human task a case has had."""

    __tablename__ = "case_task"
    __table_args__ = (
        Index("ix_case_task_inbox_role", "status", "centre_id", "role", "due_at"),
        Index("ix_case_task_inbox_assignee", "status", "assignee_id", "due_at"),
        Index("ix_case_task_case_status", "case_id", "status"),
        # The reminder sweep: open tasks by due date (day-before and overdue notices) and follow-up day.
        Index("ix_case_task_status_due", "status", "due_at"),
        Index("ix_case_task_status_follow_up", "status", "follow_up_on"),
        # The overdue-work chart reads its tasks from this index alone (the rows carry form data).
        Index("ix_case_task_centre_done", "centre_id", "status", "completed_at", "due_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"))
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id"))
    workflow_task_id: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(30))
    form_key: Mapped[str] = mapped_column(String(120), default="")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # How the due date was counted, for people: the diagram's duration and its anchor ("" if computed).
    due_duration: Mapped[str] = mapped_column(String(40), default="")
    due_from: Mapped[str] = mapped_column(String(40), default="")
    ends_stay: Mapped[bool] = mapped_column(Boolean, default=False)  # completing it means the person left
    legal_source: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | completed | cancelled
    # Which item of a multi-instance task the row is for, from the task's item_label ("Иван, 9 г.").
    item_label: Mapped[str] = mapped_column(String(200), default="")
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    draft: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # A reminder its holder sets for themself (a Sofia date), and what the reminder sweep has told the
    # holder already: each notice goes out once per due date / follow-up date.
    follow_up_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    follow_up_sent_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    due_soon_sent_for: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    overdue_sent_for: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Deadline(Base):
    """A timer the case's workflow waits on, as a row the sweep can find by index."""

    __tablename__ = "deadline"
    __table_args__ = (
        Index("ix_deadline_pending_due", "status", "due_at"),
        Index("ix_deadline_fired_at", "fired_at"),  # the dashboard's timer lateness of the last day
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    element_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(300))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The timer as the diagram writes it (P30D, R/P1M; "" if computed) and the date it counts from.
    due_duration: Mapped[str] = mapped_column(String(40), default="")
    due_from: Mapped[str] = mapped_column(String(40), default="")
    legal_source: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | fired | cancelled
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AuditEvent(Base):
    """Append-only. Writers insert rows unsealed (``seq``, ``prev_hash``, ``hash`` empty); the sealer
    chains them: ``seq`` is the position in the chain, ``hash`` covers the row and the previous hash."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_case_at", "case_id", "at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    seq: Mapped[int | None] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), unique=True, nullable=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(60))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_file.id"), nullable=True)
    subject: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ip: Mapped[str] = mapped_column(String(64), default="")
    prev_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)  # one row per link
    hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)


class CaseCounter(Base):
    """The last case number given in one centre in one year: intake takes the next one under a row lock."""

    __tablename__ = "case_counter"

    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id", ondelete="CASCADE"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)


class Notification(Base):
    """An in-app message to one user about a case: the case number and a link, never a name or address."""

    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_user_read", "user_id", "read_at"),
        Index("ix_notification_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_file.id", ondelete="CASCADE"), nullable=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(60))  # the message id (engine/notify/messages.py)
    # The message's parameters (case number, task name …), rendered in the reader's language when shown;
    # rows written before message ids (``params`` NULL) keep the text they were written with.
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    text: Mapped[str] = mapped_column(String(500), default="")
    link: Mapped[str] = mapped_column(String(300), default="")  # a path with the case's public_id
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SweepStatus(Base):
    """One row (id 1): when the deadline sweep last ran, for ``/healthz``."""

    __tablename__ = "sweep_status"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_run_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_due: Mapped[int] = mapped_column(Integer, default=0)  # due deadlines found
    last_fired: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: dispatched to workers
    runner: Mapped[str] = mapped_column(String(20), default="")  # embedded | celery | cli


class OutboxEmail(Base):
    """A notification e-mail waiting to go out: written with the notification, sent after commit.

    ``status``: pending (never tried) | failed (tried, retried at ``next_attempt_at``) | sent |
    given_up (out of attempts, or nobody to send it to). ``claimed_until`` is the lease of the
    process sending it; ``last_error`` is an error code (an exception class or an SMTP reply code),
    never a message, which could quote an address.
    """

    __tablename__ = "outbox_email"
    __table_args__ = (Index("ix_outbox_email_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notification.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
