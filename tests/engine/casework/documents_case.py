"""A demo case for the documents' tests: an urgent admission to the shipped adult crisis-centre
pathway, worked the way the demo loader works its cases (tasks done with their forms' defaults,
deadlines fired as they fall due) until its final report, with a violence disclosure on the way.

The centre's confidential address is typed into some answers on purpose: the documents must withhold it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from engine.casework import cases, deadlines
from engine.casework.read.casefile import case_progress
from engine.clock import FrozenClock
from engine.config import PROJECT_ROOT
from engine.pathways import versions
from engine.pathways.forms import FormCatalog
from engine.people.centres import ensure_centre
from engine.people.permissions import SYSTEM, Principal
from engine.people.users import create_user, principal_for
from engine.store.models import Case, CaseTask, Centre, Deadline
from engine.store.uow import UnitOfWork

PATHWAY = PROJECT_ROOT / "workflows" / "pathways" / "crisis_centre_adult" / "crisis_centre_adult.bpmn"
CONFIDENTIAL = "ул. „Тайнствена“ 17, Ямбол"
CORRESPONDENCE = "п.к. 15, 8600 Ямбол"
CENTRE_NAME = "Кризисен център „Надежда“"
PERSON = "Мария Иванова"
ROLES = ("social_worker", "case_lead", "manager", "psychologist", "educator", "coordinator", "admin")
ANSWERS: dict[str, dict[str, Any]] = {
    "plan_review": {
        "goals_met": True,
        "progress": "Лицето посещава консултации; жилище е намерено.",
        "progress_note": f"Срещите се провеждат на {CONFIDENTIAL} всяка сряда.",
    },
    "authority_notification": {
        "content": "Лицето пристигна през нощта, придружено от полицията; нуждае се от закрила.",
        "notified_on": "2025-09-01",
        "recipients": ["ДСП Ямбол – водещ социален работник"],
    },
    "final_report": {
        "summary": "Престоят приключи с постигнати цели; лицето живее самостоятелно.",
        "outcomes": "Трудов договор; детето е записано в училище.",
    },
}


@dataclass
class DocumentsWorld:
    centre_id: int
    staff: dict[tuple[str, int], Principal]  # (role, n) of the case's centre
    outsider: Principal  # a manager of another centre
    case_public_id: str
    case_number: str


def build(make_uow: Callable[[], UnitOfWork], forms: FormCatalog, clock: FrozenClock) -> DocumentsWorld:
    """The demo case worked until its final report."""
    world = open_only(make_uow, forms)
    _work(make_uow, forms, clock, world)
    return world


def open_only(
    make_uow: Callable[[], UnitOfWork], forms: FormCatalog, code: str = "kc-docs"
) -> DocumentsWorld:
    """The demo case just opened: nothing done yet (``code``: its centre's, another for a second world)."""
    with make_uow() as uow:
        centre = ensure_centre(uow, SYSTEM, code, CENTRE_NAME, "crisis_centre", 12, CONFIDENTIAL)
        centre.correspondence_address = CORRESPONDENCE
        centre.phone = "046 000 000"
        centre.email = "kc@example.org"
        ensure_centre(uow, SYSTEM, f"{code}-else", "КЦ Друг", "crisis_centre", 10, "ул. Друга 2")
        staff = {
            (role, n): principal_for(
                create_user(uow, SYSTEM, f"{code}-{role}-{n}".replace("_", "-"), "correct horse battery",
                            code, role, f"Служител {role} {n}")
            )
            for role in ROLES
            for n in (1, 2)
        }  # fmt: skip
        outsider = principal_for(
            create_user(
                uow, SYSTEM, f"{code}-else-manager", "correct horse battery", f"{code}-else", "manager"
            )
        )
        if code == "kc-docs":
            versions.deploy_shipped_pathway(uow, PATHWAY.parents[2], "crisis_centre_adult", forms, SYSTEM)
        intake = cases.Intake(
            centre_code=code,
            display_name=PERSON,
            legal_basis="urgent",
            target_group="domestic_violence",
            birth_date=date(1990, 4, 1),
            sex="female",
            extra={"dsp_lead_name": "Петя Петрова", "dsp_lead_contact": "ДСП Ямбол"},
        )
        case = cases.open_case(uow, staff[("social_worker", 1)], intake)
        uow.commit()
        return DocumentsWorld(centre.id, staff, outsider, case.public_id, case.number)


def _work(
    make_uow: Callable[[], UnitOfWork], forms: FormCatalog, clock: FrozenClock, world: DocumentsWorld
) -> None:
    signalled = False
    for _ in range(300):
        with make_uow() as uow:
            case = uow.session.scalar(select(Case).where(Case.public_id == world.case_public_id))
            assert case is not None
            if _final_report_done(uow, case.id):
                return
            task = uow.session.scalar(
                select(CaseTask)
                .where(CaseTask.case_id == case.id, CaseTask.status == "open")
                .order_by(CaseTask.created_at, CaseTask.id)
            )
            if not signalled and "violence_disclosed" in case_progress(uow, case).signals:
                worker = world.staff[("social_worker", 1)]
                cases.signal_case(uow, worker, case.public_id, "violence_disclosed")
                signalled = True
            elif task is not None:
                clock.set(clock.now() + timedelta(hours=2))
                data = {**forms.get(task.form_key).defaults(), **ANSWERS.get(task.form_key, {})}
                data.update({name: True for name in forms.get(task.form_key).required_when()})
                cases.complete_task(uow, world.staff[(task.role, 1)], task.public_id, data, forms)
            else:
                deadline = uow.session.scalar(
                    select(Deadline)
                    .where(Deadline.case_id == case.id, Deadline.status == "pending")
                    .order_by(Deadline.due_at)
                )
                assert deadline is not None, "the case waits for nothing before its final report"
                clock.set(max(clock.now(), deadline.due_at))
                deadlines.fire_deadline(uow, deadline.id)
            uow.commit()
    raise AssertionError("the demo case never reached its final report")


def _final_report_done(uow: UnitOfWork, case_id: int) -> bool:
    done = uow.session.scalar(
        select(CaseTask.id).where(
            CaseTask.case_id == case_id, CaseTask.form_key == "final_report", CaseTask.status == "completed"
        )
    )
    return done is not None


def centre_of(uow: UnitOfWork, world: DocumentsWorld) -> Centre:
    centre = uow.session.get(Centre, world.centre_id)
    assert centre is not None
    return centre
