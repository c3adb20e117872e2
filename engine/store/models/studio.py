"""The studio's tables: a coordinator's draft of a pathway, and a deploy waiting for a manager."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.store.models.core import Base, Pathway, UTCDateTime


class PathwayDraft(Base):
    """The studio's draft of a pathway: one per pathway, saved (never deployed) by a coordinator.

    ``status``: draft | awaiting_approval (a deploy of it waits for a manager: see PathwayApproval).
    """

    __tablename__ = "pathway_draft"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pathway_id: Mapped[int] = mapped_column(ForeignKey("pathway.id"), unique=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime)
    bpmn_xml: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    # scenario name → the scenario as the coordinator edited it (engine/pathways/studio_scenarios.py)
    scenarios: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    pathway: Mapped[Pathway] = relationship(lazy="joined")


class PathwayApproval(Base):
    """A deploy that changes a clock, a role or removes a step, waiting for a manager who is not its author.

    ``bpmn_xml`` is what was asked to be deployed (the draft may change meanwhile); ``reasons`` lists
    the changes that needed the approval. ``status``: pending | approved | rejected.
    """

    __tablename__ = "pathway_approval"
    __table_args__ = (Index("ix_pathway_approval_pathway_status", "pathway_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pathway_id: Mapped[int] = mapped_column(ForeignKey("pathway.id"))
    base_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    bpmn_xml: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)
    reasons: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)  # diff.ApprovalReason
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    version_id: Mapped[int | None] = mapped_column(ForeignKey("pathway_version.id"), nullable=True)
    scenarios: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # deployed with it

    pathway: Mapped[Pathway] = relationship(lazy="joined")
