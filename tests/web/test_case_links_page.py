"""Linked cases on the case page and in the API: the other case's number and centre, nothing more,
unless the reader may open it. Every reading role of both centres, pages and API."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.people.permissions import CASE_READERS
from engine.store.models import Case, CaseLink
from tests.web import api_fixtures as fx

api, api_app, tokens = fx.api, fx.api_app, fx.tokens

READERS = sorted(CASE_READERS)


@pytest.fixture
def linked(services, world):
    """The own centre's case opened the other centre's case by a handover."""
    with services.uow() as uow:
        own = uow.session.scalar(select(Case).where(Case.public_id == world.own_case))
        other = uow.session.scalar(select(Case).where(Case.public_id == world.other_case))
        uow.session.add(
            CaseLink(
                from_case_id=own.id, to_case_id=other.id, kind="handover", created_at=services.clock.now()
            )
        )
        uow.commit()
        return own.number, other.number


@pytest.mark.parametrize("role", READERS)
def test_the_case_page_shows_the_link_but_never_the_other_case(as_role, world, linked, role):
    own_number, other_number = linked
    for own, case_id, other_case, number, centre, name in (
        (True, world.own_case, world.other_case, other_number, "КЦ Друг", "Елена Д."),
        (False, world.other_case, world.own_case, own_number, "КЦ Тест", "Мария П."),
    ):
        page = as_role(role, own).get(f"/cases/{case_id}").get_data(as_text=True)
        assert 'id="links-heading"' in page and number in page and centre in page
        assert other_case not in page and name not in page  # no link to it, nothing of its content
        assert ("ул. Тайна" if not own else "ул. Друга") not in page  # never the other centre's address


@pytest.mark.parametrize("role", READERS)
def test_the_api_lists_the_link_with_no_id_for_a_reader_of_one_side(api, world, linked, role):
    own_number, other_number = linked
    body = api.get(f"/cases/{world.own_case}", role).get_json()
    [link] = body["links"]
    assert (link["direction"], link["case_number"], link["kind"]) == ("to", other_number, "handover")
    assert link["centre"] == {"code": "kc-other", "name": "КЦ Друг"}
    assert link["case_id"] is None and link["status"] is None
    [back] = api.get(f"/cases/{world.other_case}", role, own=False).get_json()["links"]
    assert (back["direction"], back["case_number"], back["case_id"]) == ("from", own_number, None)


def test_a_case_without_links_shows_no_links_section(as_role, world):
    page = as_role("manager").get(f"/cases/{world.own_case}").get_data(as_text=True)
    assert 'id="links-heading"' not in page
