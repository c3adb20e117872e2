"""pathway drafts: the studio's draft per pathway, approvals of deploys that change a clock, a version's note

Revision ID: 0012_pathway_drafts
Revises: 0010_inbox_followups
Create Date: 2026-12-03 13:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_pathway_drafts"
down_revision = "0010_inbox_followups"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTERs, not a batch: SQLite would copy pathway_version, which the cases refer to.
    op.add_column("pathway_version", sa.Column("note", sa.Text(), nullable=False, server_default=""))
    op.create_table(
        "pathway_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pathway_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("bpmn_xml", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["pathway_id"], ["pathway.id"], name="fk_pathway_draft_pathway_id_pathway"),
        sa.ForeignKeyConstraint(
            ["author_id"], ["user_account.id"], name="fk_pathway_draft_author_id_user_account"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_pathway_draft"),
        sa.UniqueConstraint("pathway_id", name="uq_pathway_draft_pathway_id"),
    )
    op.create_table(
        "pathway_approval",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pathway_id", sa.Integer(), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=True),
        sa.Column("bpmn_xml", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["pathway_id"], ["pathway.id"], name="fk_pathway_approval_pathway_id_pathway"
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["user_account.id"], name="fk_pathway_approval_requested_by_id_user_account"
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["user_account.id"], name="fk_pathway_approval_decided_by_id_user_account"
        ),
        sa.ForeignKeyConstraint(
            ["version_id"], ["pathway_version.id"], name="fk_pathway_approval_version_id_pathway_version"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_pathway_approval"),
    )
    op.create_index("ix_pathway_approval_pathway_status", "pathway_approval", ["pathway_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_pathway_approval_pathway_status", table_name="pathway_approval")
    op.drop_table("pathway_approval")
    op.drop_table("pathway_draft")
    if op.get_bind().dialect.name == "sqlite":  # SQLite 3.35+ drops a column in place
        op.execute("ALTER TABLE pathway_version DROP COLUMN note")
    else:
        op.drop_column("pathway_version", "note")
