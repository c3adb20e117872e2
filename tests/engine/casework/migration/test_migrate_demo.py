"""§5 of issue 13: the demo's open adult cases moved from the shipped version to a six-weekly one, and
back."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engine.casework.drafts import save_draft
from engine.casework.inbox.assignment import claim
from engine.casework.inbox.listing import InboxFilters, list_inbox
from engine.casework.migration import batch as batches
from engine.casework.migration.revert import revert
from engine.clock import add_duration
from engine.pathways import versions
from engine.store.models import AuditEvent, Case, CaseTask, Deadline, MigrationBatch
from tests.engine.casework.migration.conftest import six_weekly


def _rows(uow: Any, case_id: int) -> tuple[Any, ...]:
    case = uow.session.get(Case, case_id)
    uow.session.refresh(case)
    tasks = uow.session.scalars(select(CaseTask).where(CaseTask.case_id == case_id).order_by(CaseTask.id))
    deadlines = uow.session.scalars(select(Deadline).where(Deadline.case_id == case_id).order_by(Deadline.id))
    as_dict = lambda row: {c.key: getattr(row, c.key) for c in row.__table__.columns}  # noqa: E731
    return (
        (case.workflow_state, case.serializer_version, case.pathway_version_id, case.status),
        [as_dict(t) for t in tasks],
        [as_dict(d) for d in deadlines],
    )


def test_six_weekly_reviews_reach_every_open_adult_case_and_revert_restores_them(make_demo):
    demo = make_demo(12)
    with demo.uow() as uow:
        v1 = versions.latest_version(uow, "crisis_centre_adult")
        assert v1 is not None
        v1_id = v1.id
        v2 = versions.deploy(uow, six_weekly(), demo.services.forms, demo.coordinator, "adult.bpmn")
        assert v2.version == 2
        v2_id = v2.id
        open_cases = list(  # the adults' (a mother's children run on the child pathway)
            uow.session.scalars(
                select(Case).where(Case.status == "open", Case.pathway_version_id == v1_id).order_by(Case.id)
            )
        )
        assert len(open_cases) >= 8
        review = uow.session.scalars(
            select(CaseTask).where(CaseTask.status == "open", CaseTask.element_id == "Task_PlanReview")
        ).first()
        assert review is not None  # an open review, inside the called monthly_review: kept as it is
        review_id, review_public, review_case = review.id, review.public_id, review.case_id
        claim(uow, demo.worker, review.public_id)
        save_draft(uow, demo.worker, review.public_id, {"progress": "Напредък"}, demo.services.forms)
        uow.commit()
        before = {case.id: _rows(uow, case.id) for case in open_cases}
        numbers = {case.id: case.number for case in open_cases}

    with demo.uow() as uow:
        dry = batches.plan(uow, demo.coordinator, "crisis_centre_adult", 1, 2, demo.services.forms)
        assert dry.batch is None and dry.moves_clocks
        assert {c.number for c in dry.cases} == set(numbers.values())
        assert all(c.verdict == "migratable" for c in dry.cases)
        monthly = [c for c in dry.cases if any(i["code"] == "timer_moved" for i in c.changes)]
        assert len(monthly) >= 6
        asked = batches.plan(
            uow, demo.coordinator, "crisis_centre_adult", 1, 2, demo.services.forms, dry_run=False
        )
        assert asked.status == "awaiting_approval"
        uow.commit()
    with demo.uow() as uow:
        batches.approve(uow, demo.manager, asked.batch)
        uow.commit()
    outcomes = batches.run(demo.services.uow, demo.coordinator, asked.batch, demo.services.forms)
    assert sorted(o.number for o in outcomes if o.verdict == "migrated") == sorted(numbers.values())

    now = demo.clock.now()
    with demo.uow() as uow:
        assert uow.session.get(MigrationBatch, asked.batch).status == "done"
        for case_id in numbers:
            case = uow.session.get(Case, case_id)
            assert case.pathway_version_id == v2_id
            row = uow.session.scalar(
                select(Deadline).where(
                    Deadline.case_id == case_id,
                    Deadline.element_id == "Timer_Monthly",
                    Deadline.status == "pending",
                )
            )
            if row is None:
                continue
            # the next review: the first six-weekly date from the admission still ahead
            k = 1
            while add_duration(case.admitted_at, f"P{6 * k}W") <= now:
                k += 1
            assert row.due_at == add_duration(case.admitted_at, f"P{6 * k}W")
            assert row.due_duration == "R/P6W" and row.due_from == "admitted_at"
        task = uow.session.get(CaseTask, review_id)
        assert task.assignee_id == demo.worker.user_id and task.draft == {"progress": "Напредък"}
        assert task.due_at == add_duration(task.created_at, "P7D")
        inbox = list_inbox(uow, demo.worker, InboxFilters(scope="mine"))
        assert [r.due_at for r in inbox.rows if r.task_id == review_public] == [task.due_at]
        actions = set(uow.session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == review_case)))
        assert "case.migrated" in actions

    reverted = revert(demo.services.uow, demo.coordinator, asked.batch)
    assert {o.verdict for o in reverted} == {"reverted"}
    with demo.uow() as uow:
        for case_id, rows in before.items():
            assert _rows(uow, case_id) == rows, numbers[case_id]
