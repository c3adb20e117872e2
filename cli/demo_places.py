"""Demo places: rooms and places for the demo crisis centre, who stays where, a waiting list,
turn-aways, tasks held by the team and a year of occupancy history, so the dashboard is alive.

Every resident of the demo crisis centre has a place (cli/demo.py's roster fits its rooms); the two
women waiting want a woman's place, and the only free place is a child's in the family room."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy import select

from engine.casework.intake_data import age_on
from engine.clock import FrozenClock, local_date
from engine.people import places
from engine.people.centres import find_centre, staying
from engine.people.permissions import SYSTEM
from engine.people.places import PlaceSpec
from engine.reports.occupancy import record_days
from engine.services import Services
from engine.store.models import Case, CaseTask, Centre, PlaceStay, User
from engine.store.uow import UnitOfWork

ROOMS = {
    "kc-demo": [
        ("Стая 1", False, [PlaceSpec(f"1{n}", "adult", women_only=True) for n in "абв"]),
        ("Стая 2", False, [PlaceSpec(f"2{n}", "adult", women_only=True) for n in "абв"]),
        (
            "Семейна стая",
            True,
            [PlaceSpec("3а", "adult", women_only=True), *(PlaceSpec(f"3{n}", "child") for n in "бвг")],
        ),
        ("Стая 4", False, [PlaceSpec("4а", "any"), PlaceSpec("4б", "any")]),
    ]
}
WAITING = [("Светла К.", "domestic_violence", "female", 34), ("Ивета Н.", "trafficking", "female", 22)]
TURN_AWAYS = [
    ("kc-demo", "no_place", "domestic_violence", 2),
    ("kc-demo", "no_place", "domestic_violence", 5),
    ("kc-demo", "outside_target_group", "other", 8),
    ("kc-demo", "safety", "domestic_violence", 12),
    ("cop-demo", "outside_target_group", "other", 3),
]


def demo_sex(target_group: str, child: bool, number: int) -> str:
    """Women among the adults of a crisis centre, but some men exploited for labour; girls and boys."""
    if child or target_group == "exploitation":
        return ("female", "male")[number % 2]
    return "female"


def build_rooms(services: Services) -> None:
    """The rooms, before anybody is admitted: a family admitted together is put in the family room."""
    with services.uow() as uow:
        for code, rooms in ROOMS.items():
            centre = find_centre(uow, code)
            assert centre is not None
            for name, family, specs in rooms:
                places.ensure_room(uow, centre, name, specs, family=family)
        uow.commit()


def furnish(services: Services, now: datetime) -> None:
    """Settle the residents who came alone, then the waiting list, turn-aways, held tasks and history."""
    rng = random.Random(20261203)
    today = local_date(now)
    with services.uow(FrozenClock(now)) as uow:
        for code in ROOMS:
            centre = find_centre(uow, code)
            assert centre is not None
            _settle_residents(uow, centre.id)
        kc = find_centre(uow, "kc-demo")
        assert kc is not None
        for name, group, sex, age in WAITING:
            birth = date(today.year - age, 3, 14)
            places.add_waiting(uow, SYSTEM, kc, name, group, sex, birth)
        for code, reason, group, days_ago in TURN_AWAYS:
            centre = find_centre(uow, code)
            assert centre is not None
            uow.clock = FrozenClock(now - timedelta(days=min(days_ago, today.day - 1)))  # this month
            places.turn_away(uow, SYSTEM, centre, reason, group)
        uow.clock = FrozenClock(now)
        _hold_tasks(uow, rng)
        record_days(uow, today - timedelta(days=365), today)
        uow.commit()


def _settle_residents(uow: UnitOfWork, centre_id: int) -> None:
    residents = uow.session.scalars(
        select(Case)
        .where(Case.centre_id == centre_id, staying(), Case.id.not_in(select(PlaceStay.case_id)))
        .order_by(Case.admitted_at)
    ).all()
    for case in residents:
        age = age_on(case.birth_date, local_date(case.admitted_at))
        place = places.choose_place(uow, centre_id, age, case.sex)
        if place is not None:
            places.settle(uow, case, place)


def _hold_tasks(uow: UnitOfWork, rng: random.Random) -> None:
    """Two in three open tasks are held by a colleague of the task's role, as a team works."""
    from cli.demo import username_for  # demo.py loads this module

    users = dict(uow.session.execute(select(User.username, User.id)).all())
    codes = dict(uow.session.execute(select(Centre.id, Centre.code)).all())
    for task in uow.session.scalars(select(CaseTask).where(CaseTask.status == "open")):
        username = username_for(codes[task.centre_id], task.role)
        if username in users and rng.random() < 0.67:
            task.assignee_id = users[username]
