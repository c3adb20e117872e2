"""A residential centre's rooms and places, who stays where, its waiting list and the people it turned away.

A place is taken while the case on it is staying (:func:`engine.people.centres.staying`): a person who
left frees the place without anybody releasing it. Constraints: a place is for adults, for children or
for anyone, and may be for women only; a family room keeps a mother and her children together (a child
admitted "with" a resident is put in that resident's room).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, func, select

from engine.audit.chain import record
from engine.errors import ValidationFailed
from engine.people.centres import staying
from engine.people.permissions import Principal
from engine.store.models import Case, Centre, Place, PlaceStay, Room, TurnAway, WaitingEntry
from engine.store.uow import UnitOfWork

OCCUPANTS = ("adult", "child", "any")
SEXES = ("female", "male")
TURN_AWAY_REASONS = ("no_place", "outside_target_group", "safety")
ADULT_AGE = 18


@dataclass(frozen=True)
class PlaceSpec:
    label: str
    occupant: str = "any"
    women_only: bool = False


def ensure_room(
    uow: UnitOfWork, centre: Centre, name: str, places: list[PlaceSpec], family: bool = False
) -> Room:
    """Create a room with its places (set-up, like ``ensure_centre``), or return the existing one."""
    bad = [spec.label for spec in places if spec.occupant not in OCCUPANTS or not spec.label.strip()]
    if not name.strip() or bad:
        raise ValidationFailed("cannot create the room", {"places" if bad else "name": ["invalid"]})
    room = uow.session.scalar(select(Room).where(Room.centre_id == centre.id, Room.name == name))
    if room is not None:
        return room
    room = Room(centre_id=centre.id, name=name.strip(), family=family)
    uow.session.add(room)
    uow.session.flush()
    for spec in places:
        uow.session.add(
            Place(
                room_id=room.id,
                centre_id=centre.id,
                label=spec.label.strip(),
                occupant=spec.occupant,
                women_only=spec.women_only,
            )
        )
    uow.session.flush()
    return room


def _taken() -> object:
    """Place ids whose current stay belongs to a staying case."""
    return (
        select(PlaceStay.place_id)
        .join(Case, Case.id == PlaceStay.case_id)
        .where(PlaceStay.until_at.is_(None), staying())
    )


def age_on(birth_date: date | None, day: date) -> int | None:
    """Completed years on ``day``; None when the birth date is not known."""
    if birth_date is None:
        return None
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def has_places(uow: UnitOfWork, centre_id: int) -> bool:
    return uow.session.scalar(select(Place.id).where(Place.centre_id == centre_id).limit(1)) is not None


def fits(place: Place, age: int | None, sex: str) -> bool:
    """Whether a person of this age (None: not known, taken as an adult) and sex may take the place."""
    child = age is not None and age < ADULT_AGE
    if (place.occupant == "adult" and child) or (place.occupant == "child" and not child):
        return False
    return not place.women_only or sex == "female"


def choose_place(
    uow: UnitOfWork, centre_id: int, age: int | None, sex: str, with_case: Case | None = None
) -> Place | None:
    """The first free place that fits; with ``with_case``, only one in that resident's room."""
    query = select(Place).join(Room, Room.id == Place.room_id).where(Place.centre_id == centre_id)
    query = query.where(Place.id.not_in(_taken()))  # type: ignore[arg-type]
    if with_case is not None:
        room_id = uow.session.scalar(
            select(Place.room_id)
            .join(PlaceStay, PlaceStay.place_id == Place.id)
            .where(PlaceStay.case_id == with_case.id, PlaceStay.until_at.is_(None))
        )
        if room_id is None:
            return None
        query = query.where(Place.room_id == room_id)
    else:  # single people keep family rooms free for families
        query = query.order_by(Room.family)
    candidates = uow.session.scalars(query.order_by(Room.name, Place.label)).all()
    return next((place for place in candidates if fits(place, age, sex)), None)


def place_family(
    uow: UnitOfWork, centre_id: int, members: list[tuple[int | None, str]]
) -> list[Place] | None:
    """Free places in one room for every member of a family ((age, sex) each, the parent first), in the
    members' order: a mother with her children kept together. Family rooms come first, then the room
    with the fewest places left over; None when no room holds the whole family."""
    free = uow.session.scalars(
        select(Place)
        .join(Room, Room.id == Place.room_id)
        .where(Place.centre_id == centre_id, Place.id.not_in(_taken()))  # type: ignore[arg-type]
        .order_by(Room.family.desc(), Room.name, Place.label)
    ).all()
    rooms: dict[int, list[Place]] = {}
    for place in free:
        rooms.setdefault(place.room_id, []).append(place)
    fitting = [found for room in rooms.values() if (found := _match(members, room)) is not None]
    if not fitting:
        return None
    family_first = sorted(
        fitting, key=lambda found: (not found[0].room.family, len(rooms[found[0].room_id]) - len(members))
    )
    return family_first[0]


def _match(members: list[tuple[int | None, str]], free: list[Place]) -> list[Place] | None:
    """One distinct place per member that the member fits, or None (a small backtracking search: a
    room has a handful of places)."""
    if not members:
        return []
    (age, sex), rest = members[0], members[1:]
    for index, place in enumerate(free):
        if fits(place, age, sex):
            found = _match(rest, free[:index] + free[index + 1 :])
            if found is not None:
                return [place, *found]
    return None


def settle(uow: UnitOfWork, case: Case, place: Place) -> PlaceStay:
    stay = PlaceStay(place_id=place.id, case_id=case.id, from_at=case.admitted_at)
    uow.session.add(stay)
    uow.session.flush()
    return stay


