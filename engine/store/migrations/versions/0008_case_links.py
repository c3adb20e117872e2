"""case links: a case opened from another (a child's case at a children's crisis centre after a handover)

Revision ID: 0008_case_links
Revises: 0007_due_anchors
Create Date: 2026-12-03 13:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_case_links"
down_revision = "0007_due_anchors"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("from_case_id", sa.Integer(), nullable=False),
        sa.Column("to_case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("element_id", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["from_case_id"], ["case_file.id"], name="fk_case_link_from_case_id_case_file", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["to_case_id"], ["case_file.id"], name="fk_case_link_to_case_id_case_file", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name="fk_case_link_created_by_id_user_account",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_case_link"),
        sa.UniqueConstraint("from_case_id", "to_case_id", "kind", name="uq_case_link_pair"),
    )
    with op.batch_alter_table("case_link") as batch:
        batch.create_index("ix_case_link_from_case_id", ["from_case_id"], unique=False)
        batch.create_index("ix_case_link_to_case_id", ["to_case_id"], unique=False)


def downgrade() -> None:
    op.drop_table("case_link")
