"""What keeps a user signed in: the security stamp of their sessions and their personal API tokens.

Every session carries the user's ``security_stamp`` from the moment it signed in; a session whose stamp
is no longer the user's is over. :func:`revoke_all` gives the user a new stamp and revokes their
tokens: sign-out ends the sessions, a password change, a deactivation or a removed role ends both.

Tokens expire (``Settings.token_days``). Using one never writes in the request's transaction: the web
layer records the last use afterwards, in its own short transaction, at most every few minutes.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from engine.audit.chain import record
from engine.errors import ValidationFailed
from engine.people.permissions import Principal
from engine.store.models import ApiToken, User, new_security_stamp
from engine.store.uow import UnitOfWork

MAX_TOKEN_DAYS = 3650
# A token's last use is written at most this often: enough for an operator, never a write per request.
LAST_USE_PRECISION = timedelta(minutes=5)


@dataclass(frozen=True)
class TokenUse:
    """A token that authenticated a request; ``stale`` when its recorded last use should be refreshed."""

    token_id: int
    user: User
    stale: bool


def stamp_matches(user: User, stamp: object) -> bool:
    return isinstance(stamp, str) and bool(stamp) and secrets.compare_digest(stamp, user.security_stamp)


def end_sessions(user: User) -> None:
    """Every session of this user ends at its next request."""
    user.security_stamp = new_security_stamp()


def revoke_tokens(uow: UnitOfWork, user: User) -> int:
    """Revoke every live token of this user; how many there were."""
    now = uow.clock.now()
    result = uow.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > now)
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def revoke_all(uow: UnitOfWork, who: Principal, user: User, reason: str) -> None:
    """End the user's sessions and revoke their tokens (password changed, deactivated, role removed)."""
    end_sessions(user)
    revoked = revoke_tokens(uow, user)
    detail = {"reason": reason, "tokens": revoked}
    record(
        uow.session, uow.clock.now(), who, "user.credentials_revoked", subject=user.username, detail=detail
    )


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(uow: UnitOfWork, who: Principal, user: User, days: int) -> str:
    """A new personal API token valid for ``days``; only its hash is stored, so it is shown once."""
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise ValidationFailed("cannot issue the token", {"days": [f"from 1 to {MAX_TOKEN_DAYS}"]})
    now = uow.clock.now()
    token = "cp_" + secrets.token_urlsafe(32)
    expires = now + timedelta(days=days)
    uow.session.add(
        ApiToken(user_id=user.id, token_hash=token_digest(token), created_at=now, expires_at=expires)
    )
    record(uow.session, now, who, "token.issue", subject=user.username, detail={"days": days})
    return token


def use_token(uow: UnitOfWork, token: str, now: datetime) -> TokenUse | None:
    """The live token's active user, or None; reads only (the last use is recorded by :func:`touch`)."""
    row = uow.session.execute(
        select(ApiToken.id, ApiToken.user_id, ApiToken.last_used_at).where(
            ApiToken.token_hash == token_digest(token),
            ApiToken.revoked_at.is_(None),
            ApiToken.expires_at > now,
        )
    ).one_or_none()
    if row is None:
        return None
    user = uow.session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    stale = row.last_used_at is None or now - row.last_used_at >= LAST_USE_PRECISION
    return TokenUse(row.id, user, stale)


def touch(uow: UnitOfWork, token_id: int, now: datetime) -> bool:
    """Record the token's use at ``now`` unless a use within the last few minutes is recorded already.

    Meant for a unit of work of its own, committed at once: one short conditional UPDATE that skips a
    row another transaction holds (PostgreSQL), so requests sharing a token never queue for it.
    """
    due = (
        select(ApiToken.id)
        .where(
            ApiToken.id == token_id,
            or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - LAST_USE_PRECISION),
        )
        .with_for_update(skip_locked=True)  # SQLite has no row locks and drops the clause
    )
    result = uow.session.execute(
        update(ApiToken)
        .where(ApiToken.id.in_(due))
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
