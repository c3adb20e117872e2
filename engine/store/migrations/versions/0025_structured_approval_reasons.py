"""structured approval reasons: each a change (element, field, old, new) instead of an English line

Revision ID: 0025_structured_approval_reasons
Revises: 0024_pathway_scenarios
Create Date: 2026-12-03 18:05:00
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0025_structured_approval_reasons"
down_revision = "0024_pathway_scenarios"
branch_labels = None
depends_on = None

# The lines 0012 to 0024 stored: "Task_X: due P7D → P9D" and "Task_X: removed" / "Task_X: added".
_CHANGED = re.compile(r"^(?P<element_id>\S+): (?P<field>\w+) (?P<old>.*) → (?P<new>.*)$")
_STEP = re.compile(r"^(?P<element_id>\S+): (?P<change>added|removed)$")
_TABLE = sa.table("pathway_approval", sa.column("id", sa.Integer), sa.column("reasons", sa.JSON))


def _structured(line: str) -> dict[str, str]:
    if match := _STEP.match(line):
        return {"element_id": match["element_id"], "change": match["change"], "field": "", "old": "", "new": ""}
    if match := _CHANGED.match(line):
        values = {name: "" if match[name] == "-" else match[name] for name in ("old", "new")}
        return {"element_id": match["element_id"], "change": "changed", "field": match["field"], **values}
    return {"element_id": "", "change": "changed", "field": "", "old": "", "new": line}


def _line(reason: dict[str, Any]) -> str:
    if reason.get("change") != "changed":
        return f"{reason.get('element_id', '')}: {reason.get('change', '')}"
    return f"{reason['element_id']}: {reason['field']} {reason['old'] or '-'} → {reason['new'] or '-'}"


def _rewrite(convert: Any, kind: type) -> None:
    connection = op.get_bind()
    for row in connection.execute(sa.select(_TABLE.c.id, _TABLE.c.reasons)).all():
        reasons = [convert(item) if isinstance(item, kind) else item for item in (row.reasons or [])]
        connection.execute(_TABLE.update().where(_TABLE.c.id == row.id).values(reasons=reasons))


def upgrade() -> None:
    _rewrite(_structured, str)


def downgrade() -> None:
    _rewrite(_line, dict)
