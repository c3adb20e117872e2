"""A migration batch: planned, approved when it moves clocks, then run one transaction per case.

:func:`plan` previews the cases (a dry run stores nothing) or records a batch with a row per case.
A batch whose preview moves a clock waits for a manager of a centre that runs the pathway, who did not
ask for it (:func:`approve`), like a deploy from the studio; the operator's command line (``SYSTEM``)
needs none. :func:`run` moves each planned case in its own transaction under the case lock: the case's
row in the batch is claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two workers running the
same batch move each case once; a case that fails is rolled back, reported and left on its version.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from engine.audit.chain import record
from engine.bpmn import migration as moving
from engine.bpmn import spiff
from engine.casework.cases import lock_case
from engine.casework.migration import plan as plans
from engine.casework.migration import snapshots
from engine.casework.migration.texts import change
from engine.casework.projection import sync_case
from engine.errors import ConcurrencyConflict, ExpressionError, NotFound, ValidationFailed
from engine.pathways.forms import FormCatalog
from engine.pathways.versions import centres_using
from engine.people.permissions import (
    SYSTEM,
    Principal,
    can_approve_pathway,
    can_deploy_pathway,
    can_edit_pathway,
    can_read_studio,
    require,
)
from engine.store.models import Case, MigrationBatch, MigrationCase, Pathway
from engine.store.uow import UnitOfWork

log = logging.getLogger(__name__)
AWAITING, READY, DONE = "awaiting_approval", "ready", "done"
ONLY_COORDINATORS = "only a coordinator of a centre that runs the pathway migrates its cases"


@dataclass
class CaseOutcome:
    number: str
    verdict: (
        str  # migratable | blocked (a plan); migrated | blocked | failed (a run); reverted | not_revertible
    )
    changes: list[dict[str, Any]] = field(default_factory=list)
    position: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class BatchView:
    id: int
    key: str
    from_version: int
    to_version: int
    status: str
    moves_clocks: bool
    may_approve: bool
    progress: dict[str, int]
    cases: list[CaseOutcome]


@dataclass
class Outcome:
    batch: int | None
    status: str  # dry_run | awaiting_approval | ready | done
    cases: list[CaseOutcome]
    moves_clocks: bool = False

    def count(self, verdict: str) -> int:
        return sum(item.verdict == verdict for item in self.cases)


def authorise(uow: UnitOfWork, who: Principal, key: str) -> None:
    if who is SYSTEM:
        return
    require(can_edit_pathway(who) and can_deploy_pathway(who, centres_using(uow, key)), ONLY_COORDINATORS)


def plan(
    uow: UnitOfWork,
    who: Principal,
    key: str,
    source: int,
    target: int,
    forms: FormCatalog,
    numbers: Sequence[str] | None = None,
    mapping: Mapping[str, str] | None = None,
    dry_run: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> Outcome:
    """The preview of every case; unless ``dry_run``, a batch recorded with a row per case."""
    authorise(uow, who, key)
    versions = plans.versions_of(uow, key, source, target, mapping)
    found = plans.cases_of(uow, versions, numbers)
    previews = []
    for done, case in enumerate(found, start=1):
        previews.append(plans.preview_case(uow, case, versions, forms))
        uow.session.expunge(case)  # read only: a thousand cases kept would slow every later autoflush
        if progress is not None:
            progress(done, len(found))
    clocks = any(item.moves_clocks for item in previews)
    cases = [CaseOutcome(p.number, p.verdict, p.changes, p.position) for p in previews]
    if dry_run:
        return Outcome(None, "dry_run", cases, clocks)
    status = AWAITING if clocks and who is not SYSTEM else READY
    batch = MigrationBatch(
        pathway_id=versions.pathway.id, from_version=source, to_version=target, mapping=versions.mapping,
        moves_clocks=clocks, status=status, total=len(previews), requested_by_id=who.user_id,
        requested_at=uow.clock.now(),
    )  # fmt: skip
    uow.session.add(batch)
    uow.session.flush()
    for preview in previews:
        uow.session.add(
            MigrationCase(
                batch_id=batch.id, case_id=preview.case_id, changes=preview.changes, reason="",
                position=preview.position,
                status="planned" if preview.verdict == "migratable" else preview.verdict,
            )
        )  # fmt: skip
    record(
        uow.session, uow.clock.now(), who, "pathway.migration_planned", subject=key,
        detail={"batch": batch.id, "from": source, "to": target, "cases": len(previews), "status": status},
    )  # fmt: skip
    return Outcome(batch.id, status, cases, clocks)


def get_batch(uow: UnitOfWork, who: Principal, batch_id: int) -> MigrationBatch:
    batch = uow.session.get(MigrationBatch, batch_id)
    if batch is None or (who is not SYSTEM and not can_read_studio(who)):
        raise NotFound(f"no migration batch {batch_id}")
    return batch


def view_batch(uow: UnitOfWork, who: Principal, batch_id: int) -> BatchView:
    """A batch as its page shows it: each case's number, position, changes and state."""
    batch = get_batch(uow, who, batch_id)
    key = uow.session.get_one(Pathway, batch.pathway_id).key
    rows = uow.session.execute(
        select(Case.number, MigrationCase.status, MigrationCase.changes, MigrationCase.position)
        .join(Case, Case.id == MigrationCase.case_id)
        .where(MigrationCase.batch_id == batch.id)
        .order_by(MigrationCase.id)
    )
    cases = [
        CaseOutcome(number, status, list(changes), list(position))
        for number, status, changes, position in rows
    ]
    may_approve = batch.status == AWAITING and can_approve_pathway(
        who, centres_using(uow, key), batch.requested_by_id
    )
    return BatchView(
        batch.id, key, batch.from_version, batch.to_version, batch.status, batch.moves_clocks, may_approve,
        progress_of(uow, batch), cases,
    )  # fmt: skip


