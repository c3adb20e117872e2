"""inbox follow-ups: task follow-up dates and reminder marks, task comments, saved inbox filters,
e-mail preferences per notification kind, and notifications as a message id with parameters

Revision ID: 0010_inbox_followups
Revises: 0009_case_notes
Create Date: 2026-12-03 13:40:00
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0010_inbox_followups"
down_revision = "0009_case_notes"
branch_labels = None
depends_on = None

# Rows written before message ids carry their text; a fired deadline's says the case and the timer's
# name, which become the parameters of the same message id, so those rows read in either language.
_FIRED = (
    re.compile(r"^Случай (?P<number>\S+): изтече срокът „(?P<name>.*)“$"),
    re.compile(r"^Case (?P<number>\S+): deadline “(?P<name>.*)” has passed$"),
)


def upgrade() -> None:
    with op.batch_alter_table("case_task") as batch:
        batch.add_column(sa.Column("follow_up_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("follow_up_sent_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("due_soon_sent_for", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("overdue_sent_for", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_case_task_status_due", ["status", "due_at"], unique=False)
        batch.create_index("ix_case_task_status_follow_up", ["status", "follow_up_on"], unique=False)
    with op.batch_alter_table("notification") as batch:
        batch.add_column(sa.Column("params", sa.JSON(), nullable=True))
    _give_old_rows_parameters()
    op.create_table(
        "task_comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["case_task.id"], name="fk_task_comment_task_id_case_task", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name="fk_task_comment_case_id_case_file", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["author_id"], ["user_account.id"], name="fk_task_comment_author_id_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_task_comment"),
    )
    op.create_index("ix_task_comment_task_at", "task_comment", ["task_id", "created_at"], unique=False)
    op.create_index("ix_task_comment_case_at", "task_comment", ["case_id", "created_at"], unique=False)
    op.create_table(
        "saved_filter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("query", sa.String(length=1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name="fk_saved_filter_user_id_user_account", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_saved_filter"),
        sa.UniqueConstraint("user_id", "name", name="uq_saved_filter_user_name"),
    )
    op.create_table(
        "notification_preference",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("email", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name="fk_notification_preference_user_id_user_account",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "kind", name="pk_notification_preference"),
    )


def _give_old_rows_parameters() -> None:
    notification = sa.table(
        "notification",
        sa.column("id", sa.Integer()),
        sa.column("kind", sa.String()),
        sa.column("text", sa.String()),
        sa.column("params", sa.JSON()),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(notification.c.id, notification.c.text).where(notification.c.kind == "deadline.fired")
    ).all()
    for row_id, text in rows:
        found = next((m for m in (p.match(text or "") for p in _FIRED) if m), None)
        if found is not None:
            params = {"number": found["number"], "name": found["name"]}
            bind.execute(notification.update().where(notification.c.id == row_id).values(params=params))


def downgrade() -> None:
    op.drop_table("notification_preference")
    op.drop_table("saved_filter")
    op.drop_index("ix_task_comment_case_at", table_name="task_comment")
    op.drop_index("ix_task_comment_task_at", table_name="task_comment")
    op.drop_table("task_comment")
    with op.batch_alter_table("notification") as batch:
        batch.drop_column("params")
    with op.batch_alter_table("case_task") as batch:
        batch.drop_index("ix_case_task_status_follow_up")
        batch.drop_index("ix_case_task_status_due")
        batch.drop_column("overdue_sent_for")
        batch.drop_column("due_soon_sent_for")
        batch.drop_column("follow_up_sent_on")
        batch.drop_column("follow_up_on")
