"""Families: a mother admitted with her children, each on their own case and pathway, linked as a group.

A family group is the parent's case and the ``family`` links from it to each child's case
(``case_link``). Admitting a family opens the parent's case on the adult pathway and each child's on
the child pathway of the same centre, and puts them in one room (a mother with her children kept
together, family rooms first). A family that came as one but was admitted one by one is linked later
from a case page. Each case page shows the whole group (engine/casework/case_links.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import select

from engine.audit.chain import record
from engine.casework.case_links import FAMILY
from engine.casework.cases import get_centre, open_case, validate_intake
from engine.casework.intake_data import Intake, age_on
from engine.clock import local_date
from engine.errors import ValidationFailed
from engine.people import places
from engine.people.centres import occupancy
from engine.people.permissions import Principal, can_open_case, can_view_case, require
from engine.store.models import Case, CaseLink, Centre, Place
from engine.store.uow import UnitOfWork

MAX_CHILDREN = 8
ADULT_AGE = places.ADULT_AGE
# Field errors: stable English texts, shown in the reader's language by the adapters.
CHILD_NAME = "required, at most 200 characters"
CHILD_BORN = "a child's birth date: under 18 on the day of admission"
CHILD_SEX = "one of female, male"
TOO_MANY = f"at most {MAX_CHILDREN} children"
FULL_FOR_FAMILY = "the centre has too few free places for the family: confirm to admit over capacity"
NO_FAMILY_ROOM = "no room has free places for the whole family: confirm to admit over capacity"
NO_SUCH_CASE = "no case you may open has that number"
ALREADY_IN_FAMILY = "the child is already in a family"
NOT_A_FAMILY = "a family links a parent with her children: one adult's case and a child's"
SAME_CASE = "a case cannot be linked to itself"


@dataclass(frozen=True)
class Child:
    """A child admitted with the parent: what the intake knows of them."""

    display_name: str
    birth_date: date | None
    sex: str = ""


def validate_children(parent: Intake, children: list[Child]) -> None:
    """Every child's field problem at once, named ``children-<n>-<field>`` (n from 1)."""
    fields: dict[str, list[str]] = {}
    if len(children) > MAX_CHILDREN:
        fields["children"] = [TOO_MANY]
    admitted_on = local_date(parent.admitted_at) if parent.admitted_at else None
    for number, child in enumerate(children, start=1):
        if not child.display_name.strip() or len(child.display_name) > 200:
            fields[f"children-{number}-display_name"] = [CHILD_NAME]
        age = age_on(child.birth_date, admitted_on) if admitted_on and child.birth_date else None
        if child.birth_date is None or (age is not None and not 0 <= age < ADULT_AGE):
            fields[f"children-{number}-birth_date"] = [CHILD_BORN]
        if child.sex not in ("", *places.SEXES):
            fields[f"children-{number}-sex"] = [CHILD_SEX]
    if fields:
        raise ValidationFailed("the family has errors", fields)


def admit_family(
    uow: UnitOfWork,
    who: Principal,
    parent: Intake,
    children: list[Child],
    over_capacity: bool = False,
    waiting: str = "",
) -> tuple[Case, list[Case]]:
    """Open the parent's case and one case per child, link them as a family and put them in one room.

    A centre too full for the whole family, or with no room that holds it, needs the admitting worker
    to confirm they admit over capacity: then the family is admitted without places, and the places
    page lists them as residents without a place.
    """
    validate_intake(parent)
    if parent.sex not in ("", *places.SEXES):
        raise ValidationFailed("unknown sex", {"sex": [CHILD_SEX]})
    admitted_at = parent.admitted_at or uow.clock.now()
    parent = replace(parent, admitted_at=admitted_at)
    validate_children(parent, children)
    centre = get_centre(uow, parent.centre_code)
    require(can_open_case(who, centre.id), "you may not open cases in this centre")
    room = _family_places(uow, centre, parent, children, over_capacity)
    first = open_case(uow, who, parent)
    kids = [open_case(uow, who, _child_intake(parent, child)) for child in children]
    if room is not None:
        for case, place in zip([first, *kids], room, strict=True):
            places.settle(uow, case, place)
    for kid in kids:
        _link(uow, who, first, kid, "admitted")
    if waiting:
        places.resolve_waiting(uow, who, centre, waiting, "admitted")
    return first, kids


def _child_intake(parent: Intake, child: Child) -> Intake:
    """A child comes on the parent's legal basis and referral, on the same day, for the same reason."""
    return replace(parent, display_name=child.display_name, birth_date=child.birth_date, sex=child.sex)


