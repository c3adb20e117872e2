"""The audit trail: append-only rows, each chained to the previous one by a SHA-256 hash.

Entries are written in the caller's transaction, so an audited change and its audit row commit or
vanish together. On PostgreSQL appends are serialised by a transaction-scoped advisory lock; on any
database the unique ``prev_hash`` forbids two rows extending the same link.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from engine.clock import as_utc
from engine.store.models import AuditEvent

GENESIS = "0" * 64
_AUDIT_LOCK = 0x43617365  # an arbitrary constant naming the audit chain's advisory lock


class Actor(Protocol):
    """Who did something: a user (id and username) or the system itself (timers, the CLI)."""

    @property
    def user_id(self) -> int | None: ...

    @property
    def name(self) -> str: ...

    @property
    def ip(self) -> str: ...


def record(
    session: Session,
    at: datetime,
    actor: Actor,
    action: str,
    *,
    case_id: int | None = None,
    subject: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one entry to the chain (flushes, never commits)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _AUDIT_LOCK})
    prev = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)) or GENESIS
    entry = AuditEvent(
        at=as_utc(at),
        actor_id=actor.user_id,
        actor=actor.name,
        action=action,
        case_id=case_id,
        subject=subject,
        detail=dict(detail or {}),
        ip=actor.ip,
        prev_hash=prev,
    )
    entry.hash = entry_hash(entry)
    session.add(entry)
    session.flush()
    return entry


def entry_hash(entry: AuditEvent) -> str:
    body = {
        "at": entry.at.isoformat(),
        "actor_id": entry.actor_id,
        "actor": entry.actor,
        "action": entry.action,
        "case_id": entry.case_id,
        "subject": entry.subject,
        "detail": entry.detail,
        "ip": entry.ip,
        "prev": entry.prev_hash,
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    entry_id: int
    reason: str


def verify(session: Session, batch: int = 5000) -> tuple[int, ChainBreak | None]:
    """Walk the chain in order; the number of entries checked and the first broken one, if any."""
    expected_prev = GENESIS
    checked = 0
    for entry in _in_order(session, batch):
        if entry.prev_hash != expected_prev:
            return checked, ChainBreak(entry.id, "does not link to the entry before it")
        if entry_hash(entry) != entry.hash:
            return checked, ChainBreak(entry.id, "content changed after it was written")
        expected_prev = entry.hash
        checked += 1
    return checked, None


def _in_order(session: Session, batch: int) -> Iterator[AuditEvent]:
    last_id = 0
    while True:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id
        session.expunge_all()
