"""Intake as the front desk sees it: which centres I may admit to, how full they are, and admitting."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from engine.casework import family
from engine.casework.cases import Intake, get_centre, open_case, validate_intake
from engine.casework.intake_data import age_on
from engine.clock import local_date
from engine.errors import ValidationFailed
from engine.people import places
from engine.people.centres import Occupancy, occupancy, staying
from engine.people.permissions import INTAKE_ROLES, Principal, can_open_case, require
from engine.store.models import Case, Centre, Place, WaitingEntry
from engine.store.uow import UnitOfWork


@dataclass(frozen=True)
class IntakeCentre(Occupancy):
    """A centre as the intake form offers it: its occupancy and how to name it."""

    code: str = ""
    name: str = ""
    kind: str = ""


def intake_centres(uow: UnitOfWork, who: Principal) -> list[IntakeCentre]:
    """Centres where the user may open cases, with their occupancy (open cases against places)."""
    ids = who.centres_with(INTAKE_ROLES)
    require(bool(ids), "you may not open cases")
    open_cases = (
        select(Case.centre_id, func.count().label("n"))
        .where(staying(), Case.centre_id.in_(ids))
        .group_by(Case.centre_id)
        .subquery()
    )
    rows = uow.session.execute(
        select(
            Centre.id,
            Centre.code,
            Centre.name,
            Centre.kind,
            Centre.capacity,
            func.coalesce(open_cases.c.n, 0),
        )
        .outerjoin(open_cases, open_cases.c.centre_id == Centre.id)
        .where(Centre.id.in_(ids))
        .order_by(Centre.name)
    ).all()
    return [
        IntakeCentre(centre_id=id_, open_cases=int(n), capacity=capacity, code=code, name=name, kind=kind)
        for id_, code, name, kind, capacity, n in rows
    ]


def admit(
    uow: UnitOfWork,
    who: Principal,
    intake: Intake,
    over_capacity: bool = False,
    with_case: str = "",
    waiting: str = "",
) -> Case:
    """Open a case and settle the person on a free place that fits (in the room of the resident
    ``with_case`` names, for a mother's child); a full centre, or one with no fitting place, needs the
    admitting worker to confirm they admit over capacity. ``waiting`` is the waiting-list entry the
    person comes from: it is resolved as admitted."""
    validate_intake(intake)
    if intake.sex not in ("", *places.SEXES):
        raise ValidationFailed("unknown sex", {"sex": [f"one of {', '.join(places.SEXES)}"]})
    centre = get_centre(uow, intake.centre_code)
    require(can_open_case(who, centre.id), "you may not open cases in this centre")
    if occupancy(uow, centre).full and not over_capacity:
        raise ValidationFailed(
            "the centre has no free places",
            {"over_capacity": ["the centre is full: confirm to admit over capacity"]},
        )
    place, resident = _fitting_place(uow, centre, intake, with_case, over_capacity)
    case = open_case(uow, who, intake)
    if place is not None:
        places.settle(uow, case, place)
    if resident is not None:  # a child admitted with her mother joins the mother's family
        family.join_parent(uow, who, resident, case)
    if waiting:
        places.resolve_waiting(uow, who, centre, waiting, "admitted")
    return case


def _fitting_place(
    uow: UnitOfWork, centre: Centre, intake: Intake, with_case: str, over_capacity: bool
) -> tuple[Place | None, Case | None]:
    """A free place that fits the person (in the room of the resident ``with_case`` names), and that
    resident."""
    resident = None
    if with_case:
        resident = uow.session.scalar(
            select(Case).where(Case.centre_id == centre.id, Case.number == with_case.strip(), staying())
        )
        if resident is None:
            raise ValidationFailed(
                "no such resident", {"with_case": ["no resident of this centre has that number"]}
            )
    if not places.has_places(uow, centre.id):
        return None, resident
    admitted_on = local_date(intake.admitted_at or uow.clock.now())
    place = places.choose_place(uow, centre.id, age_on(intake.birth_date, admitted_on), intake.sex, resident)
    if place is None and not over_capacity:
        raise ValidationFailed(
            "no free place fits", {"over_capacity": ["no free place fits: confirm to admit over capacity"]}
        )
    return place, resident


def put_on_waiting_list(uow: UnitOfWork, who: Principal, intake: Intake) -> None:
    """The person waits for a place: name, target group, sex and birth date are kept, no case opened."""
    validate_intake(intake)
    centre = get_centre(uow, intake.centre_code)
    require(can_open_case(who, centre.id), "you may not open cases in this centre")
    places.add_waiting(
        uow, who, centre, intake.display_name, intake.target_group, intake.sex, intake.birth_date
    )


def record_turn_away(
    uow: UnitOfWork, who: Principal, centre_code: str, reason: str, target_group: str
) -> None:
    """The centre could not take a person: the reason is counted, nobody is named."""
    centre = get_centre(uow, centre_code)
    require(can_open_case(who, centre.id), "you may not open cases in this centre")
    places.turn_away(uow, who, centre, reason, target_group)


def find_waiting(uow: UnitOfWork, who: Principal, public_id: str) -> tuple[WaitingEntry, str] | None:
    """An entry of the waiting list of a centre where the user admits, with the centre's code."""
    row = uow.session.execute(
        select(WaitingEntry, Centre.code)
        .join(Centre, Centre.id == WaitingEntry.centre_id)
        .where(WaitingEntry.public_id == public_id[:32], WaitingEntry.resolved_at.is_(None))
    ).first()
    if row is None or not can_open_case(who, row[0].centre_id):
        return None
    return row[0], row[1]
