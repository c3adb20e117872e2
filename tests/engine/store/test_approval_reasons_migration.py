"""Migration 0025 turns the approval reasons stored as English lines into structured changes, and back."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from alembic import command

from engine.store import schema


def test_lines_become_changes_and_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'reasons.sqlite3'}"
    config = schema.alembic_config(url)
    command.upgrade(config, "0024_pathway_scenarios")
    engine = sa.create_engine(url)
    lines = ["Timer_Monthly: timer R/P1M → R/P6W", "Task_X: removed", "Task_Y: role - → case_lead"]
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO pathway (id, key, name, centre_kind, target) VALUES (1, 'p', 'P', '', 'any')"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO pathway_approval (id, pathway_id, bpmn_xml, sha256, note, reasons, requested_at,"
                " status, reason) VALUES (1, 1, '', '', 'n', :reasons, '2026-12-03 10:00:00', 'pending', '')"
            ),
            {"reasons": json.dumps(lines)},
        )
    command.upgrade(config, "0025_structured_approval_reasons")
    with engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT reasons FROM pathway_approval")).scalar_one()
    assert json.loads(stored) == [
        {
            "element_id": "Timer_Monthly",
            "change": "changed",
            "field": "timer",
            "old": "R/P1M",
            "new": "R/P6W",
        },
        {"element_id": "Task_X", "change": "removed", "field": "", "old": "", "new": ""},
        {"element_id": "Task_Y", "change": "changed", "field": "role", "old": "", "new": "case_lead"},
    ]
    command.downgrade(config, "0024_pathway_scenarios")
    with engine.connect() as connection:
        back = connection.execute(sa.text("SELECT reasons FROM pathway_approval")).scalar_one()
    assert json.loads(back) == lines
    engine.dispose()
