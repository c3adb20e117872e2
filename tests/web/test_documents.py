"""Outgoing documents through the pages and the API, and the promise that the centre's confidential
address never leaves: every document kind (page and API) and every export (case list CSV and XLSX from
the page and the API, the case's audit CSV) of a demo case is searched for it, and so are the
notifications, the e-mail outbox and every log line written meanwhile.

The demo case (tests/engine/casework/documents_case.py) has the address typed into a form's answer.
"""

from __future__ import annotations

import csv
import io
import logging
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import pypdfium2 as pdfium
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, select
from sqlalchemy.orm import sessionmaker

from engine.casework.documents.kinds import KIND_CODES
from engine.clock import FrozenClock
from engine.config import Settings
from engine.pathways.forms import FormCatalog
from engine.people.permissions import SYSTEM
from engine.people.users import issue_token
from engine.services import Services
from engine.store.models import Notification, OutboxEmail
from tests.conftest import WORKFLOWS
from tests.engine.casework import documents_case as demo
from tests.web.conftest import login, make_app

PASSWORD = "correct horse battery"
SECRETS = (demo.CONFIDENTIAL, "Тайнствена")


@dataclass
class Shared:
    connection: Connection
    services: Services
    world: demo.DocumentsWorld


@pytest.fixture(scope="module")
def shared(db_engine, tmp_path_factory) -> Iterator[Shared]:
    """The demo case is worked once per database; each test runs in a savepoint of its own inside the
    transaction that holds it (the app's commits release savepoints), all rolled back at the end."""
    connection = db_engine.connect()
    outer = connection.begin()
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    settings = Settings(
        database_url="sqlite:///unused",
        secret_key="test-secret-key-for-casepath-web-tests",
        workflows_dir=WORKFLOWS,
        instance_dir=tmp_path_factory.mktemp("documents"),
    )
    clock = FrozenClock(datetime.fromisoformat("2025-08-31T10:00:00+03:00"))
    services = Services(settings, db_engine, factory, FormCatalog(WORKFLOWS / "forms"), clock)
    world = demo.build(services.uow, services.forms, clock)
    yield Shared(connection, services, world)
    outer.rollback()
    connection.close()


@pytest.fixture
def docs_services(shared: Shared) -> Iterator[Services]:
    nested = shared.connection.begin_nested()
    yield shared.services
    nested.rollback()


@pytest.fixture
def docs_app(docs_services: Services) -> Flask:
    return make_app(docs_services)


@pytest.fixture
def docs(shared: Shared, docs_services: Services) -> demo.DocumentsWorld:
    return shared.world


def signed_in(app: Flask, role: str, n: int = 1) -> FlaskClient:
    client = app.test_client()
    login(client, f"kc-docs-{role.replace('_', '-')}-{n}", PASSWORD)
    return client


def pdf_text(data: bytes) -> str:
    document = pdfium.PdfDocument(data)
    try:
        pages = [page.get_textpage().get_text_range() for page in document]
        return "\n".join([*pages, *map(str, document.get_metadata_dict().values())])
    finally:
        document.close()


def assert_pdf_download(response) -> bytes:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    data: bytes = response.get_data()
    assert data.startswith(b"%PDF-")
    return data


def xlsx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "\n".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())


def without_secrets(what: str, text: str) -> None:
    for secret in SECRETS:
        assert secret.casefold() not in text.casefold(), f"the confidential address is in {what}"


def test_a_manager_generates_from_the_page_and_downloads_a_pdf(docs_app, docs):
    manager = signed_in(docs_app, "manager", 2)
    page = manager.get(f"/cases/{docs.case_public_id}").get_data(as_text=True)
    assert 'id="outgoing-heading"' in page and 'name="kind"' in page
    for code in KIND_CODES:
        assert f'<option value="{code}">' in page
    response = manager.post(f"/cases/{docs.case_public_id}/documents", data={"kind": "progress_note"})
    assert response.status_code == 302
    page = manager.get(f"/cases/{docs.case_public_id}").get_data(as_text=True)
    assert "КЦ-2025-0001" in page and "Месечен доклад за напредъка по плана за подкрепа" in page
    link = page.split('href="/documents/')[1].split('"')[0]
    text = pdf_text(assert_pdf_download(manager.get(f"/documents/{link}")))
    assert "КЦ-2025-0001" in text and docs.case_number in text
    # a psychologist reads and downloads it, but is offered no "Generate"
    psychologist = signed_in(docs_app, "psychologist")
    page = psychologist.get(f"/cases/{docs.case_public_id}").get_data(as_text=True)
    assert "КЦ-2025-0001" in page and 'id="document-kind"' not in page
    assert_pdf_download(psychologist.get(f"/documents/{link}"))


def test_the_api_lists_generates_and_serves_documents_and_names_kind_when_refusing(
    docs_app, docs_services, docs
):
    with docs_services.uow() as uow:
        token = issue_token(uow, SYSTEM, "kc-docs-social-worker-2")
        coordinator = issue_token(uow, SYSTEM, "kc-docs-coordinator-1")
        uow.commit()
    api = docs_app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    base = f"/api/v1/cases/{docs.case_public_id}/documents"
    made = api.post(base, json={"kind": "violence_report"}, headers=auth)
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["kind"] == "violence_report" and body["number"] == "КЦ-2025-0001"
    assert set(body) == {"id", "kind", "number", "issued_on", "created_by", "created_at", "size"}
    unknown = api.post(base, json={"kind": "letter"}, headers=auth)
    assert unknown.status_code == 422 and list(unknown.get_json()["fields"]) == ["kind"]
    listed = api.get(base, headers=auth).get_json()["items"]
    assert [item["number"] for item in listed] == ["КЦ-2025-0001"]
    pdf = assert_pdf_download(api.get(f"/api/v1/documents/{body['id']}", headers=auth))
    assert "СИГНАЛ ЗА РАЗКРИТО НАСИЛИЕ НАД ДЕТЕ" in pdf_text(pdf)
    strangers = {"Authorization": f"Bearer {coordinator}"}
    assert api.get(base, headers=strangers).status_code == 404
    assert api.get(f"/api/v1/documents/{body['id']}", headers=strangers).status_code == 404


