"""The administrator's side: users and centres. Administrators never see case content or addresses."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import func, or_, select

from engine.audit.chain import record
from engine.errors import NotFound, ValidationFailed
from engine.people import credentials, users
from engine.people.centres import ensure_centre, find_centre, staying
from engine.people.permissions import (
    ADMINS,
    Principal,
    can_administer,
    can_grant_role,
    can_manage_account,
    can_manage_users,
    require,
)
from engine.store.models import Case, Centre, Membership, User
from engine.store.uow import UnitOfWork

NOT_YOURS = "you do not administer this centre"
NO_SUCH_USER = "no such user"
NOT_TO_YOURSELF = "you cannot grant a role to yourself"
CENTRE_EXISTS = "a centre with this code exists"
TOO_LONG = "too long"
LAST_ROLE = "the user's only role: deactivate the account instead"
NO_SUCH_ROLE = "the user has no role in this centre"
PLACES = "between 1 and 1000 places"
NOT_AN_EMAIL = "not an e-mail address"
MAX_SEARCH = 100


@dataclass(frozen=True)
class MembershipRow:
    centre_code: str
    centre_name: str
    role: str


@dataclass(frozen=True)
class UserRow:
    username: str
    display_name: str
    active: bool
    memberships: list[MembershipRow]


@dataclass(frozen=True)
class CentreRow:
    code: str
    name: str
    kind: str
    capacity: int
    open_cases: int
    staff: int
    # The letterhead of the centre's outgoing documents: public, unlike the confidential address.
    correspondence_address: str = ""
    phone: str = ""
    email: str = ""


def list_users(uow: UnitOfWork, who: Principal, search: str = "") -> list[UserRow]:
    """The users of the centres ``who`` administers, with their roles in those centres only; ``search``
    keeps those whose username or name contains it."""
    require(can_manage_users(who), "only an administrator manages users")
    administered = who.centres_with(ADMINS)
    query = (
        select(User.username, User.display_name, User.active, Centre.code, Centre.name, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .join(Centre, Centre.id == Membership.centre_id)
        .where(Membership.centre_id.in_(administered))
        .order_by(User.username, Centre.code)
    )
    term = search.strip()[:MAX_SEARCH].replace("%", "").replace("_", "")
    if term:
        like = f"%{term}%"
        query = query.where(or_(User.username.ilike(like), User.display_name.ilike(like)))
    rows = uow.session.execute(query).all()
    found: dict[str, UserRow] = {}
    for username, name, active, code, centre_name, role in rows:
        row = found.setdefault(username, UserRow(username, name, active, []))
        if code is not None:
            row.memberships.append(MembershipRow(code, centre_name, role))
    return list(found.values())


def list_centres(uow: UnitOfWork, who: Principal) -> list[CentreRow]:
    """The centres ``who`` administers, with places and staff counts; never the confidential address."""
    require(can_manage_users(who), "only an administrator manages centres")
    open_cases = (
        select(Case.centre_id, func.count().label("n")).where(staying()).group_by(Case.centre_id).subquery()
    )
    staff = select(Membership.centre_id, func.count().label("n")).group_by(Membership.centre_id).subquery()
    rows = uow.session.execute(
        select(
            Centre.code,
            Centre.name,
            Centre.kind,
            Centre.capacity,
            func.coalesce(open_cases.c.n, 0),
            func.coalesce(staff.c.n, 0),
            Centre.correspondence_address,
            Centre.phone,
            Centre.email,
        )
        .outerjoin(open_cases, open_cases.c.centre_id == Centre.id)
        .outerjoin(staff, staff.c.centre_id == Centre.id)
        .where(Centre.id.in_(who.centres_with(ADMINS)))
        .order_by(Centre.code)
    ).all()
    return [CentreRow(*row) for row in rows]


def add_user(
    uow: UnitOfWork,
    who: Principal,
    username: str,
    password: str,
    centre_code: str,
    role: str,
    display_name: str = "",
) -> User:
    """Create a new account in a centre ``who`` administers; an existing username is refused."""
    require(can_manage_users(who), "only an administrator manages users")
    centre = users.get_centre_for(uow, centre_code, "cannot create the user")
    if not can_grant_role(who, None, centre.id):
        raise ValidationFailed("cannot create the user", {"centre": [NOT_YOURS]})
    return users.create_user(uow, who, username, password, centre_code, role, display_name)


def grant_role(uow: UnitOfWork, who: Principal, username: str, centre_code: str, role: str) -> User:
    """Give an existing user a role in a centre ``who`` administers; never to ``who`` themselves."""
    require(can_manage_users(who), "only an administrator manages users")
    centre = users.get_centre_for(uow, centre_code, "cannot grant the role")
    if not can_administer(who, centre.id):
        raise ValidationFailed("cannot grant the role", {"centre": [NOT_YOURS]})
    user = users.find_user(uow, username.strip().lower())
    if user is None:
        raise ValidationFailed("cannot grant the role", {"username": [NO_SUCH_USER]})
    if not can_grant_role(who, user.id, centre.id):
        raise ValidationFailed("cannot grant the role", {"username": [NOT_TO_YOURSELF]})
    return users.grant_role(uow, who, user.username, centre.code, role)


def set_user_active(uow: UnitOfWork, who: Principal, username: str, active: bool) -> User:
    """Deactivate (sign out at the next request, no more sign-ins) or reactivate a user."""
    require(can_manage_users(who), "only an administrator manages users")
    user = users.find_user(uow, username.strip().lower())
    if user is None or not any(can_administer(who, m.centre_id) for m in user.memberships):
        raise NotFound("user not found")
    if user.id == who.user_id and not active:
        raise ValidationFailed("you cannot deactivate yourself", {"username": ["that is you"]})
    centres = [m.centre_id for m in user.memberships]
    elsewhere = "the user also works in a centre you do not administer"
    require(can_manage_account(who, user.id, centres), elsewhere)
    if user.active and not active:
        credentials.revoke_all(uow, who, user, "deactivated")
    user.active = active
    action = "user.activate" if active else "user.deactivate"
    record(uow.session, uow.clock.now(), who, action, subject=user.username)
    return user


def add_centre(
    uow: UnitOfWork, who: Principal, code: str, name: str, kind: str, capacity: int, address: str = ""
) -> Centre:
    """Create a centre, administered by its creator; its address is shown afterwards only to its staff."""
    require(can_manage_users(who), "only an administrator manages centres")
    code = code.strip().lower()
    if len(name) > 200 or len(address) > 1000:
        raise ValidationFailed("too long", {"name" if len(name) > 200 else "address": [TOO_LONG]})
    if find_centre(uow, code) is not None:
        raise ValidationFailed("the centre exists", {"code": [CENTRE_EXISTS]})
    centre = ensure_centre(uow, who, code, name, kind, capacity, address.strip())
    creator = uow.session.get(User, who.user_id) if who.user_id is not None else None
    if creator is not None:  # the new centre has no staff yet: its creator administers it
        users.set_membership(uow, creator, centre, "admin")
        uow.session.flush()
        detail = {"centre": centre.code, "role": "admin", "previous": ""}
        record(uow.session, uow.clock.now(), who, "role.grant", subject=creator.username, detail=detail)
    return centre


def managed_user(uow: UnitOfWork, who: Principal, username: str) -> User:
    """A user whose every centre ``who`` administers (never ``who``): others do not exist for them."""
    require(can_manage_users(who), "only an administrator manages users")
    user = users.find_user(uow, username.strip().lower())
    if user is None or not any(can_administer(who, m.centre_id) for m in user.memberships):
        raise NotFound("user not found")
    centres = [m.centre_id for m in user.memberships]
    require(can_manage_account(who, user.id, centres), "you may not change this account")
    return user


def rename_user(uow: UnitOfWork, who: Principal, username: str, display_name: str) -> User:
    user = managed_user(uow, who, username)
    name = display_name.strip()
    if len(name) > 200:
        raise ValidationFailed("too long", {"display_name": [TOO_LONG]})
    user.display_name = name
    record(uow.session, uow.clock.now(), who, "user.rename", subject=user.username)
    return user


def remove_role(uow: UnitOfWork, who: Principal, username: str, centre_code: str) -> User:
    """Take away a user's role in a centre ``who`` administers (never their own, never the last one)."""
    require(can_manage_users(who), "only an administrator manages users")
    centre = users.get_centre_for(uow, centre_code, "cannot remove the role")
    if not can_administer(who, centre.id):
        raise ValidationFailed("cannot remove the role", {"centre": [NOT_YOURS]})
    user = users.find_user(uow, username.strip().lower())
    if user is None or not any(can_administer(who, m.centre_id) for m in user.memberships):
        raise NotFound("user not found")
    if not can_grant_role(who, user.id, centre.id):
        raise ValidationFailed("cannot remove the role", {"username": [NOT_TO_YOURSELF]})
    membership = next((m for m in user.memberships if m.centre_id == centre.id), None)
    if membership is None:
        raise ValidationFailed("cannot remove the role", {"centre": [NO_SUCH_ROLE]})
    if len(user.memberships) == 1:
        raise ValidationFailed("cannot remove the role", {"centre": [LAST_ROLE]})
    user.memberships.remove(membership)
    uow.session.delete(membership)
    credentials.revoke_all(uow, who, user, "role_removed")
    detail = {"centre": centre.code, "previous": membership.role}
    record(uow.session, uow.clock.now(), who, "role.remove", subject=user.username, detail=detail)
    return user


