"""The dashboard page, the places page, intake's three outcomes and the dashboard API.

World (tests/web/conftest.py): kc-test and kc-other, two users per role (own ``a-…``, other ``b-…``), one
open case in each centre whose first task (social worker, due in 24 h) is open; 2025-08-31 10:00 Sofia.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.people import places
from engine.people.centres import find_centre
from engine.people.places import PlaceSpec
from engine.store.models import TurnAway, WaitingEntry
from tests.web import api_fixtures as fx
from tests.web.conftest import html_of

api, api_app, tokens = fx.api, fx.api_app, fx.tokens


def hrefs(html: str) -> list[str]:
    return [href.replace("&amp;", "&") for href in re.findall(r'href="([^"]+)"', html)]


def test_managers_and_case_leads_land_on_the_dashboard_others_keep_theirs(as_role):
    assert as_role("manager").get("/").headers["Location"].endswith("/dashboard")
    assert as_role("case_lead").get("/").headers["Location"].endswith("/dashboard")
    assert as_role("social_worker").get("/").headers["Location"].endswith("/inbox")
    assert as_role("coordinator").get("/").headers["Location"].endswith("/pathways")


def test_the_dashboard_shows_each_figure_as_a_link_to_its_list(as_role, clock):
    clock.advance(timedelta(days=2))  # the open case's first task is now overdue
    client = as_role("manager")
    html = html_of(client.get("/dashboard"))
    assert "КЦ Тест" in html and "КЦ Друг" not in html
    assert "1 / 12" in html
    links = hrefs(html)
    overdue = next(link for link in links if "due=overdue" in link and "task_type=assess" in link)
    inbox = html_of(client.get(overdue))
    assert "Мария П." in inbox
    residents = next(link for link in links if "stay=staying" in link)
    assert "Мария П." in html_of(client.get(residents))
    by_nobody = next(link for link in links if "assignee=-" in link)
    assert "Мария П." in html_of(client.get(by_nobody))
    for chart in ("occupancy", "caseload", "stay_length", "overdue"):
        assert f'data-chart="{chart}"' in html
    assert html.count('class="chart-table"') == 4
    assert "/static/dist/dashboard.js" in html


def test_the_charts_json_names_series_in_the_readers_language(as_role):
    client = as_role("manager")
    bulgarian = client.get("/dashboard/kc-test/charts.json").get_json()
    assert set(bulgarian) == {"occupancy", "caseload", "stay_length", "overdue"}
    assert len(bulgarian["occupancy"]["labels"]) == 12
    client.post("/language", data={"locale": "en"})
    english = client.get("/dashboard/kc-test/charts.json").get_json()
    assert english["occupancy"]["title"] == "Occupancy over the last 12 months"
    assert bulgarian["occupancy"]["title"] != english["occupancy"]["title"]


@pytest.mark.parametrize("own", [True, False])
@pytest.mark.parametrize(
    "role", ["manager", "case_lead", "social_worker", "psychologist", "coordinator", "admin"]
)
def test_dashboard_pages_by_role_and_centre(as_role, role, own):
    client = as_role(role, own=own)
    allowed = role in ("manager", "case_lead")
    assert client.get("/dashboard").status_code == (200 if allowed else 403)
    # kc-test is the own centre of ``own`` users; for the other centre's users it is not theirs (404)
    expected = 404 if not own else 200 if allowed else 403
    assert client.get("/dashboard/kc-test/charts.json").status_code == expected
    assert client.get("/centres/kc-test/places").status_code == expected


def test_intake_puts_on_the_waiting_list_records_a_turn_away_and_admits_from_the_list(as_role, services):
    client = as_role("social_worker")
    with services.uow() as uow:
        centre = find_centre(uow, "kc-test")
        places.ensure_room(uow, centre, "Стая 1", [PlaceSpec("1а", "adult", women_only=True)])
        uow.commit()
    person = {
        "centre": "kc-test",
        "display_name": "Светла К.",
        "legal_basis": "urgent",
        "target_group": "domestic_violence",
        "sex": "female",
    }
    assert client.post("/intake", data={**person, "outcome": "wait"}).status_code == 302
    refused = client.post("/intake", data={"centre": "kc-test", "outcome": "turn_away"})
    assert refused.status_code == 422 and "Изберете защо" in html_of(refused)
    turned = client.post(
        "/intake", data={"centre": "kc-test", "outcome": "turn_away", "reason": "safety", "display_name": "X"}
    )
    assert turned.status_code == 302
    with services.uow() as uow:
        entry = uow.session.scalar(select(WaitingEntry))
        [turn_away] = uow.session.scalars(select(TurnAway)).all()
        assert (turn_away.reason, turn_away.target_group) == ("safety", "")
        public_id = entry.public_id
    manager = as_role("manager")
    page = html_of(manager.get("/centres/kc-test/places"))
    assert "Светла К." in page and "Стая 1" in page
    form = html_of(client.get(f"/intake?waiting={public_id}"))
    assert 'value="Светла К."' in form and public_id in form
    admitted = client.post("/intake", data={**person, "waiting": public_id, "outcome": "admit"})
    assert admitted.status_code == 302
    page = html_of(manager.get("/centres/kc-test/places"))
    assert "Светла К." not in page.split('id="waiting"')[1].split('id="turn-aways"')[0]
    # the only place is hers now: a man finds no fitting place
    man = client.post("/intake", data={**person, "display_name": "Иван", "sex": "male", "outcome": "admit"})
    assert man.status_code == 422 and "Няма свободно място" in html_of(man)


# --- the API -----------------------------------------------------------------------------------------


def test_api_dashboard_for_the_manager_and_the_case_lead(api, clock):
    clock.advance(timedelta(days=2))
    body = api.get("/centres/kc-test/dashboard", "manager").get_json()
    assert (body["centre"], body["scope"], body["residents"], body["capacity"]) == (
        "kc-test",
        "centre",
        1,
        12,
    )
    assert body["overdue"] == 1 and body["overdue_by_worker"] == [{"key": "", "label": "", "count": 1}]
    assert set(body["charts"]) == {"occupancy", "caseload", "stay_length", "overdue"}
    lead = api.get("/centres/kc-test/dashboard", "case_lead").get_json()
    assert (lead["scope"], lead["overdue"], lead["residents"]) == ("team", 0, 1)


@pytest.mark.parametrize("role", ["manager", "case_lead", "social_worker", "psychologist", "admin"])
def test_api_dashboard_and_occupancy_of_another_centre_do_not_exist(api, role):
    for path in ("/centres/kc-other/dashboard", "/centres/kc-other/occupancy", "/centres/nowhere/dashboard"):
        assert api.get(path, role).status_code == 404
    expected = 200 if role in ("manager", "case_lead") else 403
    assert api.get("/centres/kc-test/dashboard", role).status_code == expected
    assert api.get("/centres/kc-test/occupancy", role).status_code == expected


def test_api_occupancy_between_two_dates_and_400_naming_a_bad_date(api, services, clock):
    with services.uow() as uow:
        from engine.reports.occupancy import record_days

        today = clock.now().date()
        record_days(uow, today - timedelta(days=2), today)
        uow.commit()
    body = api.get(
        f"/centres/kc-test/occupancy?from={today - timedelta(days=1)}&to={today}", "manager"
    ).get_json()
    assert body == {
        "centre": "kc-test",
        "days": [
            {"day": str(today - timedelta(days=1)), "residents": 0, "capacity": 12},
            {"day": str(today), "residents": 1, "capacity": 12},
        ],
    }
    for query, field in (("from=2025-13-01", "from"), ("to=yesterday", "to")):
        bad = api.get(f"/centres/kc-test/occupancy?{query}", "manager")
        assert bad.status_code == 400 and list(bad.get_json()["fields"]) == [field]
    backwards = api.get("/centres/kc-test/occupancy?from=2025-08-31&to=2025-08-01", "manager")
    assert backwards.status_code == 422 and "to" in backwards.get_json()["fields"]


def test_api_intake_settles_by_sex_and_refuses_when_no_place_fits(api, services):
    with services.uow() as uow:
        centre = find_centre(uow, "kc-test")
        places.ensure_room(uow, centre, "Стая 1", [PlaceSpec("1а", "adult", women_only=True)])
        uow.commit()
    refused = api.post("/cases", "social_worker", json={**fx.INTAKE, "sex": "male"})
    assert refused.status_code == 422 and "over_capacity" in refused.get_json()["fields"]
    assert api.post("/cases", "social_worker", json={**fx.INTAKE, "sex": "x"}).status_code == 422
    admitted = api.post("/cases", "social_worker", json={**fx.INTAKE, "sex": "female"})
    assert admitted.status_code == 201
    with services.uow() as uow:
        [row] = places.list_places(uow, centre.id)
        assert row.case_public_id == admitted.get_json()["id"]
