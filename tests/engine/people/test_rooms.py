"""Editing rooms and places: managers and administrators of the centre, validation, a taken place kept,
every change audited."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select

from engine.casework import cases
from engine.casework.intake import admit
from engine.errors import NotFound, PermissionDenied, ValidationFailed
from engine.people import places, rooms
from engine.people.permissions import SYSTEM
from engine.people.users import create_user, principal_for
from engine.store.models import AuditEvent, Place, Room

WOMAN = cases.Intake(
    centre_code="kc-test",
    display_name="Мария П.",
    legal_basis="referral",
    target_group="domestic_violence",
    referral_number="ДСП-123",
    birth_date=date(1990, 4, 1),
    sex="female",
)


def test_a_manager_builds_rooms_and_places_and_each_change_is_audited(make_uow, world):
    manager = world.staff["manager"]
    with make_uow() as uow:
        room = rooms.add_room(uow, manager, "kc-test", "  Стая   1 ", family=False)
        assert room.name == "Стая 1"
        first = rooms.add_place(uow, manager, "kc-test", room.id, "1а", "adult", True)
        rooms.add_place(uow, manager, "kc-test", room.id, "1б", "any", False)
        rooms.change_room(uow, manager, "kc-test", room.id, "Семейна стая", True)
        rooms.change_place(uow, manager, "kc-test", first.id, "1в", "adult", False)
        _centre, listed = rooms.list_rooms(uow, manager, "kc-test")
        assert [(r.name, r.family, [(p.label, p.occupant, p.women_only, p.taken) for p in r.places])
                for r in listed] == [("Семейна стая", True, [("1б", "any", False, False),
                                                             ("1в", "adult", False, False)])]  # fmt: skip
        rooms.remove_place(uow, manager, "kc-test", first.id)
        rooms.remove_room(uow, manager, "kc-test", room.id)
        assert uow.session.scalar(select(Room.id)) is None and uow.session.scalar(select(Place.id)) is None
        actions = uow.session.scalars(
            select(AuditEvent.action).where(AuditEvent.subject == "kc-test").order_by(AuditEvent.id)
        ).all()
        assert [a for a in actions if a.startswith(("room.", "place."))] == [
            "room.add", "place.add", "place.add", "room.change", "place.change", "place.remove",
            "room.remove",
        ]  # fmt: skip


def test_fields_are_checked(make_uow, world):
    manager = world.staff["manager"]
    with make_uow() as uow:
        room = rooms.add_room(uow, manager, "kc-test", "Стая 1", family=False)
        rooms.add_place(uow, manager, "kc-test", room.id, "1а", "adult", True)
        for name, problem in (("", rooms.REQUIRED_NAME), ("x" * 81, rooms.REQUIRED_NAME),
                              ("стая 1", rooms.ROOM_EXISTS)):  # fmt: skip
            with pytest.raises(ValidationFailed) as refused:
                rooms.add_room(uow, manager, "kc-test", name, family=False)
            assert refused.value.fields == {"name": [problem]}
        with pytest.raises(ValidationFailed) as refused:
            rooms.add_place(uow, manager, "kc-test", room.id, "1А", "elder", False)
        assert refused.value.fields == {"label": [rooms.PLACE_EXISTS], "occupant": [rooms.OCCUPANT_CHOICE]}
        with pytest.raises(NotFound):
            rooms.add_place(uow, manager, "kc-test", room.id + 99, "9", "any", False)


def test_a_taken_place_cannot_be_removed_nor_made_unfit_for_its_occupant(make_uow, world, clock):
    manager = world.staff["manager"]
    with make_uow() as uow:
        room = rooms.add_room(uow, manager, "kc-test", "Стая 1", family=False)
        place = rooms.add_place(uow, manager, "kc-test", room.id, "1а", "adult", True)
        other = rooms.add_place(uow, manager, "kc-test", room.id, "1б", "adult", True)
        case = admit(uow, world.staff["social_worker"], WOMAN)
        assert places.place_of(uow, case.id) == ("Стая 1", "1а")
        with pytest.raises(ValidationFailed) as refused:
            rooms.remove_place(uow, manager, "kc-test", place.id)
        assert refused.value.fields == {"place": [rooms.PLACE_TAKEN]}
        with pytest.raises(ValidationFailed) as refused:
            rooms.remove_room(uow, manager, "kc-test", room.id)
        assert refused.value.fields == {"room": [rooms.ROOM_TAKEN]}
        with pytest.raises(ValidationFailed) as refused:  # a woman on it: not a children's place
            rooms.change_place(uow, manager, "kc-test", place.id, "1а", "child", False)
        assert refused.value.fields == {"occupant": [rooms.OCCUPANT_UNFIT]}
        rooms.change_place(uow, manager, "kc-test", place.id, "1А", "any", False)  # she still fits
        rooms.remove_place(uow, manager, "kc-test", other.id)  # a free place goes
        case.left_at = clock.now()  # she left: the place is free again
        rooms.remove_room(uow, manager, "kc-test", room.id)


@pytest.mark.parametrize("role", ["social_worker", "psychologist", "case_lead", "coordinator"])
def test_other_roles_may_not_edit_rooms(make_uow, world, role):
    with make_uow() as uow, pytest.raises(PermissionDenied):
        rooms.add_room(uow, world.staff[role], "kc-test", "Стая", family=False)


def test_managers_and_administrators_of_the_centre_only(make_uow, world):
    """Two managers and two administrators of kc-test edit its rooms; none of them kc-other's, which
    does not exist for them; the other centre's manager not kc-test's; the administrator sees whether a
    place is taken, never whose it is."""
    with make_uow() as uow:
        people = {
            name: principal_for(create_user(uow, SYSTEM, name, "correct horse battery", centre, role))
            for name, centre, role in (
                ("m2", "kc-test", "manager"),
                ("a2", "kc-test", "admin"),
                ("other-manager", "kc-other", "manager"),
            )
        }
        editors = [world.staff["manager"], world.staff["admin"], people["m2"], people["a2"]]
        for number, who in enumerate(editors):
            room = rooms.add_room(uow, who, "kc-test", f"Стая {number}", family=False)
            rooms.add_place(uow, who, "kc-test", room.id, "а", "any", False)
            with pytest.raises(NotFound):
                rooms.list_rooms(uow, who, "kc-other")
        with pytest.raises(NotFound):
            rooms.list_rooms(uow, people["other-manager"], "kc-test")
        own = rooms.add_room(uow, people["other-manager"], "kc-other", "Друга", family=False)
        with pytest.raises(NotFound):  # a room of another centre is not found through this one
            rooms.change_room(uow, world.staff["manager"], "kc-test", own.id, "Моя", False)
        admit(uow, world.staff["social_worker"], replace(WOMAN, sex=""))
        _centre, listed = rooms.list_rooms(uow, world.staff["admin"], "kc-test")
        assert sum(room.taken for room in listed) == 1
        assert not hasattr(listed[0].places[0], "case_number")