def approve(uow: UnitOfWork, who: Principal, batch_id: int) -> MigrationBatch:
    """A manager who did not ask for the batch approves it; it is then ready to run."""
    batch = get_batch(uow, who, batch_id)
    key = uow.session.get_one(Pathway, batch.pathway_id).key
    require(
        can_approve_pathway(who, centres_using(uow, key), batch.requested_by_id),
        "only a manager of a centre that runs the pathway, who did not ask for the migration, approves it",
    )
    if batch.status != AWAITING:
        raise ConcurrencyConflict(f"the batch is {batch.status}, not awaiting approval")
    batch.status, batch.approved_by_id, batch.approved_at = READY, who.user_id, uow.clock.now()
    record(
        uow.session,
        uow.clock.now(),
        who,
        "pathway.migration_approved",
        subject=key,
        detail={"batch": batch.id},
    )
    return batch


def progress_of(uow: UnitOfWork, batch: MigrationBatch) -> dict[str, int]:
    """How many cases of the batch are in each state (planned ones are still to run)."""
    rows = uow.session.execute(
        select(MigrationCase.status, func.count())
        .where(MigrationCase.batch_id == batch.id)
        .group_by(MigrationCase.status)
    )
    counts = {status: int(count) for status, count in rows}
    return {"total": batch.total, "done": batch.total - counts.get("planned", 0), **counts}


UowFactory = Callable[[], UnitOfWork]


def store_plan(make_uow: UowFactory, who: Principal, key: str, source: int, target: int, forms: FormCatalog,
               numbers: Sequence[str] | None = None, mapping: Mapping[str, str] | None = None,
               dry_run: bool = True) -> Outcome:  # fmt: skip
    """:func:`plan` in a transaction of its own: a batch's cases then move in theirs (:func:`run`)."""
    with make_uow() as uow:
        outcome = plan(uow, who, key, source, target, forms, numbers, mapping, dry_run=dry_run)
        uow.commit()
    return outcome


def approve_and_run(
    make_uow: UowFactory, who: Principal, batch_id: int, forms: FormCatalog
) -> list[CaseOutcome]:
    """The manager's approval, committed, then the batch run case by case."""
    with make_uow() as uow:
        approve(uow, who, batch_id)
        uow.commit()
    return run(make_uow, who, batch_id, forms)


def start(make_uow: UowFactory, who: Principal, batch_id: int) -> None:
    """Check that the batch may run now: it exists, the caller may run it, and it is approved."""
    with make_uow() as uow:
        batch = get_batch(uow, who, batch_id)
        if who.user_id is None or batch.approved_by_id != who.user_id:  # the approving manager runs it
            authorise(uow, who, uow.session.get_one(Pathway, batch.pathway_id).key)
        if batch.status == AWAITING:
            raise ValidationFailed(
                "the batch moves clocks and waits for a manager's approval", {"batch": ["awaiting approval"]}
            )
        if batch.status == READY:
            batch.status = "running"
            uow.commit()


