"""Staff roles: stable codes used in data and diagrams, with Bulgarian and English labels."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Role:
    code: str
    bg: str
    en: str


ROLES: tuple[Role, ...] = (
    Role("social_worker", "Социален работник", "Social worker"),
    Role("psychologist", "Психолог", "Psychologist"),
    Role("educator", "Възпитател", "Educator"),
    Role("medical", "Медицински специалист", "Medical specialist"),
    Role("case_lead", "Водещ на случая", "Case lead"),
    Role("coordinator", "Координатор", "Coordinator"),
    Role("manager", "Управител", "Manager"),
    Role("admin", "Администратор", "Administrator"),
)
ROLE_CODES = frozenset(role.code for role in ROLES)
# Roles that do casework: they may be named on a task in a diagram.
CASEWORK_ROLES = frozenset(
    {"social_worker", "psychologist", "educator", "medical", "case_lead", "manager", "coordinator"}
)

_BY_NAME = {name.casefold(): role.code for role in ROLES for name in (role.code, role.bg, role.en)}


def resolve_role(name: str) -> str | None:
    """The role code for a code or a label (as a lane may be named), or None."""
    code = _BY_NAME.get(name.strip().casefold())
    return code if code in CASEWORK_ROLES else None


def role_label(code: str, locale: str = "bg") -> str:
    for role in ROLES:
        if role.code == code:
            return role.bg if locale == "bg" else role.en
    return code


def resolve_roles(names: Iterable[str]) -> list[str]:
    """Role names (codes or labels) → sorted role codes; unknown names are ignored (the lint reports them)."""
    codes = [resolve_role(name) for name in names if name.strip()]
    return sorted({code for code in codes if code is not None})