def _family_places(
    uow: UnitOfWork, centre: Centre, parent: Intake, children: list[Child], over_capacity: bool
) -> list[Place] | None:
    now = occupancy(uow, centre)
    if now.open_cases + 1 + len(children) > now.capacity and not over_capacity:
        raise ValidationFailed("the centre is too full for the family", {"over_capacity": [FULL_FOR_FAMILY]})
    if not places.has_places(uow, centre.id):
        return None
    day = local_date(parent.admitted_at or uow.clock.now())
    members = [(age_on(parent.birth_date, day), parent.sex)]
    members += [(age_on(child.birth_date, day), child.sex) for child in children]
    room = places.place_family(uow, centre.id, members)
    if room is None and not over_capacity:
        raise ValidationFailed("no room for the family", {"over_capacity": [NO_FAMILY_ROOM]})
    return room


def family_parent(uow: UnitOfWork, case_id: int) -> int | None:
    """The id of the parent's case of a child in a family group, or None."""
    return uow.session.scalar(
        select(CaseLink.from_case_id).where(CaseLink.to_case_id == case_id, CaseLink.kind == FAMILY)
    )


def family_children(uow: UnitOfWork, case_id: int) -> list[int]:
    return list(
        uow.session.scalars(
            select(CaseLink.to_case_id)
            .where(CaseLink.from_case_id == case_id, CaseLink.kind == FAMILY)
            .order_by(CaseLink.id)
        )
    )


def link_family(uow: UnitOfWork, who: Principal, case: Case, other_number: str) -> Case:
    """Link an existing case to ``case``'s family (a mother and her child admitted one by one); the
    other case. The adult's case is the parent; a child joins the family of a child already in one."""
    require(can_open_case(who, case.centre_id), "you may not link cases in this centre")
    other = uow.session.scalar(select(Case).where(Case.number == other_number.strip()[:40]))
    if other is None or not can_view_case(who, other) or not can_open_case(who, other.centre_id):
        raise ValidationFailed("no such case", {"number": [NO_SUCH_CASE]})
    if other.id == case.id:
        raise ValidationFailed("the same case", {"number": [SAME_CASE]})
    parent, child = _parent_and_child(uow, case, other)
    if family_parent(uow, child.id) is not None:
        raise ValidationFailed("already in a family", {"number": [ALREADY_IN_FAMILY]})
    _link(uow, who, parent, child, "linked")
    return other


def join_parent(uow: UnitOfWork, who: Principal, resident: Case, newcomer: Case) -> None:
    """A person admitted "with" a resident: a child with an adult joins the adult's family (a child
    already in one, or two adults, stay unlinked: the room was all that was asked)."""
    today = local_date(uow.clock.now())
    if _is_adult(resident, today) and not _is_adult(newcomer, today):
        _link(uow, who, resident, newcomer, "admitted")


def _parent_and_child(uow: UnitOfWork, one: Case, other: Case) -> tuple[Case, Case]:
    today = local_date(uow.clock.now())
    adult = [_is_adult(case, today) for case in (one, other)]
    if adult[0] != adult[1]:
        return (one, other) if adult[0] else (other, one)
    if adult[0]:
        raise ValidationFailed("two adults", {"number": [NOT_A_FAMILY]})
    for child, sibling in ((other, one), (one, other)):  # two children: one already has a parent here
        parent_id = family_parent(uow, sibling.id)
        if parent_id is not None and family_parent(uow, child.id) is None:
            parent = uow.session.get(Case, parent_id)
            if parent is None:
                break
            return parent, child
    raise ValidationFailed("two children", {"number": [NOT_A_FAMILY]})


def _is_adult(case: Case, today: date) -> bool:
    age = age_on(case.birth_date, today)
    return age is None or age >= ADULT_AGE


def _link(uow: UnitOfWork, who: Principal, parent: Case, child: Case, how: str) -> None:
    now = uow.clock.now()
    uow.session.add(
        CaseLink(from_case_id=parent.id, to_case_id=child.id, kind=FAMILY, created_at=now,
                 created_by_id=who.user_id)
    )  # fmt: skip
    detail = {"kind": FAMILY, "how": how}
    record(uow.session, now, who, "case.family", case_id=parent.id, subject=child.number,
           detail={**detail, "to": child.number, "centre": child.centre.code})  # fmt: skip
    record(uow.session, now, who, "case.family", case_id=child.id, subject=parent.number,
           detail={**detail, "from": parent.number, "centre": parent.centre.code})  # fmt: skip
    uow.session.flush()
