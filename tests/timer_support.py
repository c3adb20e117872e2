"""Helpers shared by the timer tests: a case waiting in its stay, a review-overdue pathway, clones."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import insert, select

from engine.casework import cases
from engine.clock import FrozenClock
from engine.pathways import versions
from engine.pathways.forms import FormCatalog
from engine.store.models import Case, CaseTask, Deadline, new_public_id
from engine.store.uow import UnitOfWork
from tests.engine.conftest import World, mini_pathway

DISPLAY_NAME = "Мария Петрова"
ADDRESS = "ул. Тайна 1"  # the test centre's confidential address (tests/engine/conftest.py)

# The mini pathway with a review that escalates after P7D: a task for the case lead, and the manager
# and the case lead are notified (the timer's `notify` property).
REVIEW_OVERDUE = {
    '<bpmn:sequenceFlow id="s3" sourceRef="review" targetRef="goals"/>': (
        '<bpmn:sequenceFlow id="s3" sourceRef="review" targetRef="goals"/>'
        '<bpmn:boundaryEvent id="review_overdue" name="Review overdue" attachedToRef="review"'
        ' cancelActivity="false"><bpmn:extensionElements><spiffworkflow:properties>'
        '<spiffworkflow:property name="notify" value="manager, case_lead"/>'
        '<spiffworkflow:property name="name_en" value="Review overdue"/>'
        "</spiffworkflow:properties></bpmn:extensionElements>"
        "<bpmn:timerEventDefinition><bpmn:timeDuration>P7D</bpmn:timeDuration></bpmn:timerEventDefinition>"
        "</bpmn:boundaryEvent>"
        '<bpmn:sequenceFlow id="s_over" sourceRef="review_overdue" targetRef="escalate"/>'
        '<bpmn:userTask id="escalate" name="Review escalation"><bpmn:extensionElements>'
        '<spiffworkflow:properties><spiffworkflow:property name="role" value="case_lead"/>'
        '<spiffworkflow:property name="form" value="note"/></spiffworkflow:properties>'
        "</bpmn:extensionElements></bpmn:userTask>"
        '<bpmn:sequenceFlow id="s_esc" sourceRef="escalate" targetRef="esc_end"/>'
        '<bpmn:endEvent id="esc_end"/>'
    )
}


def intake(admitted_at: datetime | None = None) -> cases.Intake:
    return cases.Intake(
        centre_code="kc-test",
        display_name=DISPLAY_NAME,
        legal_basis="referral",
        target_group="domestic_violence",
        referral_number="ДСП-1",
        admitted_at=admitted_at,
    )


def deploy(
    make_uow: Callable[[], UnitOfWork], world: World, forms: FormCatalog, replace: dict[str, str]
) -> None:
    with make_uow() as uow:
        versions.deploy(uow, mini_pathway(replace=replace), forms, world.staff["coordinator"], "variant.bpmn")
        uow.commit()


def open_in_stay(
    make_uow: Callable[[], UnitOfWork], world: World, forms: FormCatalog, clock: FrozenClock
) -> tuple[int, str]:
    """A case opened now and past its first task, so its stay's timers are deadline rows: (id, public_id)."""
    with make_uow() as uow:
        case = cases.open_case(uow, world.staff["social_worker"], intake(clock.now()))
        uow.commit()
        case_id, public_id = case.id, case.public_id
    with make_uow() as uow:
        task = uow.session.scalar(
            select(CaseTask).where(CaseTask.case_id == case_id, CaseTask.status == "open")
        )
        cases.complete_task(
            uow, world.staff["social_worker"], task.public_id, {"note": "x", "risk": "low"}, forms
        )
        uow.commit()
    return case_id, public_id


def open_task_names(uow: UnitOfWork, case_id: int) -> list[str]:
    query = select(CaseTask.name).where(CaseTask.case_id == case_id, CaseTask.status == "open")
    return sorted(uow.session.scalars(query))


def clone_case(uow: UnitOfWork, case_id: int, copies: int, prefix: str = "CLONE") -> list[int]:
    """``copies`` new cases in the same workflow state with the same pending deadlines (core inserts)."""
    case = uow.session.get(Case, case_id)
    assert case is not None
    pending = list(
        uow.session.scalars(select(Deadline).where(Deadline.case_id == case_id, Deadline.status == "pending"))
    )
    columns = [c.key for c in Case.__table__.columns if c.key not in {"id", "public_id", "number"}]
    base = {key: getattr(case, key) for key in columns}
    new_ids = []
    for index in range(copies):
        row = {**base, "public_id": new_public_id(), "number": f"{prefix}-{index:05d}"}
        new_ids.append(uow.session.execute(insert(Case).values(row).returning(Case.id)).scalar_one())
    uow.session.execute(
        insert(Deadline),
        [
            {
                "case_id": new_id,
                "element_id": d.element_id,
                "kind": d.kind,
                "due_at": d.due_at,
                "legal_source": d.legal_source,
                "status": "pending",
                "created_at": d.created_at,
            }
            for new_id in new_ids
            for d in pending
        ],
    )
    return new_ids
