"""Intake as the front desk sees it: which centres I may admit to, how full they are, and admitting."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from engine.casework.cases import Intake, get_centre, open_case, validate_intake
from engine.errors import ValidationFailed
from engine.people.centres import Occupancy, occupancy, staying
from engine.people.permissions import INTAKE_ROLES, Principal, can_open_case, require
from engine.store.models import Case, Centre
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


def admit(uow: UnitOfWork, who: Principal, intake: Intake, over_capacity: bool = False) -> Case:
    """Open a case; a full centre needs the admitting worker to confirm they admit over capacity."""
    validate_intake(intake)
    centre = get_centre(uow, intake.centre_code)
    require(can_open_case(who, centre.id), "you may not open cases in this centre")
    if occupancy(uow, centre).full and not over_capacity:
        raise ValidationFailed(
            "the centre has no free places",
            {"over_capacity": ["the centre is full: confirm to admit over capacity"]},
        )
    return open_case(uow, who, intake)
