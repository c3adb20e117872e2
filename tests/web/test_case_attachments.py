"""Documents attached to a case: upload checks by content, who may download, safe headers, audit."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from engine.store.models import AuditEvent, CaseAttachment
from tests import documents
from tests.web.conftest import html_of, username

_ADDRESSES = iter(range(10, 10_000))


def signed(as_role, role, own=True):
    """A signed-in client from an address of its own (sign-ins are limited per address)."""
    n = next(_ADDRESSES)
    return as_role(role, own, ip=f"10.7.{n // 250}.{n % 250}")


READERS = ("social_worker", "psychologist", "educator", "medical", "case_lead", "manager")


def upload(client, case_id, data, filename, kind="referral", api=False):
    path = f"/api/v1/cases/{case_id}/attachments" if api else f"/cases/{case_id}/attachments"
    return client.post(
        path,
        data={"kind": kind, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def stored(services):
    with services.uow() as uow:
        columns = (CaseAttachment.public_id, CaseAttachment.sha256, CaseAttachment.preview_sha256)
        return uow.session.execute(select(*columns)).all()


def test_a_referral_pdf_is_attached_listed_and_downloaded_safely(services, as_role, world, tmp_path):
    client = signed(as_role, "social_worker")
    referral = documents.pdf()
    response = upload(client, world.own_case, referral, "направление ДСП.pdf", api=True)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["media_type"] == "application/pdf" and body["has_preview"] is True
    assert body["title"] == "направление ДСП.pdf"
    [row] = stored(services)
    files = [p for p in (tmp_path / "attachments").rglob("*") if p.is_file()]
    assert sorted(p.name for p in files) == sorted([row.sha256, row.preview_sha256])  # never the user's name
    for role in READERS:
        reader = signed(as_role, role)
        listed = reader.get(f"/api/v1/cases/{world.own_case}/attachments").get_json()["items"]
        assert [item["id"] for item in listed] == [row.public_id]
        download = reader.get(f"/api/v1/attachments/{row.public_id}")
        assert download.status_code == 200 and download.data == referral
        assert download.headers["Content-Type"] == "application/pdf"
        assert download.headers["Content-Disposition"].startswith("attachment;")
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in download.headers["Content-Security-Policy"]
    page = html_of(client.get(f"/cases/{world.own_case}"))
    assert "направление ДСП.pdf" in page and f"/attachments/{row.public_id}/preview" in page
    preview = client.get(f"/attachments/{row.public_id}/preview")
    assert preview.status_code == 200 and preview.data.startswith(b"\x89PNG")


def test_another_centres_staff_and_non_readers_get_not_found(services, as_role, world):
    upload(signed(as_role, "social_worker"), world.own_case, documents.png(), "снимка.png")
    [row] = stored(services)
    for role in (*READERS, "coordinator", "admin"):
        client = signed(as_role, role, own=False)
        for path in (
            f"/attachments/{row.public_id}",
            f"/api/v1/attachments/{row.public_id}",
            f"/attachments/{row.public_id}/preview",
            f"/api/v1/cases/{world.own_case}/attachments",
        ):
            assert client.get(path).status_code == 404, (role, path)
        response = upload(client, world.own_case, documents.pdf(), "x.pdf", api=True)
        assert response.status_code == 404
    for role in ("coordinator", "admin"):  # of the own centre, but they do not read cases
        assert signed(as_role, role).get(f"/api/v1/attachments/{row.public_id}").status_code == 404
    assert len(stored(services)) == 1


@pytest.mark.parametrize(
    ("data", "filename", "status", "code"),
    [
        (documents.HTML_AS_PDF, "направление.pdf", 400, "file_refused"),
        (documents.SVG, "logo.svg", 400, "file_refused"),
        (documents.SVG, "logo.png", 400, "file_refused"),
        (documents.SCRIPT, "run.docx", 400, "file_refused"),
        (documents.zip_bomb_docx(), "решение.docx", 400, "file_refused"),
        (documents.pdf() + bytes(2 * 1024 * 1024), "big.pdf", 413, "too_large"),
    ],
    ids=["html-as-pdf", "svg", "svg-as-png", "script", "zip-bomb-docx", "oversized"],
)
def test_hostile_uploads_are_refused_naming_the_field(services, as_role, world, data, filename, status, code):
    services.settings = services.settings.with_(attachment_max_mb=1)
    response = upload(signed(as_role, "case_lead"), world.own_case, data, filename, api=True)
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert body["error"] == code and list(body["fields"]) == ["file"]
    assert stored(services) == []


def test_a_body_over_the_request_limit_is_413_naming_the_field(services, as_role, world):
    services.settings = services.settings.with_(attachment_max_mb=1)
    response = upload(
        signed(as_role, "social_worker"), world.own_case, bytes(3 * 1024 * 1024), "big.pdf", api=True
    )
    assert response.status_code == 413 and list(response.get_json()["fields"]) == ["file"]


def test_the_page_says_what_was_wrong_with_the_file(services, as_role, world):
    client = signed(as_role, "social_worker")
    response = upload(client, world.own_case, documents.SVG, "logo.pdf")
    assert response.status_code == 302
    html = html_of(client.get(response.headers["Location"]))
    assert "Файл: Приемат се само документи PDF, PNG, JPEG, DOCX, XLSX и ODT." in html
    missing = client.post(f"/cases/{world.own_case}/attachments", data={"kind": "referral"})
    assert "Файл: Задължително." in html_of(client.get(missing.headers["Location"]))


def test_office_documents_and_images_are_accepted(services, as_role, world):
    client = signed(as_role, "medical")
    for data, name, media_type in (
        (documents.docx(), "доклад.docx", "wordprocessingml"),
        (documents.xlsx(), "таблица.xlsx", "spreadsheetml"),
        (documents.odt(), "писмо.odt", "opendocument.text"),
        (documents.jpeg(), "снимка.jpeg", "image/jpeg"),
    ):
        response = upload(client, world.own_case, data, name, kind="medical_report", api=True)
        assert response.status_code == 201, (name, response.get_json())
        assert media_type in response.get_json()["media_type"]


def test_the_stored_name_is_plain_and_has_the_true_extension(services, as_role, world):
    response = upload(
        signed(as_role, "social_worker"), world.own_case, documents.png(), "../../etc/<x>.pdf", api=True
    )
    assert response.get_json()["title"] == "_x_.png"


def test_uploads_reads_and_downloads_are_audited(services, as_role, world):
    client = signed(as_role, "social_worker")
    upload(client, world.own_case, documents.pdf(), "направление.pdf")
    [row] = stored(services)
    signed(as_role, "manager").get(f"/attachments/{row.public_id}")
    client.get(f"/api/v1/cases/{world.own_case}/attachments")
    with services.uow() as uow:
        events = uow.session.execute(
            select(AuditEvent.action, AuditEvent.actor, AuditEvent.detail).where(
                AuditEvent.action.in_(("attachment.add", "attachment.download", "case.read"))
            )
        ).all()
    assert ("attachment.add", username("social_worker")) in [(a, b) for a, b, _ in events]
    assert ("attachment.download", username("manager")) in [(a, b) for a, b, _ in events]
    assert ("case.read", username("social_worker"), {"view": "attachments"}) in events
    assert all("направление" not in str(detail) for _, _, detail in events)  # never the file's name


def test_a_document_larger_than_other_requests_may_be_is_accepted_up_to_its_own_limit(
    services, as_role, world
):
    """The app refuses bodies over 5 MB; a document may be up to CASEPATH_UPLOAD_MAX_MB (20 by default)."""
    assert services.settings.attachment_max_mb == 20
    big = documents.png((3000, 3000))  # a real image …
    big += bytes(7 * 1024 * 1024)  # … with 7 MB after its end, which PNG readers ignore
    response = upload(signed(as_role, "social_worker"), world.own_case, big, "скан.png", api=True)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["size"] == len(big)
    page = upload(signed(as_role, "social_worker"), world.own_case, bytes(21 * 1024 * 1024), "x.pdf")
    assert page.status_code == 413
