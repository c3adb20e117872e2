"""Intake (with the full-centre warning), the administrator's pages and the coordinators' pathways page."""

from __future__ import annotations

from io import BytesIO

from sqlalchemy import func, select

from engine.bpmn import spiff
from engine.casework.cases import load_workflow
from engine.store.models import AuditEvent, Case, Centre, PathwayVersion, User
from tests.engine.conftest import mini_pathway
from tests.web.conftest import html_of, login, username

INTAKE = {
    "centre": "kc-test",
    "display_name": "Радост К.",
    "birth_date": "1990-04-01",
    "legal_basis": "referral",
    "target_group": "domestic_violence",
    "referral_number": "ДСП-77",
    "referral_date": "2025-08-30",
    "admitted_on": "2025-08-31",
    "admitted_time": "09:15",
}


def count(services, model):
    with services.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(model))


def test_intake_page_lists_routes_and_occupancy(as_role, world):
    html = html_of(as_role("social_worker").get("/intake"))
    assert "Спешно приемане без направление" in html and "Полицейска закрила на дете" in html
    assert "КЦ Тест: заети 1 от 12 места" in html
    assert 'value="2025-08-31"' in html and 'value="10:00"' in html  # now, in Sofia time
    assert "КЦ Друг" not in html


def test_intake_opens_the_case_on_its_pathway(services, as_role, world):
    client = as_role("social_worker")
    response = client.post("/intake", data=INTAKE)
    assert response.status_code == 302 and response.headers["Location"].startswith("/cases/")
    html = html_of(client.get(response.headers["Location"]))
    assert "Случай KC-TEST-2025-0002 е открит." in html
    assert "Радост К." in html and "31.08.2025 г., 9:15" in html


def test_intake_keeps_the_dsp_lead_social_worker_in_the_start_data(services, as_role, world):
    client = as_role("social_worker")
    lead = {"dsp_lead_name": "  Елена   Стоянова ", "dsp_lead_contact": "0888 123 456"}
    response = client.post("/intake", data={**INTAKE, **lead})
    assert response.status_code == 302
    public_id = response.headers["Location"].split("/")[2]
    with services.uow() as uow:
        case = uow.session.scalar(select(Case).where(Case.public_id == public_id))
        data = spiff.workflow_data(load_workflow(uow, case))
    assert data["dsp_lead_name"] == "Елена Стоянова" and data["dsp_lead_contact"] == "0888 123 456"
    assert data["order_date"] is None  # a referral, not an order: order_date stays derived, not asked
    too_long = client.post("/intake", data={**INTAKE, "dsp_lead_name": "х" * 201})
    assert too_long.status_code == 422
    assert 'id="dsp_lead_name-error">Най-много 200 знака.' in html_of(too_long)


def test_intake_errors_are_shown_per_field(services, as_role, world):
    client = as_role("social_worker")
    response = client.post(
        "/intake", data={**INTAKE, "display_name": " ", "referral_number": "", "birth_date": "31.12.1990"}
    )
    html = html_of(response)
    assert response.status_code == 422
    assert 'id="display_name-error">Задължително, най-много 200 знака.' in html
    assert 'id="referral_number-error">За направление или заповед е нужен номерът на документа.' in html
    assert 'id="birth_date-error">Въведете дата във вида ГГГГ-ММ-ДД.' in html
    assert count(services, Case) == 2


def test_full_centre_warns_and_needs_confirmation(services, as_role, world):
    with services.uow() as uow:
        uow.session.scalar(select(Centre).where(Centre.code == "kc-test")).capacity = 1
        uow.commit()
    client = as_role("case_lead")
    page = html_of(client.get("/intake"))
    assert "Центърът е пълен." in page
    refused = client.post("/intake", data=INTAKE)
    assert refused.status_code == 422
    assert "Центърът няма свободни места." in html_of(refused)
    assert count(services, Case) == 2
    assert client.post("/intake", data={**INTAKE, "over_capacity": "yes"}).status_code == 302
    assert count(services, Case) == 3


def test_intake_refused_for_other_roles_and_centres(as_role, world):
    assert as_role("psychologist").get("/intake").status_code == 403
    assert as_role("social_worker").post("/intake", data={**INTAKE, "centre": "kc-other"}).status_code == 403
    assert as_role("social_worker").post("/intake", data={**INTAKE, "centre": "kc-none"}).status_code == 404


def test_admin_manages_users_and_centres_without_case_content(services, as_role, world):
    admin = as_role("admin")
    html = html_of(admin.get("/admin"))
    assert username("social_worker") in html and "КЦ Тест" in html
    assert "ул. Тайна 1" not in html and "Мария П." not in html
    created = admin.post(
        "/admin/users",
        data={
            "username": "new.worker",
            "display_name": "Нов",
            "password": "long enough pw",
            "centre": "kc-test",
            "role": "educator",
        },
    )
    assert created.status_code == 302
    login(app_client := admin.application.test_client(), "new.worker", "long enough pw")
    assert app_client.get("/inbox").status_code == 200
    short = admin.post(
        "/admin/users", data={"username": "x", "password": "short", "centre": "kc-test", "role": "educator"}
    )
    assert short.status_code == 422 and "password" in html_of(short)
    assert (
        admin.post(
            f"/admin/users/{username('psychologist')}/active", data={"active": "no", "confirm": "yes"}
        ).status_code
        == 302
    )
    with services.uow() as uow:
        assert not uow.session.scalar(select(User.active).where(User.username == username("psychologist")))
    assert admin.post(f"/admin/users/{username('admin')}/active", data={"active": "no"}).status_code == 422
    centre = admin.post(
        "/admin/centres",
        data={
            "code": "kc-varna",
            "name": "КЦ Варна",
            "kind": "crisis_centre",
            "capacity": "10",
            "address": "таен",
        },
    )
    assert centre.status_code == 302
    page = html_of(admin.get("/admin"))
    assert "КЦ Варна" in page and "таен" not in page
    assert (
        admin.post(
            "/admin/centres", data={"code": "kc-varna", "name": "x", "kind": "crisis_centre", "capacity": "5"}
        ).status_code
        == 422
    )
    with services.uow() as uow:
        actions = set(uow.session.scalars(select(AuditEvent.action)).all())
    assert {"user.create", "user.deactivate", "centre.create"} <= actions


def test_coordinator_uploads_pathways_and_sees_problems_per_element(services, as_role, world):
    coordinator = as_role("coordinator")
    assert "crisis_centre_adult" in html_of(coordinator.get("/pathways"))
    changed = mini_pathway(replace={'name="Initial assessment"': 'name="Първоначална оценка"'})
    response = coordinator.post("/pathways", data={"file": (BytesIO(changed), "adult.bpmn")})
    assert response.status_code == 302
    assert "Версия 2 на crisis_centre_adult е внедрена." in html_of(coordinator.get("/pathways"))
    broken = mini_pathway(replace={'value="note"': 'value="no_such_form"'})
    refused = coordinator.post("/pathways", data={"file": (BytesIO(broken), "broken.bpmn")})
    html = html_of(refused)
    assert refused.status_code == 422
    assert "<code>assess</code>: form &#39;no_such_form&#39;: няма такъв формуляр" in html
    empty = coordinator.post("/pathways", data={})
    assert empty.status_code == 422
    not_xml = coordinator.post("/pathways", data={"file": (BytesIO(b"<!DOCTYPE x><x/>"), "x.bpmn")})
    assert not_xml.status_code == 422
    with services.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(PathwayVersion)) == 2
