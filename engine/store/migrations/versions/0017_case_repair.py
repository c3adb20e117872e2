"""case repair: when a suspended case was suspended (its held timers are shifted by that on resume)

Revision ID: 0017_case_repair
Revises: 0016_case_migrations
Create Date: 2026-12-03 16:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_case_repair"
down_revision = "0016_case_migrations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_file") as batch:
        batch.add_column(sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_file") as batch:
        batch.drop_column("suspended_at")
