"""Retention: closed cases pseudonymised after the configured years, the statistics unchanged."""

from __future__ import annotations

import json
import zlib
from dataclasses import replace
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from engine.casework import attachments, cases, notes
from engine.casework.file_store import FilesystemStore
from engine.casework.read.casefile import read_case
from engine.casework.retention import PSEUDONYM, delete_files, run_retention
from engine.pathways import versions
from engine.reports.statistics import read_statistics
from engine.store.models import AuditEvent, Case, CaseAttachment, CaseNote, CaseTask
from tests.documents import png
from tests.engine.conftest import mini_pathway

INTAKE = cases.Intake(
    centre_code="kc-test",
    display_name="Мария Петрова",
    legal_basis="referral",
    target_group="domestic_violence",
    referral_number="ДСП-123",
    birth_date=date(2007, 12, 20),  # 17 at admission on 31 August 2025, 18 on 1 January 2007 would be
    sex="female",
    extra={"dsp_lead_name": "Анна Колева", "dsp_lead_contact": "0888 123 456"},
)
FIVE_YEARS = timedelta(days=5 * 366 + 1)


def opened(make_uow, world, fixture_forms, store, count=6):
    """Cases of one month: a form answered with free text, a note, a document; all closed."""
    manager, worker = world.staff["manager"], world.staff["social_worker"]
    ids = []
    with make_uow() as uow:
        child = mini_pathway("crisis_centre_child")
        versions.deploy(uow, child, fixture_forms, world.staff["coordinator"], "child.bpmn")
        for n in range(count):
            adult = replace(INTAKE, birth_date=date(1990, 1, 1)) if n else INTAKE
            case = cases.open_case(uow, worker, adult)
            task = uow.session.scalars(select(CaseTask).where(CaseTask.case_id == case.id)).one()
            cases.complete_task(
                uow, worker, task.public_id, {"note": "Живее с Иван", "risk": "high"}, fixture_forms
            )
            notes.add_note(uow, worker, case.public_id, notes.NoteInput("contact", "Обади се сестра ѝ Елена"))
            upload = attachments.Upload("other", "справка.png", png())
            attachments.add_attachment(uow, worker, store, 10**7, case.public_id, upload)
            cases.close_case(uow, manager, case.public_id, "напусна")
            ids.append(case.id)
        uow.commit()
    return ids


def statistics(make_uow, world, month="2025-08"):
    with make_uow() as uow:
        return read_statistics(uow, world.staff["manager"], month)


def test_closed_cases_are_pseudonymised_after_the_years_keeping_the_statistics(
    make_uow, world, fixture_forms, clock, tmp_path
):
    store = FilesystemStore(tmp_path)
    ids = opened(make_uow, world, fixture_forms, store)
    before = statistics(make_uow, world)
    assert before.centres[0].tables[2].cells[2].shown == "<5"  # the minor's band, 14-17
    with make_uow() as uow:  # not yet due
        assert run_retention(uow, 5, fixture_forms, dry_run=True).cases == []
    clock.advance(FIVE_YEARS)
    with make_uow() as uow:
        dry = run_retention(uow, 5, fixture_forms, dry_run=True)
        assert len(dry.cases) == 6 and not dry.file_keys
        uow.commit()
        assert uow.session.scalar(select(func.count()).where(Case.pseudonymised_at.is_not(None))) == 0
    with make_uow() as uow:
        run = run_retention(uow, 5, fixture_forms)
        uow.commit()
        assert {c.number for c in run.cases} == {c.number for c in dry.cases}
        assert len(run.file_keys) == 2  # one document and its preview, stored once for six cases
        assert delete_files(uow, store, run.file_keys) == 2
        assert not [path for path in tmp_path.rglob("*") if path.is_file()]
    assert statistics(make_uow, world) == before
    with make_uow() as uow:
        minor = uow.session.get(Case, ids[0])
        assert (minor.display_name, minor.birth_date, minor.birth_year) == (PSEUDONYM, None, 2007)
        assert (minor.age_band, minor.referral_number, minor.sex) == ("14-17", "", "female")
        state = zlib.decompress(minor.workflow_state).decode("utf-8")
        for secret in ("Иван", "Анна Колева", "0888", "ДСП-123"):
            assert secret not in state
        task = uow.session.scalars(select(CaseTask).where(CaseTask.case_id == minor.id)).first()
        assert task.data == {"note": "", "risk": "high"}  # the coded answer stays
        assert uow.session.scalars(select(CaseNote.body).where(CaseNote.case_id.in_(ids))).all() == [""] * 6
        assert uow.session.scalar(select(func.count()).select_from(CaseAttachment)) == 0
        assert "high" in json.dumps(json.loads(state))
        audit = uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "case.pseudonymise")).all()
        assert sorted(entry.case_id for entry in audit) == sorted(ids)
        assert all("Мария" not in json.dumps(entry.detail) + entry.subject for entry in audit)
        casefile = read_case(uow, world.staff["manager"], minor.public_id)  # still opens
        assert casefile.header.display_name == PSEUDONYM and casefile.dsp_lead_name == ""
    with make_uow() as uow:  # idempotent: nothing is due any more
        assert run_retention(uow, 5, fixture_forms).cases == []


def test_a_document_another_case_still_holds_stays_in_the_store(
    make_uow, world, fixture_forms, clock, tmp_path
):
    store = FilesystemStore(tmp_path)
    opened(make_uow, world, fixture_forms, store, count=1)
    clock.advance(FIVE_YEARS)
    with make_uow() as uow:
        other = cases.open_case(uow, world.staff["social_worker"], INTAKE)
        attachments.add_attachment(
            uow,
            world.staff["social_worker"],
            store,
            10**7,
            other.public_id,
            attachments.Upload("other", "a.png", png()),
        )
        run = run_retention(uow, 5, fixture_forms)
        uow.commit()
        assert delete_files(uow, store, run.file_keys) == 0
        assert all(store.exists(key) for key in run.file_keys)


def test_open_cases_and_recent_closures_are_kept(make_uow, world, fixture_forms, clock, tmp_path):
    opened(make_uow, world, fixture_forms, FilesystemStore(tmp_path), count=1)
    with make_uow() as uow:
        cases.open_case(uow, world.staff["social_worker"], INTAKE)
        uow.commit()
    clock.advance(timedelta(days=4 * 366))
    with make_uow() as uow:
        assert run_retention(uow, 5, fixture_forms).cases == []
        assert len(run_retention(uow, 4, fixture_forms).cases) == 1  # the years are a setting
        assert uow.session.scalar(select(func.count()).where(Case.display_name == INTAKE.display_name)) == 1


def test_the_age_band_is_the_one_at_admission():
    from engine.casework.intake_data import band_at_admission

    admitted = datetime.fromisoformat("2025-08-31T10:00:00+03:00")
    assert band_at_admission(date(2007, 12, 20), admitted) == "14-17"
    assert band_at_admission(date(2007, 8, 31), admitted) == "18-29"
    assert band_at_admission(None, admitted) == "not_recorded"
