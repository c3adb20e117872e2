"""form versions: the forms each pathway version was deployed with, and the studio's form drafts

Revision ID: 0022_form_versions
Revises: 0019_retention
Create Date: 2026-12-03 16:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022_form_versions"
down_revision = "0019_retention"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "form_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("schema_json", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["user_account.id"], name=op.f("fk_form_version_author_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_version")),
        sa.UniqueConstraint("key", "version", name="uq_form_version_key_version"),
    )
    op.create_index("ix_form_version_key_sha256", "form_version", ["key", "sha256"])
    op.create_table(
        "pathway_version_form",
        sa.Column("pathway_version_id", sa.Integer(), nullable=False),
        sa.Column("form_key", sa.String(length=80), nullable=False),
        sa.Column("form_version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pathway_version_id"],
            ["pathway_version.id"],
            name=op.f("fk_pathway_version_form_pathway_version_id_pathway_version"),
        ),
        sa.ForeignKeyConstraint(
            ["form_version_id"],
            ["form_version.id"],
            name=op.f("fk_pathway_version_form_form_version_id_form_version"),
        ),
        sa.PrimaryKeyConstraint("pathway_version_id", "form_key", name=op.f("pk_pathway_version_form")),
    )
    op.create_index(
        "ix_pathway_version_form_form_version_id", "pathway_version_form", ["form_version_id"]
    )
    op.create_table(
        "form_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("schema_json", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["user_account.id"], name=op.f("fk_form_draft_author_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_draft")),
        sa.UniqueConstraint("key", name=op.f("uq_form_draft_key")),
    )


def downgrade() -> None:
    op.drop_table("form_draft")
    op.drop_index("ix_pathway_version_form_form_version_id", table_name="pathway_version_form")
    op.drop_table("pathway_version_form")
    op.drop_index("ix_form_version_key_sha256", table_name="form_version")
    op.drop_table("form_version")
