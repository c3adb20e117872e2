"""task item label: which item of a multi-instance task a task row is for ("за: Иван, 9 г.")

Revision ID: 0014_task_item_label
Revises: 0012_pathway_drafts
Create Date: 2026-12-03 14:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_task_item_label"
down_revision = "0012_pathway_drafts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_task") as batch:
        batch.add_column(sa.Column("item_label", sa.String(length=200), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("case_task") as batch:
        batch.drop_column("item_label")
