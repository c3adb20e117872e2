"""Migration 0010_inbox_followups: notifications written as text before message ids get the message's
parameters when their text says them (a fired deadline), and every old row keeps its text readable."""

from __future__ import annotations

import json

from sqlalchemy import text

from engine.store import schema
from engine.store.db import make_engine
from tests.engine.store.migrations.test_0003_runs import scratch_url  # noqa: F401 - the fixture

USER = (
    "INSERT INTO user_account (id, username, display_name, password_hash, email, locale, active, created_at,"
    " security_stamp) VALUES (1, 'm', 'M', '', '', 'bg', true, '2025-01-01 00:00:00+00:00', 's')"
)
NOTE = (
    "INSERT INTO notification (id, user_id, case_id, kind, text, link, created_at)"
    " VALUES (:id, 1, NULL, :kind, :text, '', '2025-01-01 00:00:00+00:00')"
)
OLD = [
    (1, "deadline.fired", "Случай КЦ-2025-0001: изтече срокът „Първа оценка“"),
    (2, "deadline.fired", "Case КЦ-2025-0002: deadline “Review overdue” has passed"),
    (3, "role.granted", "КЦ Тест: galina получи ролята „Психолог“"),
    (4, "deadline.fired", "a text in no known form"),
]


def test_old_deadline_notifications_get_parameters_and_every_old_text_is_kept(scratch_url: str) -> None:  # noqa: F811
    schema.upgrade(scratch_url, "0007_due_anchors")
    engine = make_engine(scratch_url)
    with engine.begin() as connection:
        connection.execute(text(USER))
        for id_, kind, said in OLD:
            connection.execute(text(NOTE), {"id": id_, "kind": kind, "text": said})
    schema.upgrade(scratch_url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, params, text FROM notification ORDER BY id")).all()
    params = [json.loads(p) if isinstance(p, str) else p for _, p, _ in rows]
    assert params == [
        {"number": "КЦ-2025-0001", "name": "Първа оценка"},
        {"number": "КЦ-2025-0002", "name": "Review overdue"},
        None,  # shown with its stored text
        None,
    ]
    assert [said for _, _, said in rows] == [said for _, _, said in OLD]
    engine.dispose()
    schema.downgrade(scratch_url, "0007_due_anchors")  # the old texts survive the way back too
    engine = make_engine(scratch_url)
    with engine.connect() as connection:
        kept = connection.execute(text("SELECT text FROM notification ORDER BY id")).scalars().all()
    assert kept == [said for _, _, said in OLD]
    engine.dispose()
