"""The shipped child pathway waits for the court's decision on an appealed order: a real use of a
message, run through the real services from intake to the delivered decision."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from engine.casework import cases, deadlines
from engine.casework.messages import awaited_messages, deliver_message
from engine.clock import local_date
from engine.config import PROJECT_ROOT
from engine.errors import ConcurrencyConflict
from engine.pathways import versions
from engine.people.permissions import SYSTEM
from engine.people.users import create_user, principal_for
from engine.store.models import Case, CaseTask


def test_an_appealed_order_waits_for_the_court_and_the_case_lead_records_it(make_uow, world, forms, clock):
    with make_uow() as uow:
        versions.deploy_shipped_pathway(
            uow, PROJECT_ROOT / "workflows", "crisis_centre_child", forms, world.staff["coordinator"]
        )
        people = dict(world.staff)
        for role in ("medical", "educator"):
            people[role] = principal_for(
                create_user(uow, SYSTEM, f"t-{role}", "correct horse battery", "kc-test", role)
            )
        admitted = clock.now() - timedelta(days=15)
        intake = cases.Intake(
            centre_code="kc-test", display_name="Иван П.", legal_basis="order", target_group="child_at_risk",
            birth_date=date(2014, 3, 1), referral_number="ОЗД-77", referral_date=local_date(admitted),
            admitted_at=admitted,
        )  # fmt: skip
        case = cases.open_case(uow, people["social_worker"], intake)
        uow.commit()
        case_id, public_id = case.id, case.public_id
    # the first work of the stay, done with the forms' defaults, until the 14-day appeal window has passed
    # and the sweep opens the appeal check
    clock.set(clock.now() + timedelta(days=15))  # the handover's order date starts the window
    for _ in range(20):
        deadlines.sweep(make_uow)
        with make_uow() as uow:
            task = uow.session.scalar(
                select(CaseTask)
                .where(CaseTask.case_id == case_id, CaseTask.status == "open")
                .order_by(CaseTask.id)
            )
            assert task is not None
            appeal = task.element_id == "Task_AppealCheck"
            data = {**forms.get(task.form_key).defaults(), **(task.draft or {})}
            if appeal:
                data.update({"appeal_filed": True, "court_case": "гр.д. 123/2026"})
            cases.complete_task(uow, people[task.role], task.public_id, data, forms)
            uow.commit()
        if appeal:
            break
    with make_uow() as uow:
        [awaited] = awaited_messages(uow, uow.session.get_one(Case, case_id))
    assert (awaited.name, awaited.roles, awaited.form_key) == (
        "court_decision",
        ("case_lead", "manager"),
        "court_decision",
    )
    decision = {"outcome": "placement_upheld", "decided_on": local_date(clock.now()).isoformat()}
    with make_uow() as uow:
        deliver_message(uow, people["case_lead"], public_id, "court_decision", decision, forms)
        uow.commit()
    with make_uow() as uow:
        assert awaited_messages(uow, uow.session.get_one(Case, case_id)) == []
        assert uow.session.get_one(Case, case_id).status == "open"  # the stay goes on
    with pytest.raises(ConcurrencyConflict), make_uow() as uow:
        deliver_message(uow, people["manager"], public_id, "court_decision", decision, forms)
