"""Users, memberships and personal API tokens. Passwords are hashed with argon2; tokens with SHA-256."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from engine.audit import record
from engine.errors import NotFound, ValidationFailed
from engine.permissions import Principal
from engine.roles import ROLE_CODES
from engine.store.models import ApiToken, Centre, Membership, User
from engine.store.uow import UnitOfWork

_HASHER = PasswordHasher()
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")
MIN_PASSWORD = 10


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def password_matches(stored_hash: str, password: str) -> bool:
    try:
        return bool(stored_hash) and _HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Checked against when the username does not exist, so both paths cost one argon2 verification.
_DUMMY_HASH = _HASHER.hash(secrets.token_hex(16))


def authenticate(uow: UnitOfWork, username: str, password: str) -> User | None:
    user = find_user(uow, username.strip().lower())
    if user is None or not user.active:
        password_matches(_DUMMY_HASH, password)
        return None
    return user if password_matches(user.password_hash, password) else None


def sign_in(uow: UnitOfWork, username: str, password: str, ip: str = "") -> User | None:
    """Check the credentials and audit the attempt, successful or not (who tried, from where)."""
    user = authenticate(uow, username, password)
    now = uow.clock.now()
    if user is None:
        stranger = Principal(None, "anonymous", {}, ip)
        record(uow.session, now, stranger, "auth.failed", subject=username.strip().lower()[:80])
        return None
    record(uow.session, now, principal_for(user, ip), "auth.login", subject=user.username)
    return user


def sign_out(uow: UnitOfWork, who: Principal) -> None:
    record(uow.session, uow.clock.now(), who, "auth.logout")


def find_user(uow: UnitOfWork, username: str) -> User | None:
    return uow.session.scalar(select(User).where(User.username == username))


def get_user(uow: UnitOfWork, username: str) -> User:
    user = find_user(uow, username)
    if user is None:
        raise NotFound(f"user '{username}' does not exist")
    return user


def create_user(
    uow: UnitOfWork,
    who: Principal,
    username: str,
    password: str,
    centre_code: str,
    role: str,
    display_name: str = "",
) -> User:
    """Create a user (or add a centre to an existing one) with a role in that centre."""
    fields: dict[str, list[str]] = {}
    username = username.strip().lower()
    if not _USERNAME.match(username):
        fields["username"] = ["2–80 characters: lower-case letters, digits, '.', '_' or '-'"]
    if role not in ROLE_CODES:
        fields["role"] = [f"one of {', '.join(sorted(ROLE_CODES))}"]
    if len(password) < MIN_PASSWORD:
        fields["password"] = [f"at least {MIN_PASSWORD} characters"]
    if fields:
        raise ValidationFailed("cannot create the user", fields)
    centre = uow.session.scalar(select(Centre).where(Centre.code == centre_code))
    if centre is None:
        raise ValidationFailed("cannot create the user", {"centre": [f"no centre with code '{centre_code}'"]})
    now = uow.clock.now()
    user = find_user(uow, username)
    if user is None:
        user = User(username=username, display_name=display_name or username, created_at=now, active=True)
        uow.session.add(user)
    user.password_hash = hash_password(password)
    set_membership(uow, user, centre, role)
    uow.session.flush()
    record(
        uow.session, now, who, "user.create", subject=username, detail={"centre": centre.code, "role": role}
    )
    return user


def set_membership(uow: UnitOfWork, user: User, centre: Centre, role: str) -> None:
    existing = next((m for m in user.memberships if m.centre_id == centre.id), None)
    if existing is None:
        user.memberships.append(Membership(centre=centre, role=role))
    else:
        existing.role = role


def principal_for(user: User, ip: str = "") -> Principal:
    return Principal(user.id, user.username, {m.centre_id: m.role for m in user.memberships}, ip)


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(uow: UnitOfWork, who: Principal, username: str) -> str:
    """A new personal API token; only its hash is stored, so it is shown once."""
    user = get_user(uow, username)
    token = "cp_" + secrets.token_urlsafe(32)
    uow.session.add(ApiToken(user_id=user.id, token_hash=_token_digest(token), created_at=uow.clock.now()))
    record(uow.session, uow.clock.now(), who, "token.issue", subject=username)
    return token


def user_for_token(uow: UnitOfWork, token: str, now: datetime) -> User | None:
    row = uow.session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_digest(token)))
    if row is None:
        return None
    user = uow.session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    row.last_used_at = now
    return user


LOCALES = ("bg", "en")


def find_user_by_id(uow: UnitOfWork, user_id: int) -> User | None:
    """The active user with this id, or None (a deactivated user is signed out on their next request)."""
    user = uow.session.get(User, user_id)
    return user if user is not None and user.active else None


def set_locale(uow: UnitOfWork, user_id: int, locale: str) -> None:
    """Remember the language a user chose; an unknown language is refused."""
    if locale not in LOCALES:
        raise ValidationFailed("unknown language", {"locale": [f"one of {', '.join(LOCALES)}"]})
    user = uow.session.get(User, user_id)
    if user is None:
        raise NotFound("user not found")
    user.locale = locale
