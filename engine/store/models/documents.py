"""Outgoing documents: the letters a centre sends ДСП and ОЗД about a case (engine/casework/documents),
and the counter that numbers them per centre and year."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.models.core import Base, UTCDateTime, new_public_id


class CaseDocument(Base):
    """A generated document: its outgoing number and date, the completed form it was made from, and
    its PDF in the file store under the PDF's SHA-256 (the same store as the attachments)."""

    __tablename__ = "case_document"
    __table_args__ = (
        UniqueConstraint("centre_id", "number", name="uq_case_document_centre_number"),
        Index("ix_case_document_case_created", "case_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"))
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id"))
    kind: Mapped[str] = mapped_column(String(40))  # engine/casework/documents/kinds.py
    number: Mapped[str] = mapped_column(String(40))  # the outgoing number, e.g. КЦ-2026-0042
    issued_on: Mapped[date] = mapped_column(Date)  # the document's date (Sofia)
    source_task_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_task.id", ondelete="SET NULL"), nullable=True
    )
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DocumentCounter(Base):
    """The last outgoing number given in one centre in one year: taken under a row lock, like the
    case numbers (``CaseCounter``)."""

    __tablename__ = "document_counter"

    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id", ondelete="CASCADE"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)
