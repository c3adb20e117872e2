"""Centres: crisis centres (КЦ) and community support centres (ЦОП), their places and occupancy."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select

from engine.audit.chain import record
from engine.errors import ValidationFailed
from engine.people.permissions import Principal
from engine.store.models import Case, Centre
from engine.store.uow import UnitOfWork

KINDS = ("crisis_centre", "community_support")
_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
# Field errors: stable English texts, shown in the reader's language by the adapters (web/field_messages.py).
CODE_FORM = "2–40 characters: lower-case letters, digits or '-'"
PLACES = "between 1 and 1000 places"
REQUIRED = "required"


def centres_of_kind(uow: UnitOfWork, kind: str) -> list[tuple[str, str]]:
    """Every centre of a kind as (code, name), by name: what a form offers to choose a centre from.

    Codes and names only: never a centre's confidential address.
    """
    rows = uow.session.execute(
        select(Centre.code, Centre.name).where(Centre.kind == kind).order_by(Centre.name)
    )
    return [(str(code), str(name)) for code, name in rows]


def find_centre(uow: UnitOfWork, code: str) -> Centre | None:
    return uow.session.scalar(select(Centre).where(Centre.code == code))


def ensure_centre(
    uow: UnitOfWork, who: Principal, code: str, name: str, kind: str, capacity: int, address: str = ""
) -> Centre:
    """Create the centre, or return the existing one with that code unchanged."""
    fields: dict[str, list[str]] = {}
    if not _CODE.match(code):
        fields["code"] = [CODE_FORM]
    if kind not in KINDS:
        fields["kind"] = [f"one of {', '.join(KINDS)}"]
    if not 1 <= capacity <= 1000:
        fields["capacity"] = [PLACES]
    if not name.strip():
        fields["name"] = [REQUIRED]
    if fields:
        raise ValidationFailed("cannot create the centre", fields)
    centre = find_centre(uow, code)
    if centre is not None:
        return centre
    centre = Centre(
        code=code,
        name=name.strip(),
        kind=kind,
        capacity=capacity,
        address=address,
        created_at=uow.clock.now(),
    )
    uow.session.add(centre)
    uow.session.flush()
    record(
        uow.session,
        uow.clock.now(),
        who,
        "centre.create",
        subject=code,
        detail={"kind": kind, "capacity": capacity},
    )
    return centre


# Cases whose person still takes a place: open, parked as an incident or suspended, and not yet left (a case
# stays open for its follow-ups after the person has gone). Asking for these status values (not
# "!= closed") lets the (centre_id, status) index skip a centre's closed cases, which only ever grow.
STAYING = ("open", "incident", "suspended")


def staying() -> ColumnElement[bool]:
    """The condition on ``case_file`` of a person who still takes a place in the centre."""
    return Case.status.in_(STAYING) & Case.left_at.is_(None)


@dataclass(frozen=True)
class Occupancy:
    centre_id: int
    open_cases: int
    capacity: int

    @property
    def free(self) -> int:
        return max(self.capacity - self.open_cases, 0)

    @property
    def full(self) -> bool:
        return self.open_cases >= self.capacity


def occupancy(uow: UnitOfWork, centre: Centre) -> Occupancy:
    """Residents (open cases and incidents whose person has not left) against the centre's places."""
    count = uow.session.scalar(
        select(func.count()).select_from(Case).where(Case.centre_id == centre.id, staying())
    )
    return Occupancy(centre.id, int(count or 0), centre.capacity)
