"""Outgoing numbers: per centre and year, e.g. ``КЦ-2026-0042``, never given twice.

The registry prefix is the kind of centre (КЦ, ЦОП); each centre keeps its own sequence, so the number
is unique within its centre (the table's unique key), which is what a registry book asks.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from engine.store.models import Centre, DocumentCounter
from engine.store.uow import UnitOfWork

PREFIXES = {"crisis_centre": "КЦ", "community_support": "ЦОП"}


def next_number(uow: UnitOfWork, centre: Centre, day: date) -> str:
    """The centre's next outgoing number for the year of ``day``.

    One statement increments the counter row (or creates it at 1) and returns the new value; the row
    stays locked until the caller commits, so two documents generated at once get consecutive numbers
    (the same way as case numbers, engine/casework/cases.py).
    """
    upsert = sqlite_insert if uow.session.get_bind().dialect.name == "sqlite" else postgresql_insert
    first = upsert(DocumentCounter).values(centre_id=centre.id, year=day.year, last_number=1)
    statement = first.on_conflict_do_update(
        index_elements=[DocumentCounter.centre_id, DocumentCounter.year],
        set_={"last_number": DocumentCounter.last_number + 1},
    ).returning(DocumentCounter.last_number)
    number = uow.session.execute(statement).scalar_one()
    return f"{PREFIXES.get(centre.kind, 'СУ')}-{day.year}-{number:04d}"
