"""Case services: open a case, complete its tasks, deliver signals, retry incidents, close it.

Each service takes the caller's unit of work, locks the case for change, drives the runtime, syncs the
read models (``case_task``, ``deadline``) and writes the audit entry; it never commits. A failure inside
the workflow (an expression that breaks at run time) parks the case as an incident instead of raising.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import joinedload

from engine.audit.chain import record
from engine.bpmn import operations as bpmn_operations
from engine.bpmn import spiff, state
from engine.casework.holding import already_done, record_taken, take_for_completion
from engine.casework.intake_data import LEGAL_BASES as LEGAL_BASES
from engine.casework.intake_data import ORDERS, age_on
from engine.casework.intake_data import TARGET_GROUPS as TARGET_GROUPS
from engine.casework.intake_data import Intake as Intake
from engine.casework.intake_data import validate_intake as validate_intake
from engine.casework.operations import CaseOperations
from engine.casework.projection import cancel_open_work, sync_case
from engine.clock import isoformat_local, local_date
from engine.errors import ConcurrencyConflict, NotFound, ValidationFailed
from engine.pathways.form_versions import forms_of_case, forms_of_version
from engine.pathways.forms import FormCatalog
from engine.pathways.versions import latest_version, parsed_version
from engine.people.permissions import (
    SYSTEM,
    Principal,
    can_close_case,
    can_complete,
    can_open_case,
    can_retry_incident,
    can_signal_case,
    can_view_case,
    require,
)
from engine.store.models import Case, CaseCounter, CaseTask, Centre
from engine.store.uow import UnitOfWork

CASE_SUSPENDED = "the case is suspended by a coordinator: its tasks cannot be completed until it is resumed"


def choose_pathway(centre_kind: str, age: int | None) -> str:
    """Crisis centres run the child pathway for minors, the adult one otherwise; ЦОП its own."""
    if centre_kind == "community_support":
        return "community_support"
    return "crisis_centre_child" if age is not None and age < 18 else "crisis_centre_adult"


def get_centre(uow: UnitOfWork, code: str) -> Centre:
    centre = uow.session.scalar(select(Centre).where(Centre.code == code))
    if centre is None:
        raise NotFound(f"centre '{code}' does not exist")
    return centre


def open_case(uow: UnitOfWork, who: Principal, intake: Intake) -> Case:
    """Open a case on the right pathway and run it to its first tasks."""
    validate_intake(intake)
    centre = get_centre(uow, intake.centre_code)
    require(who is SYSTEM or can_open_case(who, centre.id), "you may not open cases in this centre")
    now = uow.clock.now()
    admitted_at = intake.admitted_at or now
    age = age_on(intake.birth_date, local_date(admitted_at))
    version = latest_version(uow, choose_pathway(centre.kind, age))
    assert version is not None
    case = Case(
        number=_next_number(uow, centre, admitted_at),
        centre_id=centre.id,
        pathway_version_id=version.id,
        display_name=intake.display_name.strip(),
        birth_date=intake.birth_date,
        sex=intake.sex,
        target_group=intake.target_group,
        legal_basis=intake.legal_basis,
        referral_number=intake.referral_number.strip(),
        referral_date=intake.referral_date,
        admitted_at=admitted_at,
        status="open",
        workflow_state=b"",
        serializer_version=state.SERIALIZER_VERSION,
    )
    uow.session.add(case)
    uow.session.flush()
    data = start_data(case, age, intake.extra)
    drive(uow, case, lambda: spiff.start(parsed_version(version), data, uow.clock, uow.limits))
    record(
        uow.session,
        now,
        who,
        "case.open",
        case_id=case.id,
        subject=case.number,
        detail={"pathway": version.pathway.key, "version": version.version, "legal_basis": case.legal_basis},
    )
    return case


def start_data(case: Case, age: int | None, extra: dict[str, Any]) -> dict[str, Any]:
    """What every pathway knows at its start (names listed in docs/pathway-authoring.md)."""
    order = case.referral_date.isoformat() if case.referral_date and case.legal_basis in ORDERS else None
    return {
        "order_date": order,  # the ДСП/ОЗД order or court decision is the intake's referral date
        **extra,
        "case_number": case.number,
        "admitted_at": isoformat_local(case.admitted_at),
        "referral_date": case.referral_date.isoformat() if case.referral_date else None,  # an anchor
        "legal_basis": case.legal_basis,
        "target_group": case.target_group,
        "is_child": age is not None and age < 18,
        "age": age,
        "has_referral": case.legal_basis
        in {"referral", "order", "court", "trafficking_referral", "municipality_referral"},
    }


def _next_number(uow: UnitOfWork, centre: Centre, admitted_at: datetime) -> str:
    """The centre's next number for the year of admission, from its counter row.

    One statement increments the row (or creates it at 1) and returns the new value; the row stays
    locked until the intake commits, so two intakes at once get consecutive numbers, and the cost
    does not grow with the number of cases.
    """
    year = local_date(admitted_at).year
    upsert = sqlite_insert if uow.session.get_bind().dialect.name == "sqlite" else postgresql_insert
    first = upsert(CaseCounter).values(centre_id=centre.id, year=year, last_number=1)
    statement = first.on_conflict_do_update(
        index_elements=[CaseCounter.centre_id, CaseCounter.year],
        set_={"last_number": CaseCounter.last_number + 1},
    ).returning(CaseCounter.last_number)
    number = uow.session.execute(statement).scalar_one()
    return f"{centre.code.upper()}-{year}-{number:04d}"


def drive(uow: UnitOfWork, case: Case, step: Callable[[], spiff.Workflow]) -> spiff.Workflow | None:
    """Run one workflow step and sync the read models; a failure in either parks the case as an incident.

    The read models fail on a due date that cannot be computed and on the daily caps of tasks and
    notifications (``uow.limits``). ``step`` returns the workflow it moved on; ``drive`` returns that
    workflow, or None when the case was parked.
    """
    try:
        with bpmn_operations.bound(CaseOperations(uow, case, open_case)):  # service tasks of this case
            workflow = step()
        case.status = "closed" if spiff.is_completed(workflow) else "open"
        case.closed_at = uow.clock.now() if case.status == "closed" else None
        case.incident_element = case.incident_message = case.incident_expression = case.incident_problem = ""
        sync_case(uow, case, workflow)
    except spiff.RuntimeFailure as failure:
        _park_incident(uow, case, failure)
        return None
    return workflow


def guard(uow: UnitOfWork, case: Case, action: Callable[[], None]) -> None:
    """Run a side step of a case (announcing a fired deadline); a RuntimeFailure parks the case."""
    try:
        action()
    except spiff.RuntimeFailure as failure:
        _park_incident(uow, case, failure)


def _park_incident(uow: UnitOfWork, case: Case, failure: spiff.RuntimeFailure) -> None:
    """Park the case: element, expression and the kind of problem; never the error's text (case data)."""
    if failure.workflow is not None:
        case.workflow_state = state.dump_state(failure.workflow)
        case.serializer_version = state.SERIALIZER_VERSION
    case.status = "incident"
    case.incident_element = failure.element_id[:200]
    case.incident_problem = failure.problem
    case.incident_message = failure.message
    case.incident_expression = failure.expression
    uow.session.flush()
    record(
        uow.session,
        uow.clock.now(),
        SYSTEM,
        "case.incident",
        case_id=case.id,
        subject=case.number,
        detail={"element": failure.element_id, "problem": failure.problem, "expression": failure.expression},
    )


