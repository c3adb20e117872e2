"""case notes (with their earlier texts), documents attached to a case, a password to change at sign-in

Revision ID: 0009_case_notes
Revises: 0007_due_anchors
Create Date: 2026-12-03 13:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_case_notes"
down_revision = "0007_due_anchors"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(
            sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "case_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("visibility", sa.String(length=20), nullable=False),
        sa.Column("noted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name="fk_case_note_case_id_case_file", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["task_id"], ["case_task.id"], name="fk_case_note_task_id_case_task"),
        sa.ForeignKeyConstraint(["author_id"], ["user_account.id"], name="fk_case_note_author_id_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_case_note"),
        sa.UniqueConstraint("public_id", name="uq_case_note_public_id"),
    )
    op.create_index("ix_case_note_case_noted", "case_note", ["case_id", "noted_at"], unique=False)
    op.create_table(
        "case_note_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("note_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("noted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replaced_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["note_id"], ["case_note.id"], name="fk_case_note_revision_note_id_case_note", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["replaced_by_id"], ["user_account.id"], name="fk_case_note_revision_replaced_by_id_user_account"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_case_note_revision"),
    )
    op.create_index("ix_case_note_revision_note_id", "case_note_revision", ["note_id"], unique=False)
    op.create_table(
        "case_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("preview_sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name="fk_case_attachment_case_id_case_file", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["user_account.id"], name="fk_case_attachment_uploaded_by_id_user_account"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_case_attachment"),
        sa.UniqueConstraint("public_id", name="uq_case_attachment_public_id"),
    )
    op.create_index(
        "ix_case_attachment_case_uploaded", "case_attachment", ["case_id", "uploaded_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_case_attachment_case_uploaded", table_name="case_attachment")
    op.drop_table("case_attachment")
    op.drop_index("ix_case_note_revision_note_id", table_name="case_note_revision")
    op.drop_table("case_note_revision")
    op.drop_index("ix_case_note_case_noted", table_name="case_note")
    op.drop_table("case_note")
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("must_change_password")