def reset_password(uow: UnitOfWork, who: Principal, username: str) -> str:
    """Give the user a new random password, shown once to the administrator to pass on; the user must
    choose their own at the next sign-in, and every session and token they had ends. Audited."""
    user = managed_user(uow, who, username)
    temporary = secrets.token_urlsafe(12)
    users.set_password(uow, who, user.username, temporary)
    user.must_change_password = True
    record(uow.session, uow.clock.now(), who, "user.password_reset", subject=user.username)
    return temporary


@dataclass(frozen=True)
class Letterhead:
    """What the centre's outgoing documents carry (engine/casework/documents): never the address."""

    correspondence_address: str
    phone: str
    email: str


LETTERHEAD_LIMITS = {"correspondence_address": 1000, "phone": 60, "email": 255}


def update_centre(
    uow: UnitOfWork,
    who: Principal,
    code: str,
    name: str,
    capacity: int,
    address: str | None = None,
    letterhead: Letterhead | None = None,
) -> Centre:
    """Change a centre's name and places, its letterhead when one is given, and its address when one is
    given (``None`` keeps it: the administrator never sees the address, only replaces it). Audited
    without the address."""
    require(can_manage_users(who), "only an administrator manages centres")
    centre = find_centre(uow, code.strip().lower())
    if centre is None or not can_administer(who, centre.id):
        raise NotFound("centre not found")
    fields: dict[str, list[str]] = {}
    if not name.strip() or len(name) > 200:
        fields["name"] = [TOO_LONG if name.strip() else "required"]
    if not 1 <= capacity <= 1000:
        fields["capacity"] = [PLACES]
    if address is not None and len(address) > 1000:
        fields["address"] = [TOO_LONG]
    fields.update(_letterhead_problems(letterhead))
    if fields:
        raise ValidationFailed("the centre has errors", fields)
    changed = [
        key
        for key, old, new in (("name", centre.name, name.strip()), ("capacity", centre.capacity, capacity))
        if old != new
    ]
    centre.name, centre.capacity = name.strip(), capacity
    if address is not None and address.strip() != centre.address:
        centre.address = address.strip()
        changed.append("address")
    for key, value in (vars(letterhead) if letterhead is not None else {}).items():
        if value.strip() != getattr(centre, key):
            setattr(centre, key, value.strip())
            changed.append(key)
    detail = {"changed": changed}
    record(uow.session, uow.clock.now(), who, "centre.update", subject=centre.code, detail=detail)
    return centre


def _letterhead_problems(letterhead: Letterhead | None) -> dict[str, list[str]]:
    if letterhead is None:
        return {}
    fields = {
        key: [TOO_LONG] for key, limit in LETTERHEAD_LIMITS.items() if len(getattr(letterhead, key)) > limit
    }
    email = letterhead.email.strip()
    if email and ("@" not in email or any(ch.isspace() for ch in email)) and "email" not in fields:
        fields["email"] = [NOT_AN_EMAIL]
    return fields
