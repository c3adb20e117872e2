"""A person's data: everything held (never the centre's address) and who viewed the file, both audited."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select

from engine.casework import cases, notes
from engine.casework.read.casefile import read_case
from engine.casework.read.subject import REDACTED, export_subject, who_viewed_file
from engine.errors import NotFound, PermissionDenied
from engine.people.permissions import SYSTEM
from engine.people.users import create_user, principal_for
from engine.store.models import AuditEvent, Case, CaseDocument, CaseTask

ADDRESS = "ул. Тайна 1"  # the test centre's confidential address (tests/engine/conftest.py)
INTAKE = cases.Intake(
    centre_code="kc-test",
    display_name="Мария Петрова",
    legal_basis="referral",
    target_group="domestic_violence",
    referral_number="ДСП-123",
    birth_date=date(1990, 3, 4),
    sex="female",
)


@pytest.fixture
def person(make_uow, world, fixture_forms):
    """Two cases of one person, one of a namesake with no birth date, one of another centre."""
    worker = world.staff["social_worker"]
    with make_uow() as uow:
        first = cases.open_case(uow, worker, INTAKE)
        task = uow.session.scalars(select(CaseTask).where(CaseTask.case_id == first.id)).one()
        answers = {"note": f"Избяга от {ADDRESS.upper()}", "risk": "high"}
        cases.complete_task(uow, worker, task.public_id, answers, fixture_forms)
        notes.add_note(uow, worker, first.public_id, notes.NoteInput("contact", f"Заведена до {ADDRESS}"))
        psychologist = world.staff["psychologist"]
        therapy = notes.NoteInput("other", "терапия", visibility="psychologist")
        notes.add_note(uow, psychologist, first.public_id, therapy)
        second = cases.open_case(uow, worker, replace(INTAKE, display_name="  мария  петрова "))
        namesake = cases.open_case(uow, worker, replace(INTAKE, birth_date=None))
        manager2 = create_user(uow, SYSTEM, "t-manager-2", "correct horse battery", "kc-test", "manager")
        uow.commit()
        return first.public_id, second.number, namesake.number, principal_for(manager2)


def test_everything_held_about_a_person_without_the_centre_s_address(make_uow, world, person):
    first, second_number, namesake_number, _ = person
    with make_uow() as uow:  # an outgoing document of the case, as documents.generate stores one
        case = uow.session.scalar(select(Case).where(Case.public_id == first))
        uow.session.add(
            CaseDocument(
                case_id=case.id, centre_id=case.centre_id, kind="progress_note", number="КЦ-2026-0007",
                issued_on=date(2026, 9, 30), sha256="0" * 64, size=1, created_at=uow.clock.now(),
            )
        )  # fmt: skip
        uow.commit()
    with make_uow() as uow:
        exported = export_subject(uow, world.staff["manager"], first, "json")
        uow.commit()
    text = json.dumps(exported, ensure_ascii=False)
    assert ADDRESS.casefold() not in text.casefold() and REDACTED in text
    numbers = [case["number"] for case in exported["cases"]]
    assert numbers[1:] == [second_number] and namesake_number not in numbers
    case = exported["cases"][0]
    assert exported["person"] == {"name": "Мария Петрова", "birth_date": "1990-03-04", "sex": "female"}
    assert case["forms"][0]["answers"]["risk"] == "high"
    assert [note["text"] for note in case["notes"]] == [f"Заведена до {REDACTED}"]
    assert case["therapy_notes_withheld"] == 1 and "терапия" not in text
    assert case["referral_number"] == "ДСП-123" and case["admitted_at"].startswith("2025-08-31T")
    assert {entry["action"] for entry in case["timeline"]} >= {"case.open", "task.complete"}
    assert case["documents"] == [
        {"kind": "progress_note", "number": "КЦ-2026-0007", "issued_on": "2026-09-30", "by": ""}
    ]
    with make_uow() as uow:
        exports = select(AuditEvent).where(AuditEvent.action == "case.subject_export")
        audit = uow.session.scalars(exports).all()
        assert len(audit) == 2 and all(entry.detail == {"format": "json", "cases": 2} for entry in audit)


def test_who_viewed_the_file(make_uow, world, person):
    first, _, _, manager2 = person
    with make_uow() as uow:
        read_case(uow, world.staff["psychologist"], first)
        viewers = who_viewed_file(uow, manager2, first, "page")
        uow.commit()
    assert [(v.actor, v.action) for v in viewers] == [("t-psychologist", "case.read")]
    with make_uow() as uow:
        again = who_viewed_file(uow, world.staff["manager"], first, "pdf")
    assert [v.actor for v in again][:1] == ["t-manager-2"] and again[0].action == "case.viewers_report"


def test_only_the_centre_s_managers_answer_a_person_s_request(make_uow, world, person):
    first, *_ = person
    with make_uow() as uow:
        for role in ("social_worker", "psychologist", "case_lead"):
            with pytest.raises(PermissionDenied):
                export_subject(uow, world.staff[role], first, "json")
            with pytest.raises(PermissionDenied):
                who_viewed_file(uow, world.staff[role], first, "page")
        for stranger in (world.outsider, world.staff["admin"], world.staff["coordinator"]):
            with pytest.raises((NotFound, PermissionDenied)):
                export_subject(uow, stranger, first, "json")
