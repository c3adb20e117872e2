"""The administrator's side: users and centres. Administrators never see case content or addresses."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from engine import credentials, users
from engine.audit import record
from engine.centres import ensure_centre, find_centre
from engine.errors import NotFound, ValidationFailed
from engine.permissions import Principal, can_manage_users, require
from engine.store.models import Case, Centre, Membership, User
from engine.store.uow import UnitOfWork


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


def list_users(uow: UnitOfWork, who: Principal) -> list[UserRow]:
    require(can_manage_users(who), "only an administrator manages users")
    rows = uow.session.execute(
        select(User.username, User.display_name, User.active, Centre.code, Centre.name, Membership.role)
        .outerjoin(Membership, Membership.user_id == User.id)
        .outerjoin(Centre, Centre.id == Membership.centre_id)
        .order_by(User.username, Centre.code)
    ).all()
    found: dict[str, UserRow] = {}
    for username, name, active, code, centre_name, role in rows:
        row = found.setdefault(username, UserRow(username, name, active, []))
        if code is not None:
            row.memberships.append(MembershipRow(code, centre_name, role))
    return list(found.values())


def list_centres(uow: UnitOfWork, who: Principal) -> list[CentreRow]:
    """Centres with their places and staff counts; never the confidential address."""
    require(can_manage_users(who), "only an administrator manages centres")
    open_cases = (
        select(Case.centre_id, func.count().label("n"))
        .where(Case.status != "closed")
        .group_by(Case.centre_id)
        .subquery()
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
        )
        .outerjoin(open_cases, open_cases.c.centre_id == Centre.id)
        .outerjoin(staff, staff.c.centre_id == Centre.id)
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
    """Create a user, or give an existing one a role in another centre (the password is then reset)."""
    require(can_manage_users(who), "only an administrator manages users")
    return users.create_user(uow, who, username, password, centre_code, role, display_name)


def set_user_active(uow: UnitOfWork, who: Principal, username: str, active: bool) -> User:
    """Deactivate (sign out at the next request, no more sign-ins) or reactivate a user."""
    require(can_manage_users(who), "only an administrator manages users")
    user = users.find_user(uow, username.strip().lower())
    if user is None:
        raise NotFound("user not found")
    if user.id == who.user_id and not active:
        raise ValidationFailed("you cannot deactivate yourself", {"username": ["that is you"]})
    if user.active and not active:
        credentials.revoke_all(uow, who, user, "deactivated")
    user.active = active
    action = "user.activate" if active else "user.deactivate"
    record(uow.session, uow.clock.now(), who, action, subject=user.username)
    return user


def add_centre(
    uow: UnitOfWork, who: Principal, code: str, name: str, kind: str, capacity: int, address: str = ""
) -> Centre:
    """Create a centre; its address is written here and shown afterwards only to its staff."""
    require(can_manage_users(who), "only an administrator manages centres")
    code = code.strip().lower()
    if len(name) > 200 or len(address) > 1000:
        raise ValidationFailed("too long", {"name" if len(name) > 200 else "address": ["too long"]})
    if find_centre(uow, code) is not None:
        raise ValidationFailed("the centre exists", {"code": ["a centre with this code exists"]})
    return ensure_centre(uow, who, code, name, kind, capacity, address.strip())
