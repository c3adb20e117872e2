"""The audit trail: append-only rows, sealed into one SHA-256 hash chain shortly after they commit.

Writers never wait for each other: :func:`record` inserts the row *unsealed* (no ``seq``, no hashes) in
the caller's transaction, so an audited change and its audit row still commit or vanish together.

:func:`seal` (run by the embedded sweeper or Celery beat, and by ``casepath audit verify|anchor``
before they read) takes the one sealer lock, reads the unsealed rows it can see and appends them to the
chain in id order: row ``seq = n`` stores ``prev_hash`` = the hash of row ``n - 1`` and ``hash`` =
SHA-256 over its content and ``prev_hash``. The chain's order is the *sealing* order, not the id order:
ids are not committed in id order (a later id can commit first), and a row that commits late is simply
sealed in a later batch. Since the sealer only ever sees committed rows, it never has to prove that a
prefix of ids is complete, and nothing is ever skipped: whatever is committed is sealed next time.

Why this is tamper evident: a sealed row cannot be changed, removed or re-ordered without breaking the
link of the row after it, and rewriting every later hash changes the head, which ``casepath audit
anchor`` publishes outside the database (``verify --anchors`` checks every published head is still in
the chain, which also catches a truncated tail). An unsealed row is not yet protected; ``verify``
reports one older than :data:`SEAL_GRACE` (the sealer is not running, or the row was slipped in).
The unique ``seq`` and ``prev_hash`` forbid two rows in one position even if two sealers ran at once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from engine.clock import as_utc
from engine.store.models import AuditEvent

GENESIS = "0" * 64
SEAL_GRACE = timedelta(minutes=10)  # an unsealed row older than this means the sealer is not running
SEAL_BATCH = 5000
_SEALER_LOCK = 0x43617365  # an arbitrary constant naming the sealer's advisory lock on PostgreSQL


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
    """Append one unsealed entry (flushes, never commits); :func:`seal` chains it after commit."""
    entry = AuditEvent(
        at=as_utc(at),
        actor_id=actor.user_id,
        actor=actor.name,
        action=action,
        case_id=case_id,
        subject=subject,
        detail=dict(detail or {}),
        ip=actor.ip,
    )
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
class Head:
    """The last sealed entry: publishing ``seq`` and ``hash`` fixes everything before it."""

    seq: int
    hash: str


def seal(session: Session, limit: int = SEAL_BATCH) -> int:
    """Chain up to ``limit`` unsealed entries after the head, in id order; how many were sealed.

    Run it in a writer's unit of work (on SQLite that is ``BEGIN IMMEDIATE``); on PostgreSQL an
    advisory lock, taken by the sealer only, keeps two sealers from racing.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SEALER_LOCK})
    current = head(session)
    seq, prev = (current.seq, current.hash) if current else (0, GENESIS)
    pending = session.scalars(
        select(AuditEvent).where(AuditEvent.seq.is_(None)).order_by(AuditEvent.id).limit(limit)
    ).all()
    for entry in pending:
        seq += 1
        entry.seq, entry.prev_hash = seq, prev
        entry.hash = prev = entry_hash(entry)
    session.flush()
    return len(pending)


def head(session: Session) -> Head | None:
    row = session.execute(
        select(AuditEvent.seq, AuditEvent.hash)
        .where(AuditEvent.seq.is_not(None))
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).first()
    if row is None or row.seq is None or row.hash is None:
        return None
    return Head(int(row.seq), str(row.hash))


@dataclass(frozen=True)
class ChainBreak:
    entry_id: int
    reason: str


def verify(
    session: Session, now: datetime, grace: timedelta = SEAL_GRACE, batch: int = 5000
) -> tuple[int, ChainBreak | None]:
    """Walk the chain in order; the number of entries checked and the first broken one, if any.

    After the sealed chain, an entry still unsealed although it was written more than ``grace``
    before ``now`` is reported too.
    """
    expected_prev = GENESIS
    checked = 0
    for entry in _in_order(session, batch):
        if entry.prev_hash != expected_prev:
            return checked, ChainBreak(entry.id, "does not link to the entry before it")
        if entry_hash(entry) != entry.hash:
            return checked, ChainBreak(entry.id, "content changed after it was written")
        expected_prev = entry.hash
        checked += 1
    stale = session.scalar(
        select(AuditEvent.id)
        .where(AuditEvent.seq.is_(None), AuditEvent.at < now - grace)
        .order_by(AuditEvent.id)
        .limit(1)
    )
    if stale is not None:
        waited = int(grace.total_seconds())
        return checked, ChainBreak(stale, f"not sealed into the chain {waited} s after it was written")
    return checked, None


def check_anchors(session: Session, anchors: list[Head]) -> Head | None:
    """The first published head that the chain no longer contains (rewritten or truncated), if any."""
    for anchor in anchors:
        stored = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == anchor.seq))
        if stored != anchor.hash:
            return anchor
    return None


def _in_order(session: Session, batch: int) -> Iterator[AuditEvent]:
    last_seq = 0
    while True:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.seq > last_seq).order_by(AuditEvent.seq).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last_seq = rows[-1].seq or last_seq
        session.expunge_all()