def place_of(uow: UnitOfWork, case_id: int) -> tuple[str, str] | None:
    """(room name, place label) of a case's current place, or None."""
    row = uow.session.execute(
        select(Room.name, Place.label)
        .join(Place, Place.room_id == Room.id)
        .join(PlaceStay, PlaceStay.place_id == Place.id)
        .where(PlaceStay.case_id == case_id, PlaceStay.until_at.is_(None))
    ).first()
    return (row[0], row[1]) if row else None


# --- the waiting list and turn-aways ---------------------------------------------------------------


def add_waiting(
    uow: UnitOfWork,
    who: Principal,
    centre: Centre,
    display_name: str,
    target_group: str,
    sex: str = "",
    birth_date: date | None = None,
) -> WaitingEntry:
    entry = WaitingEntry(
        centre_id=centre.id,
        display_name=display_name.strip(),
        target_group=target_group,
        sex=sex,
        birth_date=birth_date,
        added_at=uow.clock.now(),
        added_by_id=who.user_id,
    )
    uow.session.add(entry)
    uow.session.flush()
    record(uow.session, uow.clock.now(), who, "waiting.add", subject=centre.code, detail={"id": entry.id})
    return entry


def resolve_waiting(uow: UnitOfWork, who: Principal, centre: Centre, public_id: str, resolution: str) -> None:
    entry = uow.session.scalar(
        select(WaitingEntry).where(
            WaitingEntry.public_id == public_id,
            WaitingEntry.centre_id == centre.id,
            WaitingEntry.resolved_at.is_(None),
        )
    )
    if entry is None:
        raise ValidationFailed("not on the waiting list", {"waiting": ["not on this centre's waiting list"]})
    entry.resolved_at = uow.clock.now()
    entry.resolution = resolution
    detail = {"id": entry.id, "resolution": resolution}
    record(uow.session, uow.clock.now(), who, "waiting.resolve", subject=centre.code, detail=detail)


def turn_away(
    uow: UnitOfWork, who: Principal, centre: Centre, reason: str, target_group: str = ""
) -> TurnAway:
    """Record a person the centre could not take: the reason and target group only, never a name."""
    if reason not in TURN_AWAY_REASONS:
        raise ValidationFailed("unknown reason", {"reason": [f"one of {', '.join(TURN_AWAY_REASONS)}"]})
    row = TurnAway(
        centre_id=centre.id,
        at=uow.clock.now(),
        reason=reason,
        target_group=target_group,
        recorded_by_id=who.user_id,
    )
    uow.session.add(row)
    uow.session.flush()
    record(
        uow.session, uow.clock.now(), who, "turn_away.record", subject=centre.code, detail={"reason": reason}
    )
    return row


@dataclass(frozen=True)
class PlaceRow:
    room: str
    family: bool
    label: str
    occupant: str
    women_only: bool
    case_public_id: str | None
    case_number: str | None


def list_places(uow: UnitOfWork, centre_id: int) -> list[PlaceRow]:
    """Every place of the centre with the case staying on it (caller checks the reader may see cases)."""
    current = (
        select(PlaceStay.place_id, Case.public_id, Case.number)
        .join(Case, Case.id == PlaceStay.case_id)
        .where(PlaceStay.until_at.is_(None), staying())
        .subquery()
    )
    rows = uow.session.execute(
        select(
            Room.name,
            Room.family,
            Place.label,
            Place.occupant,
            Place.women_only,
            current.c.public_id,
            current.c.number,
        )
        .join(Room, Room.id == Place.room_id)
        .outerjoin(current, and_(current.c.place_id == Place.id))
        .where(Place.centre_id == centre_id)
        .order_by(Room.name, Place.label)
    ).all()
    return [PlaceRow(*row) for row in rows]


def waiting_count(uow: UnitOfWork, centre_id: int) -> int:
    count = uow.session.scalar(
        select(func.count())
        .select_from(WaitingEntry)
        .where(WaitingEntry.centre_id == centre_id, WaitingEntry.resolved_at.is_(None))
    )
    return int(count or 0)


def list_waiting(uow: UnitOfWork, centre_id: int) -> list[WaitingEntry]:
    """The centre's waiting list, first come first (caller checks the reader may see it)."""
    return list(
        uow.session.scalars(
            select(WaitingEntry)
            .where(WaitingEntry.centre_id == centre_id, WaitingEntry.resolved_at.is_(None))
            .order_by(WaitingEntry.added_at, WaitingEntry.id)
        )
    )


def list_turn_aways(uow: UnitOfWork, centre_id: int, since: datetime) -> list[TurnAway]:
    return list(
        uow.session.scalars(
            select(TurnAway)
            .where(TurnAway.centre_id == centre_id, TurnAway.at >= since)
            .order_by(TurnAway.at.desc())
        )
    )


@dataclass(frozen=True)
class Unplaced:
    public_id: str
    number: str
    admitted_at: datetime


def residents_without_place(uow: UnitOfWork, centre_id: int) -> list[Unplaced]:
    """Residents of a centre with rooms who hold no place (admitted over capacity, or before the rooms
    were recorded): a figure the manager must see (caller checks the reader may see cases)."""
    if not has_places(uow, centre_id):
        return []
    placed = select(PlaceStay.case_id).where(PlaceStay.until_at.is_(None))
    rows = uow.session.execute(
        select(Case.public_id, Case.number, Case.admitted_at)
        .where(Case.centre_id == centre_id, staying(), Case.id.not_in(placed))
        .order_by(Case.admitted_at, Case.id)
    ).all()
    return [Unplaced(*row) for row in rows]
