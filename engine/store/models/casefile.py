"""What a case file holds besides its workflow: links to other cases, notes, attachments, task comments,
and each user's inbox filters and notification choices."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.models.core import Base, UTCDateTime, new_public_id


class CaseLink(Base):
    """A link from one case to another: a child's case opened by a handover from its parent's or ЦОП case.

    Both case pages show it; someone who may not open the other case sees only its number and centre.
    ``created_by_id`` is None when the system made it (a service task); ``element_id`` names the task.
    """

    __tablename__ = "case_link"
    __table_args__ = (UniqueConstraint("from_case_id", "to_case_id", "kind", name="uq_case_link_pair"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    from_case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    to_case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # handover | family
    element_id: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )


class CaseNote(Base):
    """A dated note on a case (engine/casework/notes.py); earlier texts in ``case_note_revision``."""

    __tablename__ = "case_note"
    __table_args__ = (Index("ix_case_note_case_noted", "case_id", "noted_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("case_task.id"), nullable=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(20))  # contact | phone_call | incident | other
    visibility: Mapped[str] = mapped_column(String(20))  # staff | psychologist
    noted_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when it happened, as the author says
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}


class CaseNoteRevision(Base):
    __tablename__ = "case_note_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("case_note.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    noted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    body: Mapped[str] = mapped_column(Text)
    written_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when this text was written
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime)
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)


class CaseAttachment(Base):
    """A document attached to a case; its bytes are in the file store under their SHA-256."""

    __tablename__ = "case_attachment"
    __table_args__ = (Index("ix_case_attachment_case_uploaded", "case_id", "uploaded_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(
        String(30)
    )  # referral | order | court_decision | medical_report | other
    title: Mapped[str] = mapped_column(String(200))  # the file name as uploaded, shown and offered back
    media_type: Mapped[str] = mapped_column(String(100))  # as found in the content, never as named
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    preview_sha256: Mapped[str] = mapped_column(String(64), default="")  # a PNG thumbnail, if any
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TaskComment(Base):
    """A note on a task by a colleague: shown on the task page and the case's timeline; never edited."""

    __tablename__ = "task_comment"
    __table_args__ = (
        Index("ix_task_comment_task_at", "task_id", "created_at"),
        Index("ix_task_comment_case_at", "case_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("case_task.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    body: Mapped[str] = mapped_column(Text)


class SavedFilter(Base):
    """An inbox filter a user named and keeps: the inbox's own query string, one user's alone."""

    __tablename__ = "saved_filter"
    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_saved_filter_user_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    query: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class NotificationPreference(Base):
    """Whether a user wants a kind of notification by e-mail too (no row: yes). In-app always."""

    __tablename__ = "notification_preference"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(60), primary_key=True)
    email: Mapped[bool] = mapped_column(Boolean, default=True)
