"""Failed sign-ins counted per account name, in the database (so every web process sees them).

Each failure counts twice: for the name from this address, and for the name from anywhere. From one
address a few failures are free; the name as a whole takes many more. So one guesser is stopped
early without locking the person out at their own computer, and guessing spread over many addresses
is still stopped. A name is throttled whether or not such a user exists, so the answer never tells
which names are real. Past the free failures each failure locks for twice as long as the last one,
up to a cap. A success forgets the failures; so does a quiet hour.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite

from engine.store.models import SignInThrottle, UTCDateTime
from engine.store.uow import UnitOfWork

FREE_FAILURES = 5  # per name and address
FREE_FAILURES_ANYWHERE = 20  # per name, whatever the address
FIRST_LOCK = timedelta(seconds=30)
LONGEST_LOCK = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=1)


def account_key(username: str, ip: str | None = None) -> str:
    """The name (with the address, if given) as stored here: a hash, so the table lists no names."""
    text = username.strip().lower() if ip is None else f"{username.strip().lower()}\n{ip}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _keys(username: str, ip: str) -> dict[str, int]:
    return {account_key(username, ip): FREE_FAILURES, account_key(username): FREE_FAILURES_ANYWHERE}


def locked_until(uow: UnitOfWork, username: str, now: datetime, ip: str = "") -> datetime | None:
    """Until when sign-ins to this name from this address are refused, or None when they are not."""
    until = uow.session.scalar(
        select(func.max(SignInThrottle.locked_until)).where(
            SignInThrottle.account_key.in_(list(_keys(username, ip)))
        )
    )
    return until if until is not None and until > now else None


def note_failure(uow: UnitOfWork, username: str, now: datetime, ip: str = "") -> None:
    """Count a failed sign-in for the name from this address and from anywhere, and lock when due."""
    for key, free in _keys(username, ip).items():
        _count(uow, key, free, now)


def _count(uow: UnitOfWork, key: str, free: int, now: datetime) -> None:
    """Count one failure atomically (concurrent failures all count) and lock when due."""
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
    if failures is not None and failures > free:
        doublings = min(failures - free - 1, 20)  # the cap is reached long before
        lock = min(FIRST_LOCK * 2**doublings, LONGEST_LOCK)
        uow.session.execute(
            update(SignInThrottle).where(SignInThrottle.account_key == key).values(locked_until=now + lock)
        )


def forget_failures(uow: UnitOfWork, username: str, ip: str = "") -> None:
    """A successful sign-in: the name starts afresh, here and everywhere."""
    uow.session.execute(
        update(SignInThrottle)
        .where(SignInThrottle.account_key.in_(list(_keys(username, ip))))
        .values(failures=0, locked_until=None)
    )
