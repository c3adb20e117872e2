"""Editing a centre's rooms and places: add, rename and remove them, and set who a place is for.

Managers and administrators of the centre edit them (``can_edit_rooms``). What they see of a place is
whether it is taken, never by whom: the administrator reads no case content. A place that is taken
cannot be removed, nor a room with a taken place, and a taken place keeps constraints its occupant
fits. Every change is audited (``room.add``, ``room.change``, ``room.remove``, ``place.add``,
``place.change``, ``place.remove``) with the centre's code as the subject and no names of people.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from engine.audit.chain import record
from engine.clock import local_date
from engine.errors import NotFound, ValidationFailed
from engine.people.centres import staying
from engine.people.permissions import Principal, can_edit_rooms, require
from engine.people.places import OCCUPANTS, age_on, fits
from engine.store.models import Case, Centre, Place, PlaceStay, Room
from engine.store.uow import UnitOfWork

MAX_ROOM_NAME = 80
MAX_LABEL = 40
# Field errors: stable English texts, shown in the reader's language by the adapters.
REQUIRED_NAME = "required, at most 80 characters"
REQUIRED_LABEL = "required, at most 40 characters"
ROOM_EXISTS = "the centre already has a room of that name"
PLACE_EXISTS = "the room already has a place of that label"
ROOM_TAKEN = "a place in this room is taken: it cannot be removed until the person leaves or moves"
PLACE_TAKEN = "the place is taken: it cannot be removed until the person leaves or moves"
OCCUPANT_UNFIT = "the person on this place does not fit these constraints"
OCCUPANT_CHOICE = "one of adult, child, any"


@dataclass(frozen=True)
class PlaceItem:
    id: int
    label: str
    occupant: str
    women_only: bool
    taken: bool


@dataclass(frozen=True)
class RoomItem:
    id: int
    name: str
    family: bool
    places: list[PlaceItem] = field(default_factory=list)

    @property
    def taken(self) -> int:
        return sum(1 for place in self.places if place.taken)


def editable_centre(uow: UnitOfWork, who: Principal, code: str) -> Centre:
    """The centre whose rooms ``who`` edits: 404 for a centre that is not theirs, 403 for their centre
    where their role does not edit rooms."""
    centre = uow.session.scalar(select(Centre).where(Centre.code == code[:40]))
    if centre is None or who.role_in(centre.id) is None:
        raise NotFound("no such centre")
    require(can_edit_rooms(who, centre.id), "you may not edit this centre's rooms")
    return centre


def _taken_ids(uow: UnitOfWork, centre_id: int) -> set[int]:
    return set(
        uow.session.scalars(
            select(PlaceStay.place_id)
            .join(Case, Case.id == PlaceStay.case_id)
            .where(Case.centre_id == centre_id, PlaceStay.until_at.is_(None), staying())
        )
    )


def list_rooms(uow: UnitOfWork, who: Principal, code: str) -> tuple[Centre, list[RoomItem]]:
    centre = editable_centre(uow, who, code)
    taken = _taken_ids(uow, centre.id)
    rooms = uow.session.scalars(select(Room).where(Room.centre_id == centre.id).order_by(Room.name)).all()
    found = uow.session.scalars(
        select(Place).where(Place.centre_id == centre.id).order_by(Place.label, Place.id)
    ).all()
    by_room: dict[int, list[PlaceItem]] = {}
    for place in found:
        item = PlaceItem(place.id, place.label, place.occupant, place.women_only, place.id in taken)
        by_room.setdefault(place.room_id, []).append(item)
    return centre, [RoomItem(room.id, room.name, room.family, by_room.get(room.id, [])) for room in rooms]


def _room(uow: UnitOfWork, centre: Centre, room_id: int) -> Room:
    room = uow.session.get(Room, room_id)
    if room is None or room.centre_id != centre.id:
        raise NotFound("no such room")
    return room


def _place(uow: UnitOfWork, centre: Centre, place_id: int) -> Place:
    place = uow.session.get(Place, place_id)
    if place is None or place.centre_id != centre.id:
        raise NotFound("no such place")
    return place


def _clean_name(name: str, uow: UnitOfWork, centre: Centre, room_id: int | None) -> str:
    clean = " ".join(name.split())
    if not clean or len(clean) > MAX_ROOM_NAME:
        raise ValidationFailed("bad room name", {"name": [REQUIRED_NAME]})
    same = uow.session.scalar(
        select(Room.id).where(Room.centre_id == centre.id, func.lower(Room.name) == clean.lower())
    )
    if same is not None and same != room_id:
        raise ValidationFailed("room exists", {"name": [ROOM_EXISTS]})
    return clean


def _clean_place(uow: UnitOfWork, room: Room, label: str, occupant: str, place_id: int | None) -> str:
    fields: dict[str, list[str]] = {}
    clean = " ".join(label.split())
    if not clean or len(clean) > MAX_LABEL:
        fields["label"] = [REQUIRED_LABEL]
    elif (
        same := uow.session.scalar(
            select(Place.id).where(Place.room_id == room.id, func.lower(Place.label) == clean.lower())
        )
    ) is not None and same != place_id:
        fields["label"] = [PLACE_EXISTS]
    if occupant not in OCCUPANTS:
        fields["occupant"] = [OCCUPANT_CHOICE]
    if fields:
        raise ValidationFailed("bad place", fields)
    return clean


def _audit(uow: UnitOfWork, who: Principal, action: str, centre: Centre, **detail: object) -> None:
    record(uow.session, uow.clock.now(), who, action, subject=centre.code, detail=detail)


def add_room(uow: UnitOfWork, who: Principal, code: str, name: str, family: bool) -> Room:
    centre = editable_centre(uow, who, code)
    room = Room(centre_id=centre.id, name=_clean_name(name, uow, centre, None), family=family)
    uow.session.add(room)
    uow.session.flush()
    _audit(uow, who, "room.add", centre, room=room.id, name=room.name, family=family)
    return room


def change_room(uow: UnitOfWork, who: Principal, code: str, room_id: int, name: str, family: bool) -> Room:
    centre = editable_centre(uow, who, code)
    room = _room(uow, centre, room_id)
    before = (room.name, room.family)
    room.name, room.family = _clean_name(name, uow, centre, room.id), family
    _audit(uow, who, "room.change", centre, room=room.id, before=list(before), name=room.name, family=family)
    return room


def remove_room(uow: UnitOfWork, who: Principal, code: str, room_id: int) -> None:
    """Remove an empty room and its places; a room with a taken place stays (the reason says why)."""
    centre = editable_centre(uow, who, code)
    room = _room(uow, centre, room_id)
    ids = list(uow.session.scalars(select(Place.id).where(Place.room_id == room.id)))
    if set(ids) & _taken_ids(uow, centre.id):
        raise ValidationFailed("room taken", {"room": [ROOM_TAKEN]})
    _drop_places(uow, ids)
    uow.session.delete(room)
    uow.session.flush()
    _audit(uow, who, "room.remove", centre, room=room_id, name=room.name, places=len(ids))


def add_place(
    uow: UnitOfWork, who: Principal, code: str, room_id: int, label: str, occupant: str, women_only: bool
) -> Place:
    centre = editable_centre(uow, who, code)
    room = _room(uow, centre, room_id)
    clean = _clean_place(uow, room, label, occupant, None)
    place = Place(room_id=room.id, centre_id=centre.id, label=clean, occupant=occupant, women_only=women_only)
    uow.session.add(place)
    uow.session.flush()
    _audit(uow, who, "place.add", centre, room=room.id, place=place.id, label=clean, occupant=occupant,
           women_only=women_only)  # fmt: skip
    return place


def change_place(
    uow: UnitOfWork, who: Principal, code: str, place_id: int, label: str, occupant: str, women_only: bool
) -> Place:
    """Relabel a place or change who it is for; a taken place keeps constraints its occupant fits."""
    centre = editable_centre(uow, who, code)
    place = _place(uow, centre, place_id)
    clean = _clean_place(uow, place.room, label, occupant, place.id)
    occupant_case = _occupant(uow, place)
    if occupant_case is not None:
        age = age_on(occupant_case.birth_date, local_date(uow.clock.now()))
        wanted = Place(occupant=occupant, women_only=women_only)
        if not fits(wanted, age, occupant_case.sex):
            raise ValidationFailed("occupant unfit", {"occupant": [OCCUPANT_UNFIT]})
    before = [place.label, place.occupant, place.women_only]
    place.label, place.occupant, place.women_only = clean, occupant, women_only
    _audit(uow, who, "place.change", centre, place=place.id, before=before, label=clean, occupant=occupant,
           women_only=women_only)  # fmt: skip
    return place


def remove_place(uow: UnitOfWork, who: Principal, code: str, place_id: int) -> None:
    centre = editable_centre(uow, who, code)
    place = _place(uow, centre, place_id)
    if _occupant(uow, place) is not None:
        raise ValidationFailed("place taken", {"place": [PLACE_TAKEN]})
    label, room_id = place.label, place.room_id
    _drop_places(uow, [place.id])
    _audit(uow, who, "place.remove", centre, room=room_id, place=place_id, label=label)


def _occupant(uow: UnitOfWork, place: Place) -> Case | None:
    return uow.session.scalar(
        select(Case)
        .join(PlaceStay, PlaceStay.case_id == Case.id)
        .where(PlaceStay.place_id == place.id, PlaceStay.until_at.is_(None), staying())
    )


def _drop_places(uow: UnitOfWork, ids: list[int]) -> None:
    """Delete free places; the stays that ended on them go with them (their cases keep their dates)."""
    for place_id in ids:
        for stay in uow.session.scalars(select(PlaceStay).where(PlaceStay.place_id == place_id)):
            uow.session.delete(stay)
        place = uow.session.get(Place, place_id)
        if place is not None:
            uow.session.delete(place)
    uow.session.flush()
