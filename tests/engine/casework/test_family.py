"""Families: a mother admitted with her children, each on their own pathway, kept in one room and
shown together on each case page; linking a family later; who sees what of the other cases."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select

from engine.casework import cases, family
from engine.casework.case_links import links_of
from engine.casework.family import Child, admit_family, link_family
from engine.casework.intake import admit
from engine.errors import PermissionDenied, ValidationFailed
from engine.pathways import versions
from engine.people import places
from engine.people.centres import find_centre
from engine.people.permissions import SYSTEM
from engine.people.places import PlaceSpec
from engine.people.users import create_user, grant_role, principal_for
from engine.store.models import AuditEvent, Case, CaseLink
from tests.engine.conftest import mini_pathway

MOTHER = cases.Intake(
    centre_code="kc-test",
    display_name="Мария П.",
    legal_basis="referral",
    target_group="domestic_violence",
    referral_number="ДСП-123",
    birth_date=date(1990, 4, 1),
    sex="female",
)
GIRL = Child("Ани П.", date(2018, 5, 2), "female")
BOY = Child("Боби П.", date(2021, 1, 9), "male")


@pytest.fixture
def furnished(make_uow, world, fixture_forms):
    """The child pathway deployed; a room of two women's places and a family room (1 adult, 2 child)."""
    with make_uow() as uow:
        versions.deploy(
            uow, mini_pathway("crisis_centre_child"), fixture_forms, world.staff["coordinator"], "c.bpmn"
        )
        centre = find_centre(uow, "kc-test")
        places.ensure_room(
            uow, centre, "Стая 1", [PlaceSpec(f"1{n}", "adult", women_only=True) for n in "аб"]
        )
        places.ensure_room(
            uow,
            centre,
            "Семейна",
            [PlaceSpec("2а", "adult", women_only=True), PlaceSpec("2б", "child"), PlaceSpec("2в", "child")],
            family=True,
        )
        uow.commit()
    return world


def test_a_mother_and_her_children_open_linked_cases_on_their_pathways_in_one_room(make_uow, furnished):
    worker = furnished.staff["social_worker"]
    with make_uow() as uow:
        mother, kids = admit_family(uow, worker, MOTHER, [GIRL, BOY])
        assert mother.pathway_version.pathway.key == "crisis_centre_adult"
        assert [kid.pathway_version.pathway.key for kid in kids] == ["crisis_centre_child"] * 2
        assert [kid.legal_basis for kid in kids] == ["referral", "referral"]
        assert [kid.admitted_at for kid in kids] == [mother.admitted_at] * 2
        assert places.place_of(uow, mother.id) == ("Семейна", "2а")  # the family room, not room 1
        assert {places.place_of(uow, kid.id) for kid in kids} == {("Семейна", "2б"), ("Семейна", "2в")}
        links = uow.session.scalars(select(CaseLink).order_by(CaseLink.id)).all()
        assert [(link.from_case_id, link.to_case_id, link.kind) for link in links] == [
            (mother.id, kids[0].id, "family"),
            (mother.id, kids[1].id, "family"),
        ]
        assert [(v.direction, v.number) for v in links_of(uow, worker, mother)] == [
            ("to", kids[0].number),
            ("to", kids[1].number),
        ]  # each child's page shows the mother and the sibling
        assert [(v.direction, v.number) for v in links_of(uow, worker, kids[1])] == [
            ("from", mother.number),
            ("with", kids[0].number),
        ]
        actions = uow.session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == kids[0].id)).all()
        assert "case.open" in actions and "case.family" in actions


def test_a_family_no_room_holds_is_refused_unless_admitted_over_capacity(make_uow, furnished, clock):
    worker = furnished.staff["social_worker"]
    third = Child("Вики П.", date(2016, 3, 3), "female")
    with make_uow() as uow:
        with pytest.raises(ValidationFailed) as refused:  # two child places only, and room 1 is for adults
            admit_family(uow, worker, MOTHER, [GIRL, BOY, third])
        assert refused.value.fields == {"over_capacity": [family.NO_FAMILY_ROOM]}
        assert uow.session.scalar(select(Case.id)) is None  # nothing opened
        mother, kids = admit_family(uow, worker, MOTHER, [GIRL, BOY, third], over_capacity=True)
        assert [places.place_of(uow, case.id) for case in (mother, *kids)] == [None] * 4
        assert [row.number for row in places.residents_without_place(uow, furnished.centre_id)] == [
            mother.number,
            *(kid.number for kid in kids),
        ]


def test_a_man_with_his_son_cannot_have_the_women_s_family_room(make_uow, furnished):
    worker = furnished.staff["social_worker"]
    father = replace(MOTHER, display_name="Иван П.", sex="male")
    with make_uow() as uow, pytest.raises(ValidationFailed) as refused:
        admit_family(uow, worker, father, [BOY])
    assert "over_capacity" in refused.value.fields


def test_a_full_centre_needs_confirmation_for_the_whole_family(make_uow, furnished):
    worker = furnished.staff["social_worker"]
    with make_uow() as uow:
        centre = find_centre(uow, "kc-test")
        centre.capacity = 2
        with pytest.raises(ValidationFailed) as refused:
            admit_family(uow, worker, MOTHER, [GIRL, BOY])
        assert refused.value.fields == {"over_capacity": [family.FULL_FOR_FAMILY]}