def run(
    make_uow: UowFactory,
    who: Principal,
    batch_id: int,
    forms: FormCatalog,
    progress: Callable[[int, int], None] | None = None,
) -> list[CaseOutcome]:
    """Move every planned case of the batch, each in its own transaction; the outcome of each."""
    start(make_uow, who, batch_id)
    with make_uow() as uow:  # read once: versions never change
        batch = uow.session.get_one(MigrationBatch, batch_id)
        key = uow.session.get_one(Pathway, batch.pathway_id).key
        versions = plans.versions_of(uow, key, batch.from_version, batch.to_version, batch.mapping)
    outcomes: list[CaseOutcome] = []
    while True:
        with make_uow() as uow:
            claimed = _claim(uow, batch_id)
            if claimed is None:
                break
            row_id, number = claimed
            try:
                outcome = _migrate(uow, who, row_id, versions, forms)
                uow.commit()
            except moving.Unmovable as gone:  # changed since the preview
                uow.rollback()
                outcome = _mark(
                    make_uow,
                    row_id,
                    number,
                    "blocked",
                    change("blocked_gone", name=gone.name or gone.element_id, name_en="", version=0),
                )
            except ConcurrencyConflict:
                uow.rollback()
                outcome = _mark(make_uow, row_id, number, "blocked", change("blocked_locked"))
            except Exception as error:
                uow.rollback()
                log.warning("migration of a case in batch %s failed: %s", batch_id, type(error).__name__)
                outcome = _mark(
                    make_uow, row_id, number, "failed", change("failed", problem=_problem(error), version=0)
                )
        outcomes.append(outcome)
        if progress is not None:
            progress(len(outcomes), 0)
    with make_uow() as uow:
        batch = uow.session.get_one(MigrationBatch, batch_id)
        if progress_of(uow, batch).get("planned", 0) == 0 and batch.status != DONE:
            batch.status = DONE
            with suppress(ConcurrencyConflict):  # the other worker marked it done
                uow.commit()
    return outcomes


def _problem(error: Exception) -> str:
    return str(getattr(error, "problem", "") or type(error).__name__)[:80]


def _claim(uow: UnitOfWork, batch_id: int) -> tuple[int, str] | None:
    """The next planned case of the batch, its row locked; on PostgreSQL rows another worker holds are
    skipped (and, once it commits, no longer planned)."""
    row = uow.session.execute(
        select(MigrationCase.id, Case.number)
        .join(Case, Case.id == MigrationCase.case_id)
        .where(MigrationCase.batch_id == batch_id, MigrationCase.status == "planned")
        .order_by(MigrationCase.id)
        .limit(1)
        .with_for_update(of=MigrationCase, skip_locked=True)
    ).first()
    return (int(row[0]), str(row[1])) if row is not None else None


def _mark(make_uow: UowFactory, row_id: int, number: str, verdict: str, item: dict[str, Any]) -> CaseOutcome:
    with make_uow() as uow:
        row = uow.session.get_one(MigrationCase, row_id)
        if row.status == "planned":
            row.status, row.changes = verdict, [*row.changes, item]
            uow.commit()
    return CaseOutcome(number, verdict, [item])


def _migrate(
    uow: UnitOfWork, who: Principal, row_id: int, versions: plans.Versions, forms: FormCatalog
) -> CaseOutcome:
    row = uow.session.get_one(MigrationCase, row_id)
    case = _lock(uow, row.case_id)
    preview = plans.preview_case(uow, case, versions, forms)  # again, under the lock: the case as it is now
    if preview.verdict != "migratable" or preview.rebound is None:
        row.status, row.changes = preview.verdict, preview.changes
        return CaseOutcome(case.number, preview.verdict, preview.changes, preview.position)
    snapshot = snapshots.take(uow, case)
    workflow = preview.rebound.workflow
    rows = plans.open_rows(uow, case.id)
    for task_id, update in plans.task_updates(uow, rows, workflow).items():
        update.apply(rows[task_id])
    case.pathway_version_id = versions.target_id
    uow.session.flush()
    uow.session.expire(case, ["pathway_version"])
    try:
        sync_case(uow, case, workflow)
    except (spiff.RuntimeFailure, ExpressionError) as failure:
        raise _Failed(getattr(failure, "problem", "engine")) from failure
    uow.session.flush()
    snapshots.remember_inserted(uow, case, snapshot)
    now = uow.clock.now()
    moved = [
        {key: item["params"].get(key, "") for key in ("name", "name_en", "due")}
        for item in preview.changes
        if item["code"] in ("timer_moved", "task_due", "deadline_new")
    ]
    detail = {"batch": row.batch_id, "from": versions.source_version, "to": versions.target_version}
    record(
        uow.session,
        now,
        who,
        "case.migrated",
        case_id=case.id,
        subject=case.number,
        detail={**detail, "moved": moved[:20]},
    )
    uow.session.flush()
    row.status, row.changes, row.snapshot, row.migrated_at = "migrated", preview.changes, snapshot, now
    row.case_version = case.version
    return CaseOutcome(case.number, "migrated", preview.changes, preview.position)


class _Failed(Exception):
    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def _lock(uow: UnitOfWork, case_id: int) -> Case:
    """The case, locked; on PostgreSQL without waiting: a case someone is changing right now is blocked."""
    if uow.session.get_bind().dialect.name != "postgresql":
        return lock_case(uow, case_id)
    try:
        case = uow.session.scalar(
            select(Case).where(Case.id == case_id).with_for_update(of=Case, nowait=True)
        )
    except OperationalError as error:
        raise ConcurrencyConflict("the case is locked") from error
    if case is None:
        raise NotFound("case not found")
    return case
