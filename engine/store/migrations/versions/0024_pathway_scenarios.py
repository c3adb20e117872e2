"""pathway scenarios in the studio: a draft's edited scenarios, and the set deployed with a version

Revision ID: 0024_pathway_scenarios
Revises: 0022_form_versions
Create Date: 2026-12-03 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024_pathway_scenarios"
down_revision = "0022_form_versions"
branch_labels = None
depends_on = None

_TABLES = ("pathway_draft", "pathway_approval", "pathway_version")


def upgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("scenarios", sa.JSON(), nullable=True))


def downgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("scenarios")