def lock_case(uow: UnitOfWork, case_id: int) -> Case:
    """Load a case for change: ``FOR UPDATE`` on PostgreSQL; the version counter guards SQLite."""
    case = uow.session.scalar(select(Case).where(Case.id == case_id).with_for_update(of=Case))
    if case is None:
        raise NotFound("case not found")
    return case


def get_case(uow: UnitOfWork, who: Principal, public_id: str) -> Case:
    case = uow.session.scalar(select(Case).where(Case.public_id == public_id))
    if case is None or not can_view_case(who, case):
        raise NotFound("case not found")  # another centre's case does not exist for this user
    return case


def load_workflow(uow: UnitOfWork, case: Case) -> spiff.Workflow:
    """The case's workflow; a state stored by a serializer this release cannot read is refused."""
    parsed = parsed_version(case.pathway_version)
    workflow: spiff.Workflow = state.load_state(
        case.workflow_state, case.serializer_version, parsed, uow.clock, uow.limits
    )
    return workflow


def get_task(uow: UnitOfWork, public_id: str) -> CaseTask:
    task = uow.session.scalar(select(CaseTask).where(CaseTask.public_id == public_id))
    if task is None:
        raise NotFound("task not found")
    return task


def forms_of_task(uow: UnitOfWork, task: CaseTask, files: FormCatalog) -> FormCatalog:
    """The forms of the task's case: those its pathway version was deployed with."""
    version_id = uow.session.scalar(select(Case.pathway_version_id).where(Case.id == task.case_id))
    return forms_of_version(uow, int(version_id or 0), files)


