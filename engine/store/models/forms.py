"""Form versions: what a pathway version was deployed with, and the studio's draft of a form.

A deployed pathway version links every form its processes name (its own and those of the pathways it
calls) to one immutable form version, so a running case always renders and validates the form its
pathway version was deployed with (see :mod:`engine.pathways.form_versions`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.models.core import Base, UTCDateTime


class FormVersion(Base):
    """One immutable version of a form: its JSON Schema as deployed.

    ``source``: file (imported from workflows/forms/) | studio (a coordinator's draft, published).
    """

    __tablename__ = "form_version"
    __table_args__ = (
        UniqueConstraint("key", "version", name="uq_form_version_key_version"),
        Index("ix_form_version_key_sha256", "key", "sha256"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer)
    schema_json: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(20), default="file")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PathwayVersionForm(Base):
    """Which version of each form a pathway version was deployed with."""

    __tablename__ = "pathway_version_form"

    pathway_version_id: Mapped[int] = mapped_column(ForeignKey("pathway_version.id"), primary_key=True)
    form_key: Mapped[str] = mapped_column(String(80), primary_key=True)
    form_version_id: Mapped[int] = mapped_column(ForeignKey("form_version.id"), index=True)


class FormDraft(Base):
    """The studio's draft of a form: one per form, saved (never deployed by saving) by a coordinator.

    It is published as a new form version by the next deploy of a pathway that uses the form.
    """

    __tablename__ = "form_draft"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    schema_json: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime)
