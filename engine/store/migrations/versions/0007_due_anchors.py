"""due anchors: how a due date was counted (duration and anchor), and when a case's person left

Revision ID: 0007_due_anchors
Revises: 0006_sessions
Create Date: 2026-12-03 08:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_due_anchors"
down_revision = "0006_sessions"
branch_labels = None
depends_on = None

TABLES = ("case_task", "deadline")


def upgrade() -> None:
    with op.batch_alter_table("case_file") as batch:
        batch.add_column(sa.Column("left_at", sa.DateTime(timezone=True), nullable=True))
        batch.drop_index("ix_case_file_centre_status")
        batch.create_index("ix_case_file_centre_status", ["centre_id", "status", "left_at"], unique=False)
    with op.batch_alter_table("case_task") as batch:
        batch.add_column(sa.Column("ends_stay", sa.Boolean(), nullable=False, server_default=sa.false()))
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("due_duration", sa.String(length=40), nullable=False, server_default=""))
            batch.add_column(sa.Column("due_from", sa.String(length=40), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("case_task") as batch:
        batch.drop_column("ends_stay")
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("due_from")
            batch.drop_column("due_duration")
    with op.batch_alter_table("case_file") as batch:
        batch.drop_index("ix_case_file_centre_status")
        batch.create_index("ix_case_file_centre_status", ["centre_id", "status"], unique=False)
        batch.drop_column("left_at")
