"""The case page: header, confidentiality, timeline, audit of reads, who viewed, diagram, signals."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

from sqlalchemy import select

from engine.store.models import AuditEvent, Case
from tests.web.conftest import html_of, username


def reads(services, case_public_id):
    with services.uow() as uow:
        case_id = uow.session.scalar(select(Case.id).where(Case.public_id == case_public_id))
        return [
            (e.actor, e.ip, e.detail)
            for e in uow.session.scalars(
                select(AuditEvent).where(AuditEvent.case_id == case_id, AuditEvent.action == "case.read")
            )
        ]


def test_header_shows_stay_cap_and_next_deadline(as_role, world, clock):
    clock.advance(timedelta(days=9))
    html = html_of(as_role("social_worker").get(f"/cases/{world.own_case}"))
    assert "KC-TEST-2025-0001" in html and "Мария П." in html
    assert "Направление от Дирекция „Социално подпомагане“ (ДСП-1)" in html
    assert "31.08.2025 г., 10:00" in html  # admitted, in Sofia time
    assert "ден 10" in html
    assert "28.02.2026 г." in html and "остават 172 дни" in html  # 31 Aug + P6M
    assert "Initial assessment: 1.09.2025 г., 10:00" in html and "просрочена с 8 дни" in html


def test_confidential_address_only_for_the_centres_staff(services, as_role, world):
    assert "ул. Тайна 1" in html_of(as_role("psychologist").get(f"/cases/{world.own_case}"))
    for role in ("admin", "coordinator"):
        client = as_role(role)
        assert "ул. Тайна 1" not in html_of(client.get("/admin" if role == "admin" else "/pathways"))
        assert client.get(f"/cases/{world.own_case}").status_code == 404


def test_another_centres_case_does_not_exist(as_role, world):
    client = as_role("manager")
    for path in ("", "/diagram.bpmn", "/audit", "/audit.csv"):
        response = client.get(f"/cases/{world.other_case}{path}")
        assert response.status_code == 404, path
        assert "Елена Д." not in response.get_data(as_text=True)
    assert client.get("/cases/not-a-case").status_code == 404


def test_every_read_is_audited_with_who_and_where(services, as_role, world):
    as_role("social_worker").get(f"/cases/{world.own_case}")
    as_role("manager", ip="10.0.0.7").get(f"/cases/{world.own_case}")
    assert reads(services, world.own_case) == [
        (username("social_worker"), "127.0.0.1", {"view": "page"}),
        (username("manager"), "10.0.0.7", {"view": "page"}),
    ]


def test_refused_reads_write_nothing(services, as_role, world):
    as_role("social_worker", own=False).get(f"/cases/{world.own_case}")
    assert reads(services, world.own_case) == []


def test_timeline_current_tasks_and_completed_forms(as_role, world):
    client = as_role("social_worker")
    client.post(f"/tasks/{world.own_task}/complete", data={"f_note": "Първа среща", "f_risk": "low"})
    html = html_of(client.get(f"/cases/{world.own_case}"))
    assert "Случаят е открит" in html and "Задачата е завършена" in html
    assert "Случаят е прегледан" not in html  # reads are in the audit view, not the timeline
    assert "<dt>Бележка</dt><dd>Първа среща</dd>" in html
    assert "В момента няма чакаща задача." in html
    assert "Рискът се промени" in html  # the pathway now waits for this event


def test_signal_moves_the_case_on(services, as_role, world):
    client = as_role("social_worker")
    client.post(f"/tasks/{world.own_task}/complete", data={"f_note": "x", "f_risk": "low"})
    response = client.post(f"/cases/{world.own_case}/signal", data={"signal": "risk_changed"})
    assert response.status_code == 302
    html = html_of(client.get(f"/cases/{world.own_case}"))
    assert "Re-assessment" in html and "Отбелязано събитие" in html
    assert client.post(f"/cases/{world.own_case}/signal", data={"signal": "made_up"}).status_code == 422


def test_diagram_marks_current_and_done_and_xml_is_served(as_role, world):
    client = as_role("social_worker")
    html = html_of(client.get(f"/cases/{world.own_case}"))
    assert "data-pathway-diagram" in html
    assert f'data-xml-url="/cases/{world.own_case}/diagram.bpmn"' in html
    assert "data-current='[\"assess\"]'" in html and "data-done='[\"start\"]'" in html
    assert '<script src="/static/dist/viewer.js" defer></script>' in html
    xml = client.get(f"/cases/{world.own_case}/diagram.bpmn")
    assert xml.status_code == 200 and xml.mimetype == "application/xml"
    assert b'<bpmn:userTask id="assess"' in xml.data
    assert xml.headers["Cache-Control"] == "no-store"


def test_manager_sees_who_viewed_and_exports_csv(services, as_role, world):
    as_role("psychologist", ip="10.1.2.3").get(f"/cases/{world.own_case}")
    manager = as_role("manager")
    html = html_of(manager.get(f"/cases/{world.own_case}"))
    assert "Кой е преглеждал случая" in html
    page = html_of(manager.get(f"/cases/{world.own_case}/audit"))
    assert "Служител psychologist" in page and "10.1.2.3" in page and "Случаят е прегледан" in page
    exported = manager.get(f"/cases/{world.own_case}/audit.csv")
    assert exported.mimetype == "text/csv" and "attachment" in exported.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Кога", "Кой", "Потребителско име", "Какво", "Относно", "От адрес"]
    assert any(row[2] == username("psychologist") and row[5] == "10.1.2.3" for row in rows[1:])
    assert all(datetime.fromisoformat(row[0]).utcoffset() is not None for row in rows[1:])  # ISO 8601
    with services.uow() as uow:
        formats = uow.session.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "case.audit_read").order_by(AuditEvent.id)
        ).all()
    assert formats == [{"format": "page"}, {"format": "csv"}]


def test_only_the_manager_sees_who_viewed(as_role, world):
    for role in ("social_worker", "case_lead", "psychologist"):
        client = as_role(role)
        assert "Кой е преглеждал случая" not in html_of(client.get(f"/cases/{world.own_case}"))
        assert client.get(f"/cases/{world.own_case}/audit").status_code == 403


def test_csv_cells_cannot_be_formulas():
    from engine.casework.read.export import neutralise as cell_safe

    assert cell_safe("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert cell_safe("@x") == "'@x" and cell_safe("Мария") == "Мария"
    for start in ("=", "+", "-", "@", "\t", "\r"):  # issue 14 §4: each of them, in every export
        assert cell_safe(f"{start}cmd|'/c calc'!A1") == f"'{start}cmd|'/c calc'!A1"
    assert cell_safe("") == "" and cell_safe(" =1") == " =1"


def test_case_list_shows_my_centres_cases(as_role, world):
    html = html_of(as_role("educator").get("/cases"))
    assert "KC-TEST-2025-0001" in html and "KC-OTHER" not in html
    assert "Мария П." in html
    assert "Мария П." in html_of(as_role("educator").get("/cases?q=Мария&status=all"))
    assert as_role("educator").get("/cases?status=bogus").status_code == 422


def test_reassign_from_the_case_page(services, as_role, world):
    manager = as_role("manager")
    html = html_of(manager.get(f"/cases/{world.own_case}"))
    assert f'<option value="{username("social_worker")}">' in html
    response = manager.post(
        f"/tasks/{world.own_task}/reassign",
        data={"assignee": username("social_worker"), "next": f"/cases/{world.own_case}"},
    )
    assert response.headers["Location"] == f"/cases/{world.own_case}"
    assert "Служител social_worker" in html_of(manager.get(f"/cases/{world.own_case}"))


def test_due_dates_say_how_the_pathway_counts_them(as_role, world):
    client = as_role("social_worker")
    html = html_of(client.get(f"/cases/{world.own_case}"))
    assert "24 часа от отварянето на задачата · ЗСУ чл. 77(3)" in html  # the task: PT24H from its opening
    client.post("/language", data={"locale": "en"})
    english = html_of(client.get(f"/cases/{world.own_case}"))
    assert "24 hours from when the task opened · ЗСУ чл. 77(3)" in english
