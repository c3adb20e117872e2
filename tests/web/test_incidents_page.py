"""Incidents in the web app: the list for coordinators and managers, the case page's box, and retrying.

A real incident: the fixture pathway deployed again with a script that divides by zero, a case opened
on it and its first task completed. A forged one (status set by hand on a healthy case) runs again.
"""

from __future__ import annotations

from sqlalchemy import select

from engine.casework import cases
from engine.pathways import versions
from engine.people.users import get_user, principal_for
from engine.store.models import Case
from tests.engine.conftest import mini_pathway
from tests.web import api_fixtures as fx
from tests.web.conftest import csrf_client, csrf_token_of, first_task, html_of, open_case, username

api, api_app, tokens = fx.api, fx.api_app, fx.tokens
BROKEN = {'risk_score = 3 if risk == "high" else 1': "risk_score = 1 / 0"}


def as_user(uow, name: str):  # type: ignore[no-untyped-def]
    return principal_for(get_user(uow, name))


def park(services, own: bool = True, broken: dict[str, str] = BROKEN, note: str = "x") -> tuple[str, str]:
    """A case of the own (or other) centre stopped by an error: its public id and number."""
    with services.uow() as uow:
        coordinator = as_user(uow, username("coordinator", own))
        versions.deploy(uow, mini_pathway(replace=broken), services.forms, coordinator, "broken.bpmn")
        worker = username("social_worker", own)
        case = open_case(uow, "kc-test" if own else "kc-other", worker, "Иван Т.")
        task_id = first_task(uow, case.id)
        cases.complete_task(uow, as_user(uow, worker), task_id, {"note": note, "risk": "low"}, services.forms)
        assert case.status == "incident"
        uow.commit()
        return case.public_id, case.number


def forge_incident(services, public_id: str) -> None:
    with services.uow() as uow:
        case = uow.session.scalar(select(Case).where(Case.public_id == public_id))
        case.status, case.incident_element, case.incident_message = "incident", "score", "boom"
        uow.commit()


def status_of(services, public_id: str) -> str:
    with services.uow() as uow:
        return uow.session.scalar(select(Case.status).where(Case.public_id == public_id))


def test_coordinators_see_their_centres_incidents_without_case_content(services, as_role, world):
    public_id, number = park(services)
    _, other_number = park(services, own=False)
    html = html_of(as_role("coordinator").get("/incidents"))
    assert number in html and other_number not in html
    assert "<code>score</code>" in html and "<code>risk_score = 1 / 0</code>" in html
    assert "Израз раздели на нула." in html and "31.08.2025 г., 10:00" in html
    assert "Кризисен център – пълнолетни" in html and "версия 2" in html
    assert "Иван Т." not in html and "ул. Тайна 1" not in html  # coordinators read no case content
    assert f'href="/cases/{public_id}"' not in html  # …so the number is not a link for them
    assert f'action="/cases/{public_id}/retry"' in html
    assert "1 спрян случай" in html


def test_managers_get_a_link_to_the_case(services, as_role, world):
    public_id, _ = park(services)
    assert f'href="/cases/{public_id}"' in html_of(as_role("manager").get("/incidents"))


def test_the_header_links_incidents_for_coordinators_and_managers_only(as_role, world):
    for role, shown in (("coordinator", True), ("manager", True), ("social_worker", False), ("admin", False)):
        home = "/pathways" if role == "coordinator" else "/admin" if role == "admin" else "/inbox"
        assert ('href="/incidents"' in html_of(as_role(role).get(home))) is shown, role


def test_others_may_not_see_the_list(app, as_role, world):
    for role in ("social_worker", "case_lead", "admin"):
        assert as_role(role).get("/incidents").status_code == 403
    assert app.test_client().get("/incidents").headers["Location"].startswith("/login")


def test_no_incidents_and_bad_pages(as_role, world):
    client = as_role("coordinator")
    assert "Няма случай, спрян от грешка." in html_of(client.get("/incidents"))
    for page in ("0", "-1", "x"):
        assert client.get(f"/incidents?page={page}").status_code == 200
    assert client.get("/incidents?page=99999999999999999999").status_code == 422  # beyond any page


