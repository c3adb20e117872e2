"""Outgoing documents on the shipped adult pathway, on SQLite and PostgreSQL: each kind made from its
completed form as a PDF whose text (read back with pypdfium2) carries the case number, the outgoing
number, the centre's name and correct Cyrillic, and never the centre's confidential address; numbers
per centre and year; who may generate, list and download (two users per role, another centre); and
the audit of every generation and download."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

import pypdfium2 as pdfium
import pytest
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session, sessionmaker

from engine.casework.documents import service
from engine.casework.documents.compose import WITHHELD
from engine.casework.documents.kinds import KIND_CODES
from engine.casework.file_store import FilesystemStore
from engine.clock import FrozenClock
from engine.errors import NotFound, PermissionDenied, ValidationFailed
from engine.store.models import AuditEvent, Case, CaseDocument
from engine.store.uow import UnitOfWork
from tests.engine.casework import documents_case as demo


def pdf_text(data: bytes) -> str:
    document = pdfium.PdfDocument(data)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def flat(text: str) -> str:
    """PDF text with its line breaks and no-break spaces as plain spaces (a line may wrap anywhere)."""
    return " ".join(text.replace("\u00a0", " ").split())


@dataclass
class Shared:
    connection: Connection
    factory: sessionmaker[Session]
    clock: FrozenClock
    world: demo.DocumentsWorld


@pytest.fixture(scope="module")
def shared(db_engine, forms) -> Iterator[Shared]:
    """The demo case is worked once per database (a few seconds); each test runs in a savepoint of its
    own inside the transaction that holds it, and everything is rolled back at the end."""
    connection = db_engine.connect()
    outer = connection.begin()
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    clock = FrozenClock(datetime.fromisoformat("2025-08-31T10:00:00+03:00"))
    world = demo.build(lambda: UnitOfWork(factory, clock), forms, clock)
    yield Shared(connection, factory, clock, world)
    outer.rollback()
    connection.close()


@pytest.fixture
def clock(shared: Shared) -> Iterator[FrozenClock]:
    now = shared.clock.now()
    yield shared.clock
    shared.clock.set(now)


@pytest.fixture
def make_uow(shared: Shared, clock: FrozenClock) -> Iterator[Callable[[], UnitOfWork]]:
    nested = shared.connection.begin_nested()
    yield lambda: UnitOfWork(shared.factory, clock)
    nested.rollback()


@pytest.fixture
def docs(shared: Shared) -> demo.DocumentsWorld:
    return shared.world


@pytest.fixture
def store(tmp_path):
    return FilesystemStore(tmp_path / "files")


def test_each_kind_is_a_pdf_with_its_numbers_the_letterhead_and_cyrillic_never_the_address(
    make_uow, forms, docs, store
):
    writer = docs.staff[("social_worker", 2)]
    expected = {
        "progress_note": [
            "ДОКЛАД ЗА НАПРЕДЪКА",
            "Лицето посещава консултации; жилище е намерено.",
            "Безопасно",
        ],
        "final_report": ["ОКОНЧАТЕЛЕН ДОКЛАД", "лицето живее самостоятелно", "Трудов договор"],
        "urgent_admission_notice": [
            "УВЕДОМЛЕНИЕ ЗА СПЕШНО НАСТАНЯВАНЕ",
            "чл. 77, ал. 3",
            "придружено от полицията",
        ],
        "violence_report": ["СИГНАЛ ЗА РАЗКРИТО НАСИЛИЕ НАД ДЕТЕ", "чл. 7 от Закона за закрила на детето"],
    }
    with make_uow() as uow:
        made = [service.generate(uow, writer, store, forms, docs.case_public_id, kind) for kind in KIND_CODES]
        uow.commit()
    assert [doc.number for doc in made] == [f"КЦ-2025-{n:04d}" for n in range(1, 5)]
    for doc in made:
        data = store.get(doc.sha256)
        assert data.startswith(b"%PDF-") and len(data) == doc.size
        text = flat(pdf_text(data))
        for phrase in [
            docs.case_number,
            doc.number,
            demo.CENTRE_NAME,
            demo.CORRESPONDENCE,
            demo.PERSON,
            "Дирекция „Социално подпомагане“",
            "01.04.1990 г.",
            *expected[doc.kind],
        ]:
            assert phrase in text, (doc.kind, phrase)
        assert "Тайнствена" not in text and demo.CONFIDENTIAL not in text
        assert "\ufffd" not in text  # no glyph lost on the way
    progress = flat(pdf_text(store.get(made[0].sha256)))
    assert f"Срещите се провеждат на {WITHHELD} всяка сряда." in progress  # typed in the note: withheld
    assert "Петя Петрова" in progress  # the ДСП lead social worker, from the intake


def test_every_generation_and_download_is_audited_without_the_text(make_uow, forms, docs, store):
    lead, reader = docs.staff[("case_lead", 1)], docs.staff[("psychologist", 2)]
    with make_uow() as uow:
        doc = service.generate(uow, lead, store, forms, docs.case_public_id, "progress_note")
        found = service.download(uow, reader, store, doc.public_id)
        uow.commit()
    assert found.media_type == "application/pdf" and found.title == f"{doc.number}.pdf"
    with make_uow() as uow:
        events = [
            (e.action, e.actor, e.subject, e.detail)
            for e in uow.session.scalars(
                select(AuditEvent).where(AuditEvent.action.like("document.%")).order_by(AuditEvent.id)
            )
        ]
    assert [event[:3] for event in events] == [
        ("document.generate", "kc-docs-case-lead-1", docs.case_number),
        ("document.download", "kc-docs-psychologist-2", docs.case_number),
    ]
    assert events[0][3] == {
        "document": doc.public_id,
        "kind": "progress_note",
        "number": doc.number,
        "size": doc.size,
        "address_withheld": 1,
    }
    assert "Срещите" not in str(events[1][3])


def test_the_cases_social_workers_case_leads_and_managers_generate(make_uow, forms, docs, store):
    allowed = {"social_worker", "case_lead", "manager"}
    for role in ("social_worker", "case_lead", "manager", "psychologist", "educator"):
        for n in (1, 2):
            with make_uow() as uow:
                who = docs.staff[(role, n)]
                if role in allowed:
                    service.generate(uow, who, store, forms, docs.case_public_id, "urgent_admission_notice")
                else:
                    with pytest.raises(PermissionDenied):
                        service.generate(uow, who, store, forms, docs.case_public_id, "violence_report")
                listed = service.read_documents(uow, who, docs.case_public_id)  # every reader lists them
                assert len(listed) == (1 if role in allowed else 0), (role, n)
                uow.session.rollback()


def test_for_coordinators_administrators_and_other_centres_the_documents_do_not_exist(
    make_uow, forms, docs, store
):
    with make_uow() as uow:
        doc = service.generate(
            uow, docs.staff[("manager", 1)], store, forms, docs.case_public_id, "final_report"
        )
        uow.commit()
    strangers = [docs.staff[("coordinator", 1)], docs.staff[("coordinator", 2)], docs.staff[("admin", 1)]]
    for who in [*strangers, docs.outsider]:
        with make_uow() as uow:
            with pytest.raises(NotFound):
                service.generate(uow, who, store, forms, docs.case_public_id, "final_report")
            with pytest.raises(NotFound):
                service.read_documents(uow, who, docs.case_public_id)
            with pytest.raises(NotFound):
                service.download(uow, who, store, doc.public_id)


def test_an_unknown_kind_or_a_form_not_yet_completed_is_refused_naming_kind(make_uow, forms, store):
    world = demo.open_only(make_uow, forms, "kc-new")
    worker = world.staff[("social_worker", 1)]
    with make_uow() as uow:
        with pytest.raises(ValidationFailed) as unknown:
            service.generate(uow, worker, store, forms, world.case_public_id, "letter_to_santa")
        assert list(unknown.value.fields) == ["kind"]
        with pytest.raises(ValidationFailed) as missing:
            service.generate(uow, worker, store, forms, world.case_public_id, "final_report")
        assert missing.value.fields == {"kind": ["The final report form has not been completed yet."]}
        case = uow.session.scalar(select(Case).where(Case.public_id == world.case_public_id))
        offered = {choice.code: choice.available for choice in service.choices(uow, case)}
        assert offered == {
            "progress_note": False,
            "final_report": False,
            "urgent_admission_notice": False,
            "violence_report": False,
        }
        assert uow.session.scalar(select(CaseDocument.id).where(CaseDocument.case_id == case.id)) is None


def test_numbers_run_per_centre_and_year(make_uow, forms, clock, docs, store):
    manager = docs.staff[("manager", 1)]
    with make_uow() as uow:
        first = service.generate(uow, manager, store, forms, docs.case_public_id, "progress_note").number
        clock.set(clock.now().replace(year=clock.now().year + 1, month=1, day=5))
        second = service.generate(uow, manager, store, forms, docs.case_public_id, "progress_note").number
    assert first.startswith("КЦ-2025-") and second == "КЦ-2026-0001"