def test_no_document_export_notification_or_log_line_carries_the_confidential_address(
    docs_app, docs_services, docs, caplog
):
    caplog.set_level(logging.DEBUG)
    manager = signed_in(docs_app, "manager")
    with docs_services.uow() as uow:
        token = issue_token(uow, SYSTEM, "kc-docs-manager-1")
        uow.commit()
    auth = {"Authorization": f"Bearer {token}"}
    for kind in KIND_CODES:
        assert manager.post(f"/cases/{docs.case_public_id}/documents", data={"kind": kind}).status_code == 302
    page = manager.get(f"/cases/{docs.case_public_id}").get_data(as_text=True)
    links = {part.split('"')[0] for part in page.split('href="/documents/')[1:]}
    assert len(links) == len(KIND_CODES)
    for link in links:
        text = pdf_text(assert_pdf_download(manager.get(f"/documents/{link}")))
        assert demo.CORRESPONDENCE in " ".join(text.split())
        without_secrets(f"document {link}", text)
        api_copy = docs_app.test_client().get(f"/api/v1/documents/{link}", headers=auth)
        without_secrets(f"document {link} (API)", pdf_text(assert_pdf_download(api_copy)))
    exports = {
        "case list CSV": manager.get("/cases/export.csv?status=all"),
        "case list XLSX": manager.get("/cases/export.xlsx?status=all"),
        "case list API CSV": docs_app.test_client().get(
            "/api/v1/cases/export?format=csv&status=all", headers=auth
        ),
        "case list API XLSX": docs_app.test_client().get(
            "/api/v1/cases/export?format=xlsx&status=all", headers=auth
        ),
        "audit CSV": manager.get(f"/cases/{docs.case_public_id}/audit.csv"),
        "audit API": docs_app.test_client().get(f"/api/v1/cases/{docs.case_public_id}/audit", headers=auth),
    }
    for what, response in exports.items():
        assert response.status_code == 200, (what, response.get_data()[:200])
        data = response.get_data()
        text = xlsx_text(data) if data.startswith(b"PK") else data.decode("utf-8")
        if what == "case list CSV":
            assert docs.case_number in [row[0] for row in csv.reader(io.StringIO(text.lstrip("\ufeff")))]
        without_secrets(what, text)
    with docs_services.uow() as uow:  # messages are ids and parameters: none may quote the address
        notes = [
            repr((row.kind, row.params, row.text, row.link))
            for row in uow.session.scalars(select(Notification))
        ]
        outbox = [repr((row.status, row.last_error)) for row in uow.session.scalars(select(OutboxEmail))]
    without_secrets("notifications and the e-mail outbox", "\n".join(notes + outbox))
    without_secrets("the log", "\n".join(record.getMessage() for record in caplog.records))


def test_the_administrator_sets_the_letterhead_that_the_documents_print(docs_app, docs):
    admin = signed_in(docs_app, "admin")
    form = {"name": demo.CENTRE_NAME, "capacity": "12", "address": "", "phone": "0888 123 456"}
    refused = admin.post("/admin/centres/kc-docs", data={**form, "correspondence_address": "", "email": "no"})
    assert refused.status_code == 422 and 'id="edit_email-error"' in refused.get_data(as_text=True)
    letterhead = {"correspondence_address": "ул. „Пощенска“ 3, 8600 Ямбол", "email": "kc@yambol.example"}
    assert admin.post("/admin/centres/kc-docs", data={**form, **letterhead}).status_code == 302
    page = admin.get("/admin").get_data(as_text=True)
    assert "ул. „Пощенска“ 3, 8600 Ямбол" in page.replace("&#34;", '"')
    without_secrets("the administrator's page", page)  # the address is never shown to them
    manager = signed_in(docs_app, "manager")
    assert (
        manager.post(f"/cases/{docs.case_public_id}/documents", data={"kind": "final_report"}).status_code
        == 302
    )
    page = manager.get(f"/cases/{docs.case_public_id}").get_data(as_text=True)
    link = page.split('href="/documents/')[1].split('"')[0]
    text = " ".join(pdf_text(assert_pdf_download(manager.get(f"/documents/{link}"))).split())
    assert "ул. „Пощенска“ 3, 8600 Ямбол" in text and "0888 123 456" in text and "kc@yambol.example" in text


def test_a_kind_whose_form_is_not_done_is_refused_with_the_reason_in_the_readers_language(
    docs_app, docs_services
):
    fresh = demo.open_only(docs_services.uow, docs_services.forms, "kc-fresh")
    client = docs_app.test_client()
    login(client, "kc-fresh-social-worker-1", PASSWORD)
    for kind, reason in (
        ("progress_note", "Още няма извършен преглед на плана за подкрепа."),
        ("letter", "Изберете някой от предложените видове."),
    ):
        response = client.post(f"/cases/{fresh.case_public_id}/documents", data={"kind": kind})
        assert response.status_code == 302
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert f"Вид документ: {reason}" in page
        assert 'id="document-kind"' not in page  # nothing to offer yet: the reasons are listed instead
