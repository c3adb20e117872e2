"""The shipped adult pathway through the services: an unperformed review escalates and notifies."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from engine.casework import cases, deadlines
from engine.clock import add_duration
from engine.notify import notifications
from engine.pathways import versions
from engine.people.permissions import Principal
from engine.store.models import Case, CaseTask, Deadline
from tests.conftest import WORKFLOWS
from tests.timer_support import DISPLAY_NAME, intake


def test_overdue_review_gives_case_lead_a_task_and_notifies_the_manager(make_uow, world, forms, clock):
    with make_uow() as uow:
        versions.deploy_shipped_pathway(
            uow, WORKFLOWS, "crisis_centre_adult", forms, world.staff["coordinator"]
        )
        case_id = cases.open_case(uow, world.staff["social_worker"], intake(clock.now())).id
        uow.commit()
    review_ready_at = _work_until_open(make_uow, forms, clock, case_id, "Task_PlanReview")
    with make_uow() as uow:
        overdue = uow.session.scalar(
            select(Deadline).where(Deadline.case_id == case_id, Deadline.element_id == "Timer_ReviewOverdue")
        )
        assert overdue.due_at == add_duration(review_ready_at, "P7D")
        clock.set(overdue.due_at)
    assert deadlines.sweep(make_uow) >= 1
    with make_uow() as uow:
        open_now = uow.session.scalars(
            select(CaseTask).where(CaseTask.case_id == case_id, CaseTask.status == "open")
        ).all()
        # the review stays with its worker; the escalation is a new task for the case lead
        assert {(t.element_id, t.role) for t in open_now} == {
            ("Task_PlanReview", "social_worker"),
            ("Task_ReviewEscalation", "case_lead"),
        }
        manager_id = world.staff["manager"].user_id
        page = notifications.list_for(uow, manager_id)
        number = uow.session.scalar(select(Case.number).where(Case.id == case_id))
        kinds = {item.kind: item.params for item in page.items}
        assert kinds["deadline.fired"]["number"] == number and kinds["escalation.opened"]["number"] == number
        assert DISPLAY_NAME not in str(kinds) and "Тайна" not in str(kinds)


def _work_until_open(make_uow, forms, clock, case_id: int, element_id: str) -> datetime:
    """Do every task on time with its form's defaults, firing deadlines, until ``element_id`` is open;
    when it opened."""
    for _ in range(200):
        with make_uow() as uow:
            open_tasks = uow.session.scalars(
                select(CaseTask)
                .where(CaseTask.case_id == case_id, CaseTask.status == "open")
                .order_by(CaseTask.id)
            ).all()
            wanted = [t for t in open_tasks if t.element_id == element_id]
            if wanted:
                return wanted[0].created_at
            if open_tasks:
                task = open_tasks[0]
                who = Principal(None, "staff", {task.centre_id: task.role})
                cases.complete_task(uow, who, task.public_id, forms.get(task.form_key).defaults(), forms)
                uow.commit()
                continue
            due = min(deadlines.pending_deadlines(uow), key=lambda d: d.due_at)
            clock.set(due.due_at)
        deadlines.sweep(make_uow)
    raise AssertionError(f"{element_id} never opened")
