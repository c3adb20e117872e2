"""Families at intake and on the case page, the rooms page, and a family through the API.

World (tests/web/conftest.py): kc-test and kc-other, two users per role (own ``a-…``, other ``b-…``), one
open case in each centre; 2025-08-31 10:00 Sofia. Here the child pathway is deployed too, and kc-test
has a family room (an adult woman's place and two children's).
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from engine.pathways import versions
from engine.people import places
from engine.people.centres import find_centre
from engine.people.places import PlaceSpec
from engine.people.users import find_user, principal_for
from engine.store.models import AuditEvent, Case, Place
from tests.engine.conftest import mini_pathway
from tests.web import api_fixtures as fx
from tests.web.conftest import html_of, username

api, api_app, tokens = fx.api, fx.api_app, fx.tokens

MOTHER = {
    "centre": "kc-test",
    "display_name": "Пепа Т.",
    "birth_date": "1991-02-01",
    "sex": "female",
    "legal_basis": "urgent",
    "target_group": "domestic_violence",
    "outcome": "admit",
}
CHILDREN = {
    "children-1-display_name": "Дара Т.",
    "children-1-birth_date": "2017-03-03",
    "children-1-sex": "female",
    "children-2-display_name": "Митко Т.",
    "children-2-birth_date": "2020-05-05",
}


@pytest.fixture
def family_room(services):
    with services.uow() as uow:
        coordinator = principal_for(find_user(uow, username("coordinator")))
        versions.deploy(uow, mini_pathway("crisis_centre_child"), services.forms, coordinator, "c.bpmn")
        centre = find_centre(uow, "kc-test")
        specs = [
            PlaceSpec("3а", "adult", women_only=True),
            PlaceSpec("3б", "child"),
            PlaceSpec("3в", "child"),
        ]
        places.ensure_room(uow, centre, "Семейна", specs, family=True)
        uow.commit()


def case_id_of(services, number: str) -> str:
    with services.uow() as uow:
        return uow.session.scalar(select(Case.public_id).where(Case.number == number))


def test_a_mother_with_her_children_at_intake_and_the_family_on_each_case_page(
    as_role, services, family_room
):
    client = as_role("social_worker")
    refused = client.post("/intake", data={**MOTHER, **CHILDREN, "children-2-birth_date": "1990-01-01"})
    assert refused.status_code == 422
    assert "под 18 години в деня на настаняването" in html_of(refused)
    admitted = client.post("/intake", data={**MOTHER, **CHILDREN})
    assert admitted.status_code == 302
    mother_page = html_of(client.get(admitted.headers["Location"]))
    numbers = re.findall(r"KC-TEST-2025-\d{4}", mother_page)
    assert "Семейство" in mother_page and "Семейна · 3а" in mother_page
    children = sorted(set(numbers) - {re.search(r"KC-TEST-2025-\d{4}", mother_page.split("<h1")[1])[0]})
    assert len(children) == 2
    child_page = html_of(client.get(f"/cases/{case_id_of(services, children[1])}"))
    assert "Родител:" in child_page and "Брат или сестра:" in child_page and children[0] in child_page
    with services.uow() as uow:
        kids = uow.session.scalars(select(Case).where(Case.number.in_(children))).all()
        assert {kid.pathway_version.pathway.key for kid in kids} == {"crisis_centre_child"}
        assert {places.place_of(uow, kid.id) for kid in kids} == {("Семейна", "3б"), ("Семейна", "3в")}


def test_linking_a_family_from_the_case_page(as_role, services, world, family_room):
    client = as_role("social_worker")
    child = client.post(
        "/intake", data={**MOTHER, "display_name": "Дара", "birth_date": "2017-03-03", "sex": "female"}
    )
    child_id = child.headers["Location"].rsplit("/", 1)[-1]
    with services.uow() as uow:
        mother_number = uow.session.scalar(select(Case.number).where(Case.public_id == world.own_case))
        other_number = uow.session.scalar(select(Case.number).where(Case.public_id == world.other_case))
    unknown = client.post(f"/cases/{child_id}/family", data={"number": other_number})
    assert unknown.status_code == 422 and "Няма случай с този номер" in html_of(unknown)
    assert client.post(f"/cases/{child_id}/family", data={"number": mother_number}).status_code == 302
    page = html_of(client.get(f"/cases/{world.own_case}"))
    assert "Дете:" in page
    assert as_role("psychologist").post(f"/cases/{child_id}/family", data={"number": "x"}).status_code == 403
    with services.uow() as uow:
        assert uow.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "case.family")) is not None


def test_the_rooms_page_edits_rooms_and_refuses_to_remove_a_taken_place(as_role, services, family_room):
    manager = as_role("manager")
    assert manager.post("/centres/kc-test/rooms", data={"name": "Стая 1"}).status_code == 302
    with services.uow() as uow:
        room_id = uow.session.scalar(select(Place.room_id).where(Place.label == "3а"))
        taken_place = uow.session.scalar(select(Place.id).where(Place.label == "3а"))
    duplicate = manager.post("/centres/kc-test/rooms", data={"name": "стая 1"})
    assert duplicate.status_code == 422 and "Центърът вече има стая с това име." in html_of(duplicate)
    added = manager.post(
        f"/centres/kc-test/rooms/{room_id}/places", data={"label": "3г", "occupant": "child"}
    )
    assert added.status_code == 302
    assert as_role("social_worker").post("/intake", data=MOTHER).status_code == 302  # she takes 3а
    refused = manager.post(f"/centres/kc-test/places/{taken_place}/remove")
    assert refused.status_code == 422 and "Мястото е заето" in html_of(refused)
    admin_page = html_of(as_role("admin").get("/centres/kc-test/rooms"))
    assert "заето" in admin_page and "KC-TEST" not in admin_page  # taken, never by whom
    assert "Стая 1" in admin_page and "3г" in admin_page


def test_the_places_page_lists_residents_without_a_place(as_role, family_room):
    """The world's resident was admitted before the rooms were recorded: she has no place."""
    page = html_of(as_role("manager").get("/centres/kc-test/places"))
    assert "1 настанен няма място" in page and "KC-TEST-2025-0001" in page.split('id="unplaced"')[1]


def test_api_admits_a_family_and_shows_it_in_links(api, services, family_room):
    body = {
        **fx.INTAKE,
        "sex": "female",
        "birth_date": "1991-02-01",
        "children": [{"display_name": "Дара Т.", "birth_date": "2017-03-03", "sex": "female"}],
    }
    bad = api.post("/cases", "social_worker", json={**body, "children": [{"display_name": "Х"}]})
    assert bad.status_code == 422
    admitted = api.post("/cases", "social_worker", json=body)
    assert admitted.status_code == 201
    [link] = admitted.get_json()["links"]
    assert (link["kind"], link["direction"]) == ("family", "to") and link["case_id"]
    child = api.get(f"/cases/{link['case_id']}", "social_worker").get_json()
    assert [(x["kind"], x["direction"]) for x in child["links"]] == [("family", "from")]
