"""Outgoing numbers taken at once by two transactions: the counter row is locked by the first until it
commits, so the second waits and gets the next number; no number is given twice (SQLite, PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import date

from engine.casework.documents.numbering import next_number
from engine.people.centres import ensure_centre
from engine.people.permissions import SYSTEM
from engine.store.models import Centre

DAY = date(2026, 3, 1)


def test_two_documents_numbered_at_once_get_consecutive_numbers(make_committed_uow):
    with make_committed_uow() as uow:
        centre_id = ensure_centre(uow, SYSTEM, "cop-race", "ЦОП Тест", "community_support", 60).id
        uow.commit()
    taken: list[str] = []

    def second() -> None:
        with make_committed_uow() as uow:
            taken.append(next_number(uow, uow.session.get(Centre, centre_id), DAY))
            uow.commit()

    with make_committed_uow() as first:
        taken.append(next_number(first, first.session.get(Centre, centre_id), DAY))
        other = threading.Thread(target=second)
        other.start()
        other.join(timeout=0.5)
        assert other.is_alive(), "the second took a number while the first still held the counter"
        first.commit()
    other.join(timeout=30)
    assert taken == ["ЦОП-2026-0001", "ЦОП-2026-0002"]
