"""Failed sign-ins counted per account name, in the database (so every web process sees them).

A name is throttled whether or not such a user exists, so the answer never tells which names are
real. The first few failures are free; after them each failure locks the name for twice as long as
the last one, up to a cap. A success forgets the failures; so does a quiet hour.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite

from engine.store.models import SignInThrottle, UTCDateTime
from engine.store.uow import UnitOfWork

FREE_FAILURES = 5
FIRST_LOCK = timedelta(seconds=30)
LONGEST_LOCK = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=1)


def account_key(username: str) -> str:
    """The name as stored here: a hash, so the table lists no names (nor the mistyped passwords)."""
    return hashlib.sha256(username.strip().lower().encode("utf-8")).hexdigest()


def locked_until(uow: UnitOfWork, username: str, now: datetime) -> datetime | None:
    """Until when sign-ins to this name are refused, or None when they are not."""
    until = uow.session.scalar(
        select(SignInThrottle.locked_until).where(SignInThrottle.account_key == account_key(username))
    )
    return until if until is not None and until > now else None


def note_failure(uow: UnitOfWork, username: str, now: datetime) -> None:
    """Count a failed sign-in atomically (concurrent failures all count) and lock when due."""
    key = account_key(username)
    at = literal(now, UTCDateTime)
    forgotten = literal(now - FORGET_AFTER, UTCDateTime)
    table = SignInThrottle.__table__
    insert: Any = postgresql.insert if uow.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(table).values(account_key=key, failures=1, last_failure_at=now, locked_until=None)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.account_key],
        set_={
            "failures": case((table.c.last_failure_at < forgotten, 1), else_=table.c.failures + 1),
            "last_failure_at": at,
        },
    )
    uow.session.execute(statement)
    failures = uow.session.scalar(select(SignInThrottle.failures).where(SignInThrottle.account_key == key))
    if failures is not None and failures > FREE_FAILURES:
        doublings = min(failures - FREE_FAILURES - 1, 20)  # the cap is reached long before
        lock = min(FIRST_LOCK * 2**doublings, LONGEST_LOCK)
        uow.session.execute(
            update(SignInThrottle).where(SignInThrottle.account_key == key).values(locked_until=now + lock)
        )


def forget_failures(uow: UnitOfWork, username: str) -> None:
    """A successful sign-in: the name starts afresh."""
    uow.session.execute(
        update(SignInThrottle)
        .where(SignInThrottle.account_key == account_key(username))
        .values(failures=0, locked_until=None)
    )
