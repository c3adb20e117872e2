"""Moving running cases to another version of their pathway: a batch, and each case's part in it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.models.core import Base, UTCDateTime


class MigrationBatch(Base):
    """Cases of one pathway moved from version ``from_version`` to ``to_version``, with a mapping of
    renamed elements. ``status``: awaiting_approval (it moves clocks: a manager who did not ask approves
    it) | ready | running | done. ``total`` is how many cases it has; its progress is how many of its
    cases are no longer planned."""

    __tablename__ = "migration_batch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pathway_id: Mapped[int] = mapped_column(ForeignKey("pathway.id"), index=True)
    from_version: Mapped[int] = mapped_column(Integer)
    to_version: Mapped[int] = mapped_column(Integer)
    mapping: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    moves_clocks: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(30))
    total: Mapped[int] = mapped_column(Integer, default=0)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class MigrationCase(Base):
    """One case of a batch. ``status``: planned | migrated | blocked | failed | reverted. ``snapshot``
    holds what the case was before it moved (its state, open task rows and pending deadline rows), to
    revert it; ``case_version`` is the case's row version right after it moved (it has moved on since
    when they differ); ``changes`` is the preview, in message ids and parameters."""

    __tablename__ = "migration_case"
    __table_args__ = (
        UniqueConstraint("batch_id", "case_id", name="uq_migration_case_batch_case"),
        Index("ix_migration_case_batch_status", "batch_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("migration_batch.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    position: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)  # the steps it was at
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    case_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    migrated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reverted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
