"""retention: what a pseudonymised closed case keeps of its person (birth year, age band at admission)
and when it was pseudonymised

Revision ID: 0019_retention
Revises: 0018_case_documents
Create Date: 2026-12-03 16:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0019_retention"
down_revision = "0018_case_documents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.add_column(sa.Column("birth_year", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("age_band", sa.String(length=20), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("pseudonymised_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.drop_column("pseudonymised_at")
        batch_op.drop_column("age_band")
        batch_op.drop_column("birth_year")
