"""Retention: a case closed longer ago than ``CASEPATH_RETENTION_YEARS`` is pseudonymised.

What goes: the person's name (a dash stands for it), birth date (its year and the age band at
admission stay), the referral's number and date, every free-text answer of the case's forms (in the
``case_task`` rows and in the stored workflow state alike: only coded answers, yes/no and numbers
stay), drafts, notes and their earlier texts, task comments, the label of a multi-instance task's
item, an incident's message, and the attached documents (rows now, bytes from the file store after
commit, :func:`delete_files`).

What stays: the case number, centre, pathway, legal basis, target group, sex, dates of admission,
leaving and closing, the tasks and their dates, the coded answers (the exit route …), the place stays,
the links between cases and the audit trail, which is append-only and names no person. So the monthly
statistics (engine/reports/statistics.py) give the same numbers before and after.

Idempotent: a pseudonymised case carries ``pseudonymised_at`` and is never selected again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, or_, select, update

from engine.audit.chain import record
from engine.bpmn import state
from engine.casework.file_store import FileStore
from engine.casework.intake_data import LEGAL_BASES, TARGET_GROUPS, band_at_admission
from engine.casework.read.stays import months_before
from engine.clock import local_date
from engine.pathways.forms import FormCatalog
from engine.people.permissions import SYSTEM, Principal
from engine.store.models import (
    Case,
    CaseAttachment,
    CaseNote,
    CaseNoteRevision,
    CaseTask,
    TaskComment,
)
from engine.store.uow import UnitOfWork

PSEUDONYM = "—"  # stands for the person's name once it is removed
BATCH = 200  # cases per transaction


@dataclass(frozen=True)
class DueCase:
    number: str
    closed_at: datetime


@dataclass
class RetentionRun:
    cutoff: date  # cases closed before this day (Sofia) are due
    cases: list[DueCase] = field(default_factory=list)
    file_keys: set[str] = field(default_factory=set)  # to delete from the file store after commit


def cutoff(now: datetime, years: int) -> datetime:
    """The instant before which a case must have been closed to be due: ``years`` calendar years ago."""
    return months_before(now, 12 * years)


def due_cases(uow: UnitOfWork, years: int, limit: int | None = None) -> list[Case]:
    """Closed, not yet pseudonymised cases closed before the cutoff, oldest first."""
    query = (
        select(Case)
        .where(
            Case.status == "closed",
            Case.closed_at < cutoff(uow.clock.now(), years),
            Case.pseudonymised_at.is_(None),
        )
        .order_by(Case.closed_at, Case.id)
    )
    return list(uow.session.scalars(query.limit(limit) if limit else query))


def coded_values(forms: FormCatalog) -> frozenset[str]:
    """Every code a form offers as an answer (``enum``, ``const``), and the intake's codes: the only
    strings a pseudonymised case keeps."""
    found: set[str] = {*LEGAL_BASES, *TARGET_GROUPS}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("const"), str):
                found.add(node["const"])
            found.update(value for value in node.get("enum") or () if isinstance(value, str))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for key in forms.keys():  # noqa: SIM118 (a catalogue, not a dict)
        walk(forms.get(key).schema)
    return frozenset(found)


def keep_coded(value: Any, codes: frozenset[str]) -> Any:
    """``value`` with every string that is not a known code emptied; a serialised object (a date and
    time in a workflow's state) removed."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value if value in codes else ""
    if isinstance(value, list):
        return [keep_coded(item, codes) for item in value]
    if isinstance(value, dict):
        if "typename" in value:
            return None
        return {key: keep_coded(item, codes) for key, item in value.items()}
    return None


def pseudonymise(
    uow: UnitOfWork, case: Case, codes: frozenset[str], who: Principal = SYSTEM, years: int = 0
) -> set[str]:
    """Pseudonymise one closed case (see the module's docstring); the file keys no row uses any more."""
    now = uow.clock.now()
    if not case.age_band:
        case.age_band = band_at_admission(case.birth_date, case.admitted_at)
    if case.birth_date is not None:
        case.birth_year = case.birth_date.year
    case.display_name, case.birth_date = PSEUDONYM, None
    case.referral_number, case.referral_date = "", None
    case.incident_message = case.incident_expression = ""
    if case.workflow_state:
        case.workflow_state = state.map_data(case.workflow_state, lambda data: keep_coded(data, codes))
    case.pseudonymised_at = now
    session = uow.session
    for task in session.scalars(select(CaseTask).where(CaseTask.case_id == case.id)):
        task.data = keep_coded(task.data, codes) if task.data is not None else None
        task.draft, task.item_label = None, ""
    note_ids = select(CaseNote.id).where(CaseNote.case_id == case.id).scalar_subquery()
    session.execute(delete(CaseNoteRevision).where(CaseNoteRevision.note_id.in_(note_ids)))
    session.execute(
        update(CaseNote).where(CaseNote.case_id == case.id).values(body="", version=CaseNote.version + 1)
    )
    session.execute(update(TaskComment).where(TaskComment.case_id == case.id).values(body=""))
    attachments = session.execute(
        select(CaseAttachment.sha256, CaseAttachment.preview_sha256).where(CaseAttachment.case_id == case.id)
    ).all()
    session.execute(delete(CaseAttachment).where(CaseAttachment.case_id == case.id))
    record(
        session,
        now,
        who,
        "case.pseudonymise",
        case_id=case.id,
        subject=case.number,
        detail={"retention_years": years, "attachments": len(attachments)},
    )
    session.flush()
    return {key for row in attachments for key in row if key}


def run_retention(
    uow: UnitOfWork, years: int, forms: FormCatalog, dry_run: bool = False, limit: int = BATCH
) -> RetentionRun:
    """One batch: the due cases (listed only, with ``dry_run``), pseudonymised. The caller commits, then
    calls :func:`delete_files` with ``file_keys``; it calls again until a run finds no case."""
    run = RetentionRun(local_date(cutoff(uow.clock.now(), years)))
    codes = coded_values(forms) if not dry_run else frozenset()
    for case in due_cases(uow, years, None if dry_run else limit):
        assert case.closed_at is not None
        run.cases.append(DueCase(case.number, case.closed_at))
        if not dry_run:
            run.file_keys |= pseudonymise(uow, case, codes, years=years)
    return run


def delete_files(uow: UnitOfWork, store: FileStore, keys: Iterable[str]) -> int:
    """After commit: remove the bytes no attachment row uses any more (the same document may be
    attached to another case, stored once); how many were removed."""
    removed = 0
    for key in sorted(set(keys)):
        used = uow.session.scalar(
            select(CaseAttachment.id)
            .where(or_(CaseAttachment.sha256 == key, CaseAttachment.preview_sha256 == key))
            .limit(1)
        )
        if used is None and store.exists(key):
            store.delete(key)
            removed += 1
    return removed
