"""Case notes on the page and in the API: who writes, who reads (therapy notes), edits kept, audit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.people.permissions import SYSTEM
from engine.people.users import create_user
from engine.store.models import AuditEvent, CaseNote, CaseNoteRevision
from tests.web.conftest import PASSWORD, html_of, login, username

READERS = ("social_worker", "psychologist", "educator", "medical", "case_lead", "manager")


@pytest.fixture
def second_staff(services, world):
    """A second psychologist and a second social worker in the own centre."""
    with services.uow() as uow:
        create_user(uow, SYSTEM, "a-psychologist-2", PASSWORD, "kc-test", "psychologist", "Психолог 2")
        create_user(uow, SYSTEM, "a-social-worker-2", PASSWORD, "kc-test", "social_worker", "Социален 2")
        uow.commit()


_ADDRESSES = iter(range(10, 250))


def client_of(app, name):
    """A signed-in client from an address of its own (sign-ins are limited per address)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = f"10.9.0.{next(_ADDRESSES)}"
    login(client, name)
    return client


def write(client, case_id, body, **extra):
    return client.post(f"/cases/{case_id}/notes", data={"kind": "phone_call", "body": body, **extra})


def test_staff_note_is_read_by_every_reader_of_the_centre(app, as_role, world, second_staff):
    assert write(as_role("social_worker"), world.own_case, "Обаждане от ДСП за срещата").status_code == 302
    for name in [username(role) for role in READERS] + ["a-psychologist-2", "a-social-worker-2"]:
        html = html_of(client_of(app, name).get(f"/cases/{world.own_case}"))
        assert "Обаждане от ДСП за срещата" in html, name
        assert "Телефонно обаждане" in html or "Note: phone call" in html
    for role in ("social_worker", "manager", "psychologist"):
        response = as_role(role, own=False).get(f"/cases/{world.own_case}")
        assert response.status_code == 404 and "Обаждане" not in response.get_data(as_text=True)


def test_a_therapy_note_is_read_only_by_the_centres_psychologists(app, as_role, world, second_staff):
    psychologist = as_role("psychologist")
    response = write(psychologist, world.own_case, "Терапевтична сесия: тайно", visibility="psychologist")
    assert response.status_code == 302
    for name in ("a-psychologist", "a-psychologist-2"):
        assert "Терапевтична сесия" in html_of(client_of(app, name).get(f"/cases/{world.own_case}"))
    for role in ("social_worker", "case_lead", "manager", "educator", "medical"):
        html = html_of(as_role(role).get(f"/cases/{world.own_case}"))
        assert "Терапевтична сесия" not in html, role
    html = html_of(client_of(app, "a-social-worker-2").get(f"/cases/{world.own_case}"))
    assert "Терапевтична сесия" not in html
    # nor through the API, nor editable by id
    api = as_role("social_worker")
    body = api.get(f"/api/v1/cases/{world.own_case}/notes").get_json()
    assert all("Терапевтична" not in item["body"] for item in body["items"])
    note_id = (
        client_of(app, "a-psychologist")
        .get(f"/api/v1/cases/{world.own_case}/notes")
        .get_json()["items"][0]["id"]
    )
    assert api.patch(f"/api/v1/cases/{world.own_case}/notes/{note_id}", json={"body": "x"}).status_code == 404


def test_only_a_psychologist_may_write_a_therapy_note(services, as_role, world):
    response = as_role("social_worker").post(
        f"/api/v1/cases/{world.own_case}/notes",
        json={"kind": "contact", "body": "опит", "visibility": "psychologist"},
    )
    assert response.status_code == 422 and "visibility" in response.get_json()["fields"]
    with services.uow() as uow:
        assert uow.session.scalar(select(CaseNote.id)) is None


def test_editing_keeps_the_earlier_text_and_is_audited(services, app, as_role, world, second_staff):
    author = as_role("social_worker")
    created = author.post(
        f"/api/v1/cases/{world.own_case}/notes", json={"kind": "contact", "body": "Първи текст"}
    )
    assert created.status_code == 201, created.get_json()
    note_id = created.get_json()["id"]
    other = client_of(app, "a-social-worker-2")
    refused = other.patch(f"/api/v1/cases/{world.own_case}/notes/{note_id}", json={"body": "чужда"})
    assert refused.status_code == 403
    changed = author.patch(
        f"/api/v1/cases/{world.own_case}/notes/{note_id}", json={"kind": "incident", "body": "Втори текст"}
    )
    assert changed.status_code == 200, changed.get_json()
    body = changed.get_json()
    assert body["body"] == "Втори текст" and body["kind"] == "incident"
    assert [r["body"] for r in body["revisions"]] == ["Първи текст"]
    with services.uow() as uow:
        assert uow.session.scalars(select(CaseNoteRevision.body)).all() == ["Първи текст"]
        actions = uow.session.execute(
            select(AuditEvent.action, AuditEvent.actor, AuditEvent.detail).where(
                AuditEvent.action.like("note.%")
            )
        ).all()
    assert [(a, actor) for a, actor, _ in actions] == [
        ("note.add", username("social_worker")),
        ("note.edit", username("social_worker")),
    ]
    assert all("текст" not in str(detail) for _, _, detail in actions)  # never the note's text
    html = html_of(author.get(f"/cases/{world.own_case}"))
    assert "Втори текст" in html and "Първи текст" in html  # the earlier text, under the note


def test_notes_are_on_the_timeline_at_their_date(as_role, world, clock):
    client = as_role("case_lead")
    when = (clock.now() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    assert write(client, world.own_case, "Среща в центъра", noted_at=when).status_code == 302
    html = html_of(client.get(f"/cases/{world.own_case}"))
    timeline = html.split('id="timeline-heading"')[1]
    assert "Среща в центъра" in timeline


def test_bad_notes_are_refused_naming_the_field(services, as_role, world, clock):
    client = as_role("social_worker")
    cases = [
        ({"kind": "gossip", "body": "x"}, "kind"),
        ({"kind": "contact", "body": "   "}, "body"),
        ({"kind": "contact", "body": "x" * 10_001}, "body"),
        ({"kind": "contact", "body": "x", "noted_at": "2999-01-01T10:00:00+02:00"}, "noted_at"),
        ({"kind": "contact", "body": "x", "task_id": world.other_task}, "task_id"),
    ]
    for payload, field in cases:
        response = client.post(f"/api/v1/cases/{world.own_case}/notes", json=payload)
        assert response.status_code == 422, payload
        assert field in response.get_json()["fields"], (payload, response.get_json())
    page = client.post(f"/cases/{world.own_case}/notes", data={"kind": "contact", "body": ""})
    assert page.status_code == 302
    assert "Задължително" in html_of(client.get(page.headers["Location"]))
    with services.uow() as uow:
        assert uow.session.scalar(select(CaseNote.id)) is None


def test_api_note_reads_are_audited(services, as_role, world):
    client = as_role("educator")
    assert client.get(f"/api/v1/cases/{world.own_case}/notes").status_code == 200
    assert as_role("educator", own=False).get(f"/api/v1/cases/{world.own_case}/notes").status_code == 404
    with services.uow() as uow:
        details = uow.session.scalars(
            select(AuditEvent.detail).where(
                AuditEvent.action == "case.read", AuditEvent.actor == username("educator")
            )
        ).all()
    assert {"view": "notes"} in details
