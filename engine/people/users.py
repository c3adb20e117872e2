"""Users, memberships and personal API tokens. Passwords are hashed with argon2; tokens with SHA-256."""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from engine.audit.chain import record
from engine.errors import NotFound, TooManyAttempts, ValidationFailed
from engine.notify.notifications import ROLE_GRANTED, notify_centre
from engine.people import credentials, sign_in_throttle
from engine.people.passwords import MIN_LENGTH, password_problems
from engine.people.permissions import SYSTEM, Principal, roles_compatible
from engine.people.roles import ROLE_CODES, TOLD_OF_GRANTS
from engine.store.models import Centre, Membership, User
from engine.store.uow import UnitOfWork

_HASHER = PasswordHasher()
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")
USERNAME_FORM = "2–80 characters: lower-case letters, digits, '.', '_' or '-'"
USERNAME_TAKEN = "this username is taken: give the existing user a role instead"
ROLES_APART = "the admin role and casework roles are never held by one person at the same centre"
MIN_PASSWORD = MIN_LENGTH
DEFAULT_TOKEN_DAYS = 90  # Settings.token_days (CASEPATH_TOKEN_DAYS) is what the CLI passes


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
    """Check the credentials and audit the attempt, successful or not (who tried, from where).

    Raises :class:`TooManyAttempts` while the name is throttled after repeated failures, whether or
    not such a user exists, and without checking the password (the same answer, the same work).
    """
    name = username.strip().lower()
    now = uow.clock.now()
    stranger = Principal(None, "anonymous", {}, ip)
    until = sign_in_throttle.locked_until(uow, name, now, ip)
    if until is not None:
        record(uow.session, now, stranger, "auth.throttled", subject=name[:80])
        raise TooManyAttempts("too many failed sign-ins for this name; wait and try again", until - now)
    user = authenticate(uow, name, password)
    if user is None:
        sign_in_throttle.note_failure(uow, name, now, ip)
        record(uow.session, now, stranger, "auth.failed", subject=name[:80])
        return None
    sign_in_throttle.forget_failures(uow, name, ip)
    record(uow.session, now, principal_for(user, ip), "auth.login", subject=user.username)
    return user


def sign_out(uow: UnitOfWork, who: Principal) -> None:
    """Sign out everywhere: every session and every API token of this user ends.

    A copied cookie or a token left in a script must not outlive the person's decision to leave.
    """
    user = uow.session.get(User, who.user_id) if who.user_id is not None else None
    record(uow.session, uow.clock.now(), who, "auth.logout")
    if user is not None:
        credentials.revoke_all(uow, who, user, "signed_out")


WRONG_PASSWORD = "wrong_password"  # noqa: S105 - a message code, not a password


def change_own_password(uow: UnitOfWork, who: Principal, current: str, new: str) -> User:
    """A signed-in user replaces their own password, proving the current one; every session and token
    they had ends. Nobody else chooses a person's password: the operator sets one
    (``casepath users password``), and an administrator may only reset it to a random one
    (``administration.reset_password``) that must be replaced at the next sign-in; the reset is audited,
    so using it to read that person's cases would show."""
    user = uow.session.get(User, who.user_id) if who.user_id is not None else None
    if user is None or not user.active:
        raise NotFound("user not found")
    if not password_matches(user.password_hash, current):
        raise ValidationFailed("cannot change the password", {"current_password": [WRONG_PASSWORD]})
    return set_password(uow, who, user.username, new)


def set_password(uow: UnitOfWork, who: Principal, username: str, password: str) -> User:
    """Give the user a new password; every session and token they had ends."""
    user = get_user(uow, username.strip().lower())
    problems = password_problems(password, [user.username, user.display_name])
    if problems:
        raise ValidationFailed("cannot change the password", {"password": problems})
    user.password_hash = hash_password(password)
    user.must_change_password = False  # reset_password (administration.py) sets it again after this
    record(uow.session, uow.clock.now(), who, "user.password", subject=user.username)
    credentials.revoke_all(uow, who, user, "password_changed")
    return user


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
    """Create a new account with a role in one centre; an existing account is never touched."""
    fields: dict[str, list[str]] = {}
    username = username.strip().lower()
    if not _USERNAME.match(username):
        fields["username"] = [USERNAME_FORM]
    elif find_user(uow, username) is not None:
        fields["username"] = [USERNAME_TAKEN]
    if role not in ROLE_CODES:
        fields["role"] = [f"one of {', '.join(sorted(ROLE_CODES))}"]
    problems = password_problems(password, [username, display_name])
    if problems:
        fields["password"] = problems
    if fields:
        raise ValidationFailed("cannot create the user", fields)
    centre = get_centre_for(uow, centre_code, "cannot create the user")
    now = uow.clock.now()
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        password_hash=hash_password(password),
        created_at=now,
        active=True,
    )
    uow.session.add(user)
    uow.session.flush()
    record(
        uow.session, now, who, "user.create", subject=username, detail={"centre": centre.code, "role": role}
    )
    _grant(uow, who, user, centre, role)
    return user


