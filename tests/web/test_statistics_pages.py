"""Statistics page, CSV and API; a person's data (JSON, PDF, who viewed): managers of the centre only."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.people.permissions import SYSTEM
from engine.people.users import create_user
from engine.services import Services
from engine.store.models import AuditEvent
from tests.web.conftest import PASSWORD, WebWorld, login, username

ADDRESS = "ул. Тайна 1"  # kc-test's confidential address (tests/web/conftest.py)


@pytest.fixture
def managers(app: Flask, services: Services, world: WebWorld) -> list[FlaskClient]:
    """Both managers of the own centre, signed in."""
    with services.uow() as uow:
        create_user(uow, SYSTEM, "a-manager-2", PASSWORD, "kc-test", "manager", "Втори управител")
        uow.commit()
    clients = []
    for name in (username("manager"), "a-manager-2"):
        client = app.test_client()
        login(client, name)
        clients.append(client)
    return clients


def test_the_managers_read_their_centre_s_statistics(managers, services):
    month = services.clock.now().strftime("%Y-%m")
    for client in managers:
        html = client.get(f"/statistics?month={month}").get_data(as_text=True)
        assert "КЦ Тест" in html and "КЦ Друг" not in html and "Мария" not in html
        assert "&lt;5" in html  # one admission this month
        assert client.get("/statistics").status_code == 200  # this month by default
    english = managers[0].get(f"/statistics?month={month}", headers={"Accept-Language": "en"})
    assert english.status_code == 200


def test_others_may_not(as_role, world):
    for role in ("social_worker", "psychologist", "case_lead", "coordinator", "admin"):
        client = as_role(role)
        assert client.get("/statistics?month=2025-08").status_code == 403
        assert client.get("/statistics.csv?month=2025-08").status_code == 403
        assert client.get("/api/v1/statistics?month=2025-08").status_code == 403
    manager = as_role("manager")
    assert manager.get("/statistics?month=2025-08&centre=kc-other").status_code == 404
    assert manager.get("/api/v1/statistics?month=2025-08&centre=kc-other").status_code == 404
    assert "Statistics" not in as_role("case_lead").get("/inbox", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )


def test_a_bad_month_is_named(managers):
    client = managers[0]
    assert client.get("/statistics?month=2025-13").status_code == 422
    for query in ("", "?month=", "?month=2025-13", "?month=2025-8", "?month=2025-00"):
        response = client.get(f"/api/v1/statistics{query}")
        assert response.status_code == 422, query
        assert "month" in response.get_json()["fields"]


def test_the_csv_and_the_api_give_the_page_s_numbers(managers, services):
    month = services.clock.now().strftime("%Y-%m")
    client = managers[1]
    response = client.get(f"/statistics.csv?month={month}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8")[1:])))
    assert rows[0] == ["Месец", "Център", "Показател", "Категория", "Брой"]
    assert all(row[0] == month and row[1] == "КЦ Тест" for row in rows[1:])
    assert {row[4] for row in rows[1:]} <= {"0", "<5", "x"} | {str(n) for n in range(5, 100)}
    assert "Мария" not in response.get_data(as_text=True)
    data = client.get(f"/api/v1/statistics?month={month}").get_json()
    [centre] = data["centres"]
    tables = {table["figure"]: table for table in centre["tables"]}
    sexes = {cell["category"]: cell for cell in tables["admissions_by_sex"]["cells"]}
    assert sexes["not_recorded"] == {"category": "not_recorded", "count": None, "shown": "<5"}
    assert tables["admissions_by_sex"]["total"] is None
    with services.uow() as uow:
        [entry] = uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "statistics.export"))
        assert entry.actor == "a-manager-2" and entry.detail["centres"] == ["kc-test"]


def test_a_person_s_data_for_the_managers_only(managers, as_role, world, services):
    case = world.own_case
    for client in managers:
        response = client.get(f"/cases/{case}/person.json")
        assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
        exported = json.loads(response.get_data())
        assert exported["person"]["name"] == "Мария П." and ADDRESS not in response.get_data(as_text=True)
        viewers = client.get(f"/cases/{case}/viewers").get_data(as_text=True)
        assert "Кой е преглеждал досието" in viewers
    assert "Служител manager" in managers[1].get(f"/cases/{case}/viewers").get_data(as_text=True)
    for role in ("social_worker", "psychologist", "case_lead"):
        client = as_role(role)
        for path in ("person.json", "person.pdf", "viewers", "viewers.pdf"):
            assert client.get(f"/cases/{case}/{path}").status_code == 403, (role, path)
    stranger = as_role("manager", own=False)
    assert stranger.get(f"/cases/{case}/person.json").status_code == 404
    page = managers[0].get(f"/cases/{case}").get_data(as_text=True)
    assert f"/cases/{case}/person.pdf" in page
    assert f"/cases/{case}/person.pdf" not in as_role("case_lead").get(f"/cases/{case}").get_data(
        as_text=True
    )


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_the_person_s_pdf_is_readable_text_without_the_address(managers, world, services):
    with services.uow() as uow:
        from engine.casework import notes
        from engine.people.users import get_user, principal_for

        worker = principal_for(get_user(uow, username("social_worker")))
        notes.add_note(uow, worker, world.own_case, notes.NoteInput("contact", f"Доведена до {ADDRESS}"))
        uow.commit()
    texts = {}
    for path in ("person.pdf", "viewers.pdf"):
        response = managers[0].get(f"/cases/{world.own_case}/{path}")
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        command = ["pdftotext", "-enc", "UTF-8", "-", "-"]
        done = subprocess.run(command, input=response.get_data(), capture_output=True, check=True)
        texts[path] = " ".join(done.stdout.decode("utf-8").split())
        assert ADDRESS not in texts[path]
    assert "Мария П." in texts["person.pdf"] and "Доведена до […]" in texts["person.pdf"]
    assert "Данни за лицето" in texts["person.pdf"]
    assert "Служител manager" in texts["viewers.pdf"]
