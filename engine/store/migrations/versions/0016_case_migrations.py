"""case migrations: batches of running cases moved to another pathway version, with each case's snapshot

Revision ID: 0016_case_migrations
Revises: 0015_places
Create Date: 2026-12-03 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_case_migrations"
down_revision = "0015_places"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "migration_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pathway_id", sa.Integer(), nullable=False),
        sa.Column("from_version", sa.Integer(), nullable=False),
        sa.Column("to_version", sa.Integer(), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("moves_clocks", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["pathway_id"], ["pathway.id"], name="fk_migration_batch_pathway_id_pathway"),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["user_account.id"], name="fk_migration_batch_requested_by_id_user_account"
        ),
        sa.ForeignKeyConstraint(
            ["approved_by_id"], ["user_account.id"], name="fk_migration_batch_approved_by_id_user_account"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_migration_batch"),
    )
    op.create_index("ix_migration_batch_pathway_id", "migration_batch", ["pathway_id"])
    op.create_table(
        "migration_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("position", sa.JSON(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=True),
        sa.Column("case_version", sa.Integer(), nullable=True),
        sa.Column("migrated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reverted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["migration_batch.id"],
            name="fk_migration_case_batch_id_migration_batch",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name="fk_migration_case_case_id_case_file", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_migration_case"),
        sa.UniqueConstraint("batch_id", "case_id", name="uq_migration_case_batch_case"),
    )
    op.create_index("ix_migration_case_batch_status", "migration_case", ["batch_id", "status"])
    op.create_index("ix_migration_case_case_id", "migration_case", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_migration_case_case_id", table_name="migration_case")
    op.drop_index("ix_migration_case_batch_status", table_name="migration_case")
    op.drop_table("migration_case")
    op.drop_index("ix_migration_batch_pathway_id", table_name="migration_batch")
    op.drop_table("migration_batch")
