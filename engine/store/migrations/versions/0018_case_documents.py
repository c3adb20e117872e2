"""case documents: the letters to ДСП and ОЗД generated from a case's forms, their outgoing numbers per
centre and year, and the centre's correspondence address, phone and e-mail for the letterhead

Revision ID: 0018_case_documents
Revises: 0017_case_repair
Create Date: 2026-12-03 16:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_case_documents"
down_revision = "0017_case_repair"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("centre") as batch:
        batch.add_column(sa.Column("correspondence_address", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("phone", sa.String(length=60), nullable=False, server_default=""))
        batch.add_column(sa.Column("email", sa.String(length=255), nullable=False, server_default=""))
    op.create_table(
        "document_counter",
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_document_counter_centre_id_centre"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("centre_id", "year", name=op.f("pk_document_counter")),
    )
    op.create_table(
        "case_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("source_task_id", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name=op.f("fk_case_document_case_id_case_file"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["centre_id"], ["centre.id"], name=op.f("fk_case_document_centre_id_centre")),
        sa.ForeignKeyConstraint(
            ["source_task_id"],
            ["case_task.id"],
            name=op.f("fk_case_document_source_task_id_case_task"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user_account.id"], name=op.f("fk_case_document_created_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_document")),
        sa.UniqueConstraint("public_id", name=op.f("uq_case_document_public_id")),
        sa.UniqueConstraint("centre_id", "number", name="uq_case_document_centre_number"),
    )
    op.create_index("ix_case_document_case_created", "case_document", ["case_id", "created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_case_document_case_created", table_name="case_document")
    op.drop_table("case_document")
    op.drop_table("document_counter")
    with op.batch_alter_table("centre") as batch:
        batch.drop_column("email")
        batch.drop_column("phone")
        batch.drop_column("correspondence_address")
