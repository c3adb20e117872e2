"""A case blocked by a removed element, a mapping that unblocks it, a failure in the middle of a batch,
and two workers running the same batch."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from engine.casework import deadlines
from engine.casework.migration import batch as batches
from engine.casework.migration.revert import revert
from engine.errors import ValidationFailed
from engine.pathways import versions
from engine.people.permissions import SYSTEM
from engine.store.models import AuditEvent, Case, CaseTask, Deadline, MigrationCase
from tests.engine.casework.migration.conftest import ADULT, build_demo, six_weekly


def _waiting_in_the_adult_file(uow) -> CaseTask:  # type: ignore[no-untyped-def]
    """An open task of the demo whose element the adult pathway's own file draws (not the called
    monthly_review's), so that renaming it there removes it from the new version."""
    drawn = ADULT.read_text(encoding="utf-8")
    rows = uow.session.scalars(select(CaseTask).where(CaseTask.status == "open").order_by(CaseTask.id))
    return next(task for task in rows if f'id="{task.element_id}"' in drawn)


def test_a_removed_element_blocks_and_a_mapping_unblocks(make_demo):
    demo = make_demo(2)
    with demo.uow() as uow:
        waiting = _waiting_in_the_adult_file(uow)
        old = waiting.element_id
        new = f"{old}Renamed"
        versions.deploy(uow, six_weekly({f'"{old}"': f'"{new}"'}), demo.services.forms, SYSTEM, "adult.bpmn")
        number = uow.session.get(Case, waiting.case_id).number
        task_id, public_id = waiting.id, waiting.public_id
        plan = batches.plan(uow, demo.coordinator, "crisis_centre_adult", 1, 2, demo.services.forms, [number])
        [case] = plan.cases
        assert case.verdict == "blocked"
        assert case.changes[-1]["code"] == "blocked_gone" and case.changes[-1]["params"]["version"] == 2
        with pytest.raises(ValidationFailed) as refused:
            batches.plan(
                uow, demo.coordinator, "crisis_centre_adult", 1, 2, demo.services.forms, mapping={"Nope": "X"}
            )
        assert "mapping" in refused.value.fields
        mapped = batches.plan(
            uow, SYSTEM, "crisis_centre_adult", 1, 2, demo.services.forms, [number], {old: new}, dry_run=False
        )
        assert mapped.cases[0].verdict == "migratable" and mapped.status == "ready"
        assert mapped.cases[0].changes[0]["code"] == "task_mapped"
        uow.commit()
    [outcome] = batches.run(demo.services.uow, SYSTEM, mapped.batch, demo.services.forms)
    assert outcome.verdict == "migrated"
    with demo.uow() as uow:
        task = uow.session.get(CaseTask, task_id)
        assert (task.public_id, task.status, task.element_id) == (public_id, "open", new)


def test_a_failure_in_the_middle_of_a_batch_leaves_that_case_untouched(make_demo):
    demo = make_demo(4)
    with demo.uow() as uow:
        versions.deploy(uow, six_weekly(), demo.services.forms, SYSTEM, "adult.bpmn")
        plan = batches.plan(uow, SYSTEM, "crisis_centre_adult", 1, 2, demo.services.forms, dry_run=False)
        assert plan.status == "ready" and len(plan.cases) >= 3
        uow.commit()
        rows = list(uow.session.scalars(select(MigrationCase).where(MigrationCase.batch_id == plan.batch)))
        broken = uow.session.get(Case, rows[1].case_id)
        broken.workflow_state = b"\x78\x9cnot a state"  # a state no release can read
        broken_id, broken_number, version_id = broken.id, broken.number, broken.pathway_version_id
        uow.commit()
    outcomes = batches.run(demo.services.uow, SYSTEM, plan.batch, demo.services.forms)
    verdicts = {o.number: o.verdict for o in outcomes}
    assert verdicts.pop(broken_number) == "failed"
    assert set(verdicts.values()) == {"migrated"} and len(verdicts) == len(plan.cases) - 1
    with demo.uow() as uow:
        case = uow.session.get(Case, broken_id)
        assert (case.workflow_state, case.pathway_version_id) == (b"\x78\x9cnot a state", version_id)
        row = uow.session.scalar(select(MigrationCase).where(MigrationCase.case_id == broken_id))
        assert row.status == "failed" and row.snapshot is None


def test_two_workers_on_one_batch_migrate_each_case_once(db_engine, committed_factory):
    if db_engine.dialect.name != "postgresql":
        pytest.skip("row locks that skip what another worker holds: PostgreSQL")
    demo = build_demo(committed_factory, 6)
    with demo.uow() as uow:
        versions.deploy(uow, six_weekly(), demo.services.forms, SYSTEM, "adult.bpmn")
        plan = batches.plan(uow, SYSTEM, "crisis_centre_adult", 1, 2, demo.services.forms, dry_run=False)
        uow.commit()
    results: list[list[str]] = [[], []]
    barrier = threading.Barrier(2)

    def work(index: int) -> None:
        barrier.wait()
        outcomes = batches.run(demo.services.uow, SYSTEM, plan.batch, demo.services.forms)
        results[index] = [o.number for o in outcomes if o.verdict == "migrated"]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    migrated = results[0] + results[1]
    assert sorted(migrated) == sorted(c.number for c in plan.cases)  # every case, none twice
    with demo.uow() as uow:
        counts = uow.session.execute(
            select(AuditEvent.case_id, func.count())
            .where(AuditEvent.action == "case.migrated")
            .group_by(AuditEvent.case_id)
        ).all()
        assert len(counts) == len(plan.cases) and {n for _, n in counts} == {1}


def test_a_case_that_moved_on_since_is_not_revertible_and_says_why(make_demo):
    demo = make_demo(3)
    with demo.uow() as uow:
        versions.deploy(uow, six_weekly(), demo.services.forms, SYSTEM, "adult.bpmn")
        plan = batches.plan(uow, SYSTEM, "crisis_centre_adult", 1, 2, demo.services.forms, dry_run=False)
        uow.commit()
    batches.run(demo.services.uow, SYSTEM, plan.batch, demo.services.forms)
    with demo.uow() as uow:
        in_batch = select(MigrationCase.case_id).where(MigrationCase.batch_id == plan.batch)
        first = uow.session.scalar(
            select(Deadline)
            .where(Deadline.status == "pending", Deadline.case_id.in_(in_batch))
            .order_by(Deadline.due_at)
        )
        moved_on = uow.session.get(Case, first.case_id).number
        migrated_at = uow.session.scalar(
            select(func.max(AuditEvent.id)).where(
                AuditEvent.case_id == first.case_id, AuditEvent.action == "case.migrated"
            )
        )
        demo.clock.set(first.due_at)
        deadlines.fire_deadline(uow, first.id)
        uow.commit()
        since = uow.session.scalar(  # what the case did first after it was migrated
            select(AuditEvent.action)
            .where(AuditEvent.case_id == first.case_id, AuditEvent.id > migrated_at)
            .order_by(AuditEvent.id)
        )
    outcomes = {o.number: o for o in revert(demo.services.uow, SYSTEM, plan.batch)}
    assert outcomes[moved_on].verdict == "not_revertible"
    assert outcomes[moved_on].changes[0]["code"] == "moved_on"
    assert outcomes[moved_on].changes[0]["params"]["what"] == since
    assert {o.verdict for n, o in outcomes.items() if n != moved_on} == {"reverted"}