def grant_role(uow: UnitOfWork, who: Principal, username: str, centre_code: str, role: str) -> User:
    """Give an existing user ``role`` in a centre (replacing their role there); the password is untouched."""
    user = get_user(uow, username.strip().lower())
    if role not in ROLE_CODES:
        raise ValidationFailed("cannot grant the role", {"role": [f"one of {', '.join(sorted(ROLE_CODES))}"]})
    centre = get_centre_for(uow, centre_code, "cannot grant the role")
    current = next((m.role for m in user.memberships if m.centre_id == centre.id), None)
    if not roles_compatible(role, current):
        raise ValidationFailed("cannot grant the role", {"role": [ROLES_APART]})
    _grant(uow, who, user, centre, role)
    return user


def get_centre_for(uow: UnitOfWork, centre_code: str, message: str) -> Centre:
    centre = uow.session.scalar(select(Centre).where(Centre.code == centre_code.strip().lower()))
    if centre is None:
        raise ValidationFailed(message, {"centre": [f"no centre with code '{centre_code}'"]})
    return centre


def _grant(uow: UnitOfWork, who: Principal, user: User, centre: Centre, role: str) -> None:
    """Set the membership, audit the grant, and tell the centre's managers (all in this transaction)."""
    previous = set_membership(uow, user, centre, role, who)
    uow.session.flush()
    detail = {"centre": centre.code, "role": role, "previous": previous or ""}
    record(uow.session, uow.clock.now(), who, "role.grant", subject=user.username, detail=detail)
    if who.user_id is not None:  # a person's grant; the operator's CLI and the demo loader set up centres
        params = {"centre": centre.name, "username": user.username, "role": role}
        notify_centre(uow, centre.id, TOLD_OF_GRANTS, ROLE_GRANTED, params, exclude={user.id})


def set_membership(
    uow: UnitOfWork, user: User, centre: Centre, role: str, who: Principal = SYSTEM
) -> str | None:
    """Give ``user`` ``role`` in ``centre``; returns the role they had there before, if any.

    Replacing another role there ends the user's sessions and tokens (the old role's rights go with them).
    """
    existing = next((m for m in user.memberships if m.centre_id == centre.id), None)
    if existing is None:
        user.memberships.append(Membership(centre=centre, role=role))
        return None
    previous, existing.role = existing.role, role
    if previous != role:
        credentials.revoke_all(uow, who, user, "role_removed")
    return previous


def principal_for(user: User, ip: str = "") -> Principal:
    return Principal(user.id, user.username, {m.centre_id: m.role for m in user.memberships}, ip)


def issue_token(uow: UnitOfWork, who: Principal, username: str, days: int = DEFAULT_TOKEN_DAYS) -> str:
    """A new personal API token for ``username``, valid for ``days``; printed once, stored hashed."""
    return credentials.issue_token(uow, who, get_user(uow, username), days)


def revoke_tokens(uow: UnitOfWork, who: Principal, username: str) -> int:
    """``casepath users revoke-tokens``: every live token of the user stops working; how many."""
    user = get_user(uow, username.strip().lower())
    revoked = credentials.revoke_tokens(uow, user)
    record(
        uow.session, uow.clock.now(), who, "token.revoke", subject=user.username, detail={"tokens": revoked}
    )
    return revoked


def user_for_token(uow: UnitOfWork, token: str, now: datetime) -> User | None:
    """The active user of a live (unexpired, unrevoked) token, or None. Reads only."""
    use = credentials.use_token(uow, token, now)
    return use.user if use is not None else None


LOCALES = ("bg", "en")


def find_user_by_id(uow: UnitOfWork, user_id: int) -> User | None:
    """The active user with this id, or None (a deactivated user is signed out on their next request)."""
    user = uow.session.get(User, user_id)
    return user if user is not None and user.active else None


def find_session_user(uow: UnitOfWork, user_id: int, stamp: object) -> User | None:
    """The active user of a session signed in with ``stamp``, or None when that session has ended."""
    user = find_user_by_id(uow, user_id)
    return user if user is not None and credentials.stamp_matches(user, stamp) else None


def set_locale(uow: UnitOfWork, user_id: int, locale: str) -> None:
    """Remember the language a user chose; an unknown language is refused."""
    if locale not in LOCALES:
        raise ValidationFailed("unknown language", {"locale": [f"one of {', '.join(LOCALES)}"]})
    user = uow.session.get(User, user_id)
    if user is None:
        raise NotFound("user not found")
    user.locale = locale