def test_children_s_fields_are_checked_all_at_once(make_uow, furnished, clock):
    worker = furnished.staff["social_worker"]
    adult = Child("Голяма", date(1999, 1, 1))
    with make_uow() as uow, pytest.raises(ValidationFailed) as refused:
        admit_family(uow, worker, MOTHER, [Child(" ", None), adult, Child("Х", date(2020, 1, 1), "other")])
    assert refused.value.fields == {
        "children-1-display_name": [family.CHILD_NAME],
        "children-1-birth_date": [family.CHILD_BORN],
        "children-2-birth_date": [family.CHILD_BORN],
        "children-3-sex": [family.CHILD_SEX],
    }


def test_a_child_admitted_with_a_resident_joins_her_family(make_uow, furnished, clock):
    worker = furnished.staff["social_worker"]
    with make_uow() as uow:
        for name in ("Жана", "Зоя"):  # room 1 is full: the mother has the family room's adult place
            admit(uow, worker, replace(MOTHER, display_name=name))
        mother = admit(uow, worker, MOTHER)
        girl = admit(
            uow, worker, replace(MOTHER, display_name=GIRL.display_name, birth_date=GIRL.birth_date),
            with_case=mother.number,
        )  # fmt: skip
        assert places.place_of(uow, girl.id)[0] == places.place_of(uow, mother.id)[0]
        assert [(v.kind, v.direction, v.number) for v in links_of(uow, worker, girl)] == [
            ("family", "from", mother.number)
        ]


def test_linking_a_family_later_from_either_case(make_uow, furnished):
    worker = furnished.staff["social_worker"]
    with make_uow() as uow:
        mother = admit(uow, worker, MOTHER)
        girl = admit(uow, worker, replace(MOTHER, display_name="Ани", birth_date=GIRL.birth_date))
        boy = admit(uow, worker, replace(MOTHER, display_name="Боби", birth_date=BOY.birth_date))
        other_adult = admit(uow, worker, replace(MOTHER, display_name="Жана", birth_date=date(1980, 1, 1)))
        link_family(uow, worker, girl, mother.number)  # from the child's page: the adult is the parent
        link_family(uow, worker, boy, girl.number)  # two children: the boy joins his sister's family
        assert [(v.direction, v.number) for v in links_of(uow, worker, mother)] == [
            ("to", girl.number),
            ("to", boy.number),
        ]
        for number, problem in (
            (other_adult.number, family.NOT_A_FAMILY),
            (girl.number, family.ALREADY_IN_FAMILY),
            (mother.number, family.SAME_CASE),
            ("KC-NOPE-1", family.NO_SUCH_CASE),
        ):
            target = mother if number != girl.number else other_adult
            with pytest.raises(ValidationFailed) as refused:
                link_family(uow, worker, target, number)
            assert refused.value.fields == {"number": [problem]}


@pytest.mark.parametrize("role", ["psychologist", "coordinator", "admin"])
def test_only_intake_roles_of_the_centre_link_a_family(make_uow, furnished, role):
    worker = furnished.staff["social_worker"]
    with make_uow() as uow:
        mother = admit(uow, worker, MOTHER)
        girl = admit(uow, worker, replace(MOTHER, display_name="Ани", birth_date=GIRL.birth_date))
        with pytest.raises(PermissionDenied):
            link_family(uow, furnished.staff[role], girl, mother.number)
        with pytest.raises(PermissionDenied):
            admit_family(uow, furnished.staff[role], MOTHER, [GIRL])


def test_a_reader_of_another_centre_sees_only_the_number_and_centre(make_uow, furnished, fixture_forms):
    """Two social workers of kc-test and one of kc-other with a role in both: a family member's case in
    the other centre shows its number and centre only to whoever may not open it."""
    worker = furnished.staff["social_worker"]
    with make_uow() as uow:
        second = principal_for(
            create_user(uow, SYSTEM, "t-second", "correct horse battery", "kc-test", "social_worker")
        )
        mother = admit(uow, worker, MOTHER)
        away = replace(MOTHER, centre_code="kc-other", display_name="Ани", birth_date=GIRL.birth_date)
        girl = cases.open_case(uow, SYSTEM, away)
        with pytest.raises(ValidationFailed):  # a case this worker may not open does not exist for them
            link_family(uow, second, mother, girl.number)
        family._link(uow, SYSTEM, mother, girl, "linked")
        for reader in (worker, second):
            [view] = links_of(uow, reader, mother)
            assert (view.number, view.centre_code, view.public_id, view.status) == (
                girl.number,
                "kc-other",
                None,
                None,
            )
        [view] = links_of(uow, furnished.outsider, girl)
        assert (view.number, view.centre_code, view.public_id) == (mother.number, "kc-test", None)
        create_user(uow, SYSTEM, "both", "correct horse battery", "kc-other", "manager")
        both = principal_for(grant_role(uow, SYSTEM, "both", "kc-test", "case_lead"))
        assert links_of(uow, both, girl)[0].public_id == mother.public_id