def complete_task(
    uow: UnitOfWork,
    who: Principal,
    task_public_id: str,
    data: dict[str, Any],
    forms: FormCatalog,
) -> Case:
    """Complete a task with validated form data and move the case on; nothing is stored on any error."""
    case, task = _lock_task(uow, task_public_id)
    if not can_view_case(who, case):
        raise NotFound("task not found")
    if task.status != "open":
        raise ConcurrencyConflict(already_done(uow, task))
    require(can_complete(who, task), "this task is for another role or another person")
    if case.status == "suspended":
        raise ConcurrencyConflict(CASE_SUSPENDED)
    if case.status != "open":
        raise ConcurrencyConflict(f"case is {case.status}; nothing was changed")
    workflow = load_workflow(uow, case)
    if (waiting := spiff.find_human_task(workflow, task.workflow_task_id)) is None:
        raise ConcurrencyConflict("the task is no longer waiting in the pathway")
    known = spiff.data_of(waiting)  # what the case knows at this task decides the fields it requires
    forms = forms_of_case(uow, case, forms)  # the forms the case's pathway version was deployed with
    clean = forms.validate(task.form_key, data, known) if task.form_key else dict(data)
    taken = take_for_completion(who, task)  # the holder completes; an unclaimed task is taken first
    now = uow.clock.now()
    if task.ends_stay and case.left_at is None:  # the person leaves: the case takes no place from now
        case.left_at = now
    task.status, task.completed_by_id, task.completed_at, task.data, task.draft = (
        "completed",
        who.user_id,
        now,
        clean,
        None,
    )
    drive(uow, case, lambda: spiff.complete(workflow, task.workflow_task_id, clean))
    record(
        uow.session,
        now,
        who,
        "task.complete",
        case_id=case.id,
        subject=task.name,
        detail={"task": task.public_id, "element": task.element_id, "fields": sorted(clean)},
    )
    record_taken(uow, who, task, taken)
    return case


def _lock_task(uow: UnitOfWork, task_public_id: str) -> tuple[Case, CaseTask]:
    """Lock the task's case and read both in one statement: the task as it is once the lock is held.

    ``populate_existing`` overwrites a copy of the task already in the session (the task page reads
    it before completing); the pathway version comes along, since its spec runs the step.
    """
    row = uow.session.execute(
        select(Case, CaseTask)
        .join(CaseTask, CaseTask.case_id == Case.id)
        .where(CaseTask.public_id == task_public_id)
        .options(joinedload(Case.pathway_version))
        .with_for_update(of=Case)
        .execution_options(populate_existing=True)
    ).first()
    if row is None:
        raise NotFound("task not found")
    return row[0], row[1]


def signal_case(uow: UnitOfWork, who: Principal, case_public_id: str, name: str) -> Case:
    """Deliver a named event (``risk_changed``, ``violence_disclosed``) to the case's pathway."""
    case = get_case(uow, who, case_public_id)
    require(can_signal_case(who, case))
    case = lock_case(uow, case.id)
    if case.status != "open":
        raise ConcurrencyConflict(f"case is {case.status}")
    workflow = load_workflow(uow, case)
    if name not in spiff.waited_signals(workflow):
        raise _not_waiting_for(name)

    def deliver() -> spiff.Workflow:
        # False: nothing in the workflow caught the event after all, and it is unchanged. The same
        # refusal as above, raised out of drive before it touches the case: nothing is stored.
        if not spiff.signal(workflow, name):
            raise _not_waiting_for(name)
        return workflow

    drive(uow, case, deliver)
    record(uow.session, uow.clock.now(), who, "case.signal", case_id=case.id, subject=name)
    return case


def _not_waiting_for(name: str) -> ValidationFailed:
    return ValidationFailed("the pathway is not waiting for this event now", {"signal": [name]})


def retry_incident(uow: UnitOfWork, who: Principal, case_public_id: str) -> Case:
    """Run a case stopped by an error again; it stays an incident if the error happens again.

    Coordinators may retry without reading case content; for anyone with neither right the case
    does not exist (404), so another centre's case numbers do not leak.
    """
    case = uow.session.scalar(select(Case).where(Case.public_id == case_public_id))
    if case is None or not (can_view_case(who, case) or can_retry_incident(who, case)):
        raise NotFound("case not found")
    require(can_retry_incident(who, case), "only a coordinator or the manager may retry an incident")
    case = lock_case(uow, case.id)
    if case.status != "incident":
        raise ConcurrencyConflict("the case has no incident")
    workflow = load_workflow(uow, case)
    drive(uow, case, lambda: spiff.retry(workflow))
    record(uow.session, uow.clock.now(), who, "case.retry", case_id=case.id, subject=case.number)
    return case


def close_case(uow: UnitOfWork, who: Principal, case_public_id: str, reason: str) -> Case:
    """Close a case by hand (e.g. the person left): open tasks and deadlines are cancelled."""
    case = get_case(uow, who, case_public_id)
    require(can_close_case(who, case), "only the case lead or the manager may close a case")
    case = lock_case(uow, case.id)
    if case.status == "closed":
        raise ConcurrencyConflict("the case is already closed")
    if not reason.strip():
        raise ValidationFailed("a reason is required", {"reason": ["required"]})
    now = uow.clock.now()
    case.status, case.closed_at, case.suspended_at = "closed", now, None
    cancel_open_work(uow, case)
    record(
        uow.session,
        now,
        who,
        "case.close",
        case_id=case.id,
        subject=case.number,
        detail={"reason": reason[:500]},
    )
    return case
