"""runs: the kind of problem that stopped a case; stored incident messages lose their case values

Revision ID: 0003_runs
Revises: 0002
Create Date: 2026-12-02 18:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0003_runs'
down_revision = '0002'
branch_labels = None
depends_on = None

# The text of engine.run_problems.PROBLEMS["expression"], copied: a migration must not import the app.
GENERIC = "An expression or script failed while the case ran."


def upgrade() -> None:
    with op.batch_alter_table('case_file', schema=None) as batch_op:
        batch_op.add_column(sa.Column('incident_problem', sa.String(length=40), nullable=False, server_default=''))
    # Messages stored before this revision may quote case data (the value an expression could not read):
    # replace them by the value-free text of a failed expression.
    case_file = sa.table(
        'case_file',
        sa.column('incident_message', sa.Text()),
        sa.column('incident_problem', sa.String()),
    )
    op.execute(
        case_file.update()
        .where(case_file.c.incident_message != '')
        .values(incident_problem='expression', incident_message=GENERIC)
    )


def downgrade() -> None:
    with op.batch_alter_table('case_file', schema=None) as batch_op:
        batch_op.drop_column('incident_problem')
