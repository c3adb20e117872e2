"""Reverting a batch, as a whole or case by case: each case goes back to its snapshot, in its own
transaction under the case lock, while it has not moved on since it was migrated (its row version is
the one the migration left). A case that has moved on is reported as not revertible, with what moved it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select

from engine.audit.chain import record
from engine.casework.migration import snapshots
from engine.casework.migration.batch import CaseOutcome, UowFactory, authorise, get_batch
from engine.casework.migration.plan import day
from engine.casework.migration.texts import change
from engine.errors import ConcurrencyConflict, ValidationFailed
from engine.people.permissions import Principal
from engine.store.models import AuditEvent, Case, MigrationCase, Pathway, PathwayVersion
from engine.store.uow import UnitOfWork

READS = ("case.read", "case.audit_read", "attachment.download", "attachment.preview", "case.export")


def revert(
    make_uow: UowFactory, who: Principal, batch_id: int, numbers: Sequence[str] | None = None
) -> list[CaseOutcome]:
    with make_uow() as uow:
        batch = get_batch(uow, who, batch_id)
        authorise(uow, who, uow.session.get_one(Pathway, batch.pathway_id).key)
        query = (
            select(MigrationCase.id, Case.number)
            .join(Case, Case.id == MigrationCase.case_id)
            .where(MigrationCase.batch_id == batch_id)
            .order_by(MigrationCase.id)
        )
        rows = [(int(row_id), str(number)) for row_id, number in uow.session.execute(query)]
    if numbers:
        unknown = sorted(set(numbers) - {number for _, number in rows})
        if unknown:
            raise ValidationFailed("some cases are not in this batch", {"cases": unknown})
        rows = [(row_id, number) for row_id, number in rows if number in set(numbers)]
    outcomes = []
    for row_id, number in rows:
        with make_uow() as uow:
            try:
                outcome = _revert_one(uow, who, row_id, number)
                uow.commit()
            except ConcurrencyConflict:
                uow.rollback()
                outcome = CaseOutcome(number, "not_revertible", [change("blocked_locked")])
        outcomes.append(outcome)
    return outcomes


def _revert_one(uow: UnitOfWork, who: Principal, row_id: int, number: str) -> CaseOutcome:
    row = uow.session.get_one(MigrationCase, row_id, with_for_update=True)
    if row.status != "migrated" or row.snapshot is None:
        if row.status == "reverted":
            return CaseOutcome(number, "reverted", [])
        return CaseOutcome(number, "not_revertible", [change("not_migrated")])
    case = uow.session.scalar(select(Case).where(Case.id == row.case_id).with_for_update(of=Case))
    assert case is not None
    if case.version != row.case_version:
        return CaseOutcome(number, "not_revertible", [_moved_on(uow, case.id, row)])
    snapshots.restore(uow, case, row.snapshot)
    now = uow.clock.now()
    batch_from = row.snapshot["case"]["pathway_version_id"]
    version = uow.session.get_one(PathwayVersion, batch_from).version
    record(
        uow.session, now, who, "case.migration_reverted", case_id=case.id, subject=case.number,
        detail={"batch": row.batch_id, "to": version},
    )  # fmt: skip
    row.status, row.reverted_at = "reverted", now
    return CaseOutcome(number, "reverted", [])


def _moved_on(uow: UnitOfWork, case_id: int, row: MigrationCase) -> dict[str, object]:
    """What moved the case on since it was migrated: the first change the audit trail records after the
    migration's own entry (by the trail's order: several entries may share an instant)."""
    migrated = (
        select(func.max(AuditEvent.id))
        .where(AuditEvent.case_id == case_id, AuditEvent.action == "case.migrated")
        .scalar_subquery()
    )
    event = uow.session.execute(
        select(AuditEvent.action, AuditEvent.at)
        .where(
            AuditEvent.case_id == case_id,
            AuditEvent.id > func.coalesce(migrated, 0),
            AuditEvent.at >= row.migrated_at,
            AuditEvent.action.not_in(READS),
        )
        .order_by(AuditEvent.id)
        .limit(1)
    ).first()
    what, at = (str(event[0]), event[1]) if event is not None else ("a change", None)
    return change("moved_on", what=what, date=day(at))