def test_retry_that_fails_again_says_the_case_is_still_stopped(services, as_role, world):
    public_id, number = park(services)
    client = as_role("coordinator")
    response = client.post(f"/cases/{public_id}/retry", data={"next": "/incidents"})
    assert response.status_code == 302 and response.headers["Location"] == "/incidents"
    assert f"Случай {number} все още е спрян от грешка." in html_of(client.get("/incidents"))
    assert status_of(services, public_id) == "incident"


def test_retry_that_succeeds_says_the_case_runs_again(services, as_role, world):
    forge_incident(services, world.own_case)
    client = as_role("manager")
    page = html_of(client.get(f"/cases/{world.own_case}"))
    assert f'action="/cases/{world.own_case}/retry"' in page
    response = client.post(f"/cases/{world.own_case}/retry", data={"next": f"/cases/{world.own_case}"})
    assert response.headers["Location"] == f"/cases/{world.own_case}"
    html = html_of(client.get(response.headers["Location"]))
    assert "продължи." in html and "спрян от грешка" not in html
    assert status_of(services, world.own_case) == "open"
    with services.uow() as uow:
        assert cases.get_case(uow, as_user(uow, username("manager")), world.own_case).incident_element == ""


def test_the_case_page_shows_the_incident_and_the_retry_button_to_those_allowed(services, as_role, world):
    public_id, _ = park(services)
    manager = html_of(as_role("manager").get(f"/cases/{public_id}"))
    assert "Пътеката спря на score" in manager and "<code>risk_score = 1 / 0</code>" in manager
    assert "Израз раздели на нула." in manager and f'action="/cases/{public_id}/retry"' in manager
    worker = html_of(as_role("social_worker").get(f"/cases/{public_id}"))
    assert "<code>risk_score = 1 / 0</code>" in worker and f'action="/cases/{public_id}/retry"' not in worker
    healthy = html_of(as_role("manager").get(f"/cases/{world.own_case}"))
    assert "/retry" not in healthy


def test_retry_refusals(services, as_role, world):
    public_id, _ = park(services)
    other_id, _ = park(services, own=False)
    assert as_role("social_worker").post(f"/cases/{public_id}/retry").status_code == 403
    assert as_role("admin").post(f"/cases/{public_id}/retry").status_code == 404
    assert as_role("coordinator").post(f"/cases/{other_id}/retry").status_code == 404
    assert as_role("coordinator").post("/cases/no-such-case/retry").status_code == 404
    assert as_role("coordinator").post(f"/cases/{world.own_case}/retry").status_code == 409  # not stopped
    assert status_of(services, other_id) == "incident"


def test_retry_needs_the_forms_csrf_token(services, world):
    forge_incident(services, world.own_case)
    client = csrf_client(services, "coordinator")
    page = html_of(client.get("/incidents"))
    assert client.post(f"/cases/{world.own_case}/retry").status_code == 400
    assert status_of(services, world.own_case) == "incident"
    done = client.post(f"/cases/{world.own_case}/retry", data={"csrf_token": csrf_token_of(page)})
    assert done.status_code == 302 and status_of(services, world.own_case) == "open"


def test_no_page_shows_a_value_of_the_case_in_the_incident(services, as_role, world, api):
    secret = "Бие ме, живея при сестра ми, ул. Скрита 7"
    public_id, _ = park(
        services, broken={'risk_score = 3 if risk == "high" else 1': "n = int(note)"}, note=secret
    )
    listed = html_of(as_role("coordinator").get("/incidents"))
    case_page = html_of(as_role("manager").get(f"/cases/{public_id}"))
    box = case_page[case_page.index('class="alert alert-error incident"') :]
    box = box[: box.index("</dl>")]  # the incident's box (the case page shows the completed note elsewhere)
    for html in (listed, box):
        assert "<code>n = int(note)</code>" in html and "Израз не можа да преобразува стойност" in html
        assert "Скрита" not in html and "Бие ме" not in html
    incident = api.get(f"/cases/{public_id}", role="manager").get_json()["incident"]
    assert incident["problem"] == "unreadable_value" and incident["element_id"] == "score"
    assert incident["expression"] == "n = int(note)" and "Скрита" not in incident["message"]
