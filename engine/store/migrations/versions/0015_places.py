"""places: rooms and places, who stays where, the waiting list, turn-aways, occupancy by day, the
person's sex (women-only places) and the dashboard's indexes

Revision ID: 0015_places
Revises: 0014_task_item_label
Create Date: 2026-12-03 13:31:34
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0015_places"
down_revision = "0014_task_item_label"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "occupancy_day",
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("residents", sa.Integer(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_occupancy_day_centre_id_centre"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("centre_id", "day", name=op.f("pk_occupancy_day")),
    )
    op.create_table(
        "room",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("family", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_room_centre_id_centre"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_room")),
        sa.UniqueConstraint("centre_id", "name", name="uq_room_centre_name"),
    )
    op.create_table(
        "turn_away",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("target_group", sa.String(length=40), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_turn_away_centre_id_centre"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["user_account.id"], name=op.f("fk_turn_away_recorded_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_turn_away")),
    )
    with op.batch_alter_table("turn_away", schema=None) as batch_op:
        batch_op.create_index("ix_turn_away_centre_at", ["centre_id", "at"], unique=False)

    op.create_table(
        "waiting_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("target_group", sa.String(length=40), nullable=False),
        sa.Column("sex", sa.String(length=10), nullable=False, server_default=""),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by_id"], ["user_account.id"], name=op.f("fk_waiting_entry_added_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_waiting_entry_centre_id_centre"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waiting_entry")),
        sa.UniqueConstraint("public_id", name=op.f("uq_waiting_entry_public_id")),
    )
    with op.batch_alter_table("waiting_entry", schema=None) as batch_op:
        batch_op.create_index("ix_waiting_entry_centre_resolved", ["centre_id", "resolved_at"], unique=False)

    op.create_table(
        "place",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=40), nullable=False),
        sa.Column("occupant", sa.String(length=10), nullable=False),
        sa.Column("women_only", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_place_centre_id_centre"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["room_id"], ["room.id"], name=op.f("fk_place_room_id_room"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_place")),
        sa.UniqueConstraint("room_id", "label", name="uq_place_room_label"),
    )
    with op.batch_alter_table("place", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_place_centre_id"), ["centre_id"], unique=False)

    op.create_table(
        "place_stay",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("from_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("until_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name=op.f("fk_place_stay_case_id_case_file"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["place_id"], ["place.id"], name=op.f("fk_place_stay_place_id_place"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_place_stay")),
    )
    with op.batch_alter_table("place_stay", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_place_stay_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_place_stay_place_until", ["place_id", "until_at"], unique=False)

    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sex", sa.String(length=10), nullable=False, server_default=""))
        batch_op.create_index("ix_case_file_centre_admitted", ["centre_id", "admitted_at"], unique=False)
        batch_op.create_index("ix_case_file_centre_left", ["centre_id", "left_at", "admitted_at"], unique=False)
        batch_op.drop_index("ix_case_file_centre_status")
        batch_op.create_index(
            "ix_case_file_centre_status", ["centre_id", "status", "left_at", "admitted_at"], unique=False
        )

    with op.batch_alter_table("deadline", schema=None) as batch_op:
        batch_op.create_index("ix_deadline_fired_at", ["fired_at"], unique=False)

    with op.batch_alter_table("case_task", schema=None) as batch_op:
        batch_op.create_index(
            "ix_case_task_centre_done",
            ["centre_id", "status", "completed_at", "due_at", "created_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("case_task", schema=None) as batch_op:
        batch_op.drop_index("ix_case_task_centre_done")

    with op.batch_alter_table("deadline", schema=None) as batch_op:
        batch_op.drop_index("ix_deadline_fired_at")

    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.drop_index("ix_case_file_centre_status")
        batch_op.create_index("ix_case_file_centre_status", ["centre_id", "status", "left_at"], unique=False)
        batch_op.drop_index("ix_case_file_centre_left")
        batch_op.drop_index("ix_case_file_centre_admitted")
        batch_op.drop_column("sex")

    with op.batch_alter_table("place_stay", schema=None) as batch_op:
        batch_op.drop_index("ix_place_stay_place_until")
        batch_op.drop_index(batch_op.f("ix_place_stay_case_id"))

    op.drop_table("place_stay")
    with op.batch_alter_table("place", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_place_centre_id"))

    op.drop_table("place")
    with op.batch_alter_table("waiting_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_waiting_entry_centre_resolved")

    op.drop_table("waiting_entry")
    with op.batch_alter_table("turn_away", schema=None) as batch_op:
        batch_op.drop_index("ix_turn_away_centre_at")

    op.drop_table("turn_away")
    op.drop_table("room")
    op.drop_table("occupancy_day")
