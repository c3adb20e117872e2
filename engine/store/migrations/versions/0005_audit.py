"""audit chain sealed after commit; per-centre, per-year case-number counter

Revision ID: 0005_audit
Revises: 0004_outbox
Create Date: 2026-12-02 18:30:00

Audit rows are now inserted unsealed (no ``seq``/``prev_hash``/``hash``) and chained later by the
sealer, in sealing order. Rows written before this revision were chained in id order, so their
position in the chain (``seq``) is their id. Downgrading seals what is still unsealed (in id order,
after the current head) so that the old NOT NULL columns hold again; nothing is deleted.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op


revision = '0005_audit'
down_revision = '0004_outbox'
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def upgrade() -> None:
    op.create_table('case_counter',
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['centre_id'], ['centre.id'], name=op.f('fk_case_counter_centre_id_centre'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('centre_id', 'year', name=op.f('pk_case_counter'))
    )
    _fill_counters()
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=True)
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=True)
        batch_op.create_unique_constraint(batch_op.f('uq_audit_event_seq'), ['seq'])
    op.execute("UPDATE audit_event SET seq = id")


def downgrade() -> None:
    _seal_leftovers()
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_audit_event_seq'), type_='unique')
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_column('seq')
    op.drop_table('case_counter')


def _fill_counters() -> None:
    """Start each counter at the highest number already given (numbers look like KC-DEMO-2026-0042)."""
    connection = op.get_bind()
    highest: dict[tuple[int, int], int] = {}
    for centre_id, number in connection.execute(sa.text("SELECT centre_id, number FROM case_file")):
        parts = str(number).rsplit("-", 2)
        if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
            key = (int(centre_id), int(parts[1]))
            highest[key] = max(highest.get(key, 0), int(parts[2]))
    if highest:
        connection.execute(
            sa.text("INSERT INTO case_counter (centre_id, year, last_number) VALUES (:c, :y, :n)"),
            [{"c": c, "y": y, "n": n} for (c, y), n in highest.items()],
        )


_AUDIT = sa.table(
    'audit_event',
    sa.column('id', sa.Integer()),
    sa.column('seq', sa.Integer()),
    sa.column('at', sa.DateTime(timezone=True)),
    sa.column('actor_id', sa.Integer()),
    sa.column('actor', sa.String()),
    sa.column('action', sa.String()),
    sa.column('case_id', sa.Integer()),
    sa.column('subject', sa.String()),
    sa.column('detail', sa.JSON()),
    sa.column('ip', sa.String()),
    sa.column('prev_hash', sa.String()),
    sa.column('hash', sa.String()),
)


def _seal_leftovers() -> None:
    """The sealer's work, frozen here so this revision does not depend on today's engine code."""
    connection = op.get_bind()
    head = connection.execute(
        sa.select(_AUDIT.c.seq, _AUDIT.c.hash).where(_AUDIT.c.seq.is_not(None)).order_by(_AUDIT.c.seq.desc()).limit(1)
    ).first()
    seq, prev = (int(head[0]), str(head[1])) if head else (0, GENESIS)
    rows = connection.execute(sa.select(_AUDIT).where(_AUDIT.c.seq.is_(None)).order_by(_AUDIT.c.id)).all()
    for row in rows:
        seq += 1
        digest = _hash(row._mapping, prev)
        connection.execute(
            sa.update(_AUDIT).where(_AUDIT.c.id == row.id).values(seq=seq, prev_hash=prev, hash=digest)
        )
        prev = digest


def _hash(row: Any, prev: str) -> str:
    at: datetime = row["at"]
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    body = {
        "at": at.isoformat(),
        "actor_id": row["actor_id"],
        "actor": row["actor"],
        "action": row["action"],
        "case_id": row["case_id"],
        "subject": row["subject"],
        "detail": row["detail"],
        "ip": row["ip"],
        "prev": prev,
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
