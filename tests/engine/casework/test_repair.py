"""Repairing a case on SQLite and PostgreSQL: suspend holds its timers, resume fires or shifts them by the
one rule, the token moves forward and back keeping data, a waiting timer is cancelled; who may do it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.bpmn import spiff
from engine.casework import cases, deadlines, repair
from engine.casework.read import repair_view
from engine.clock import FrozenClock
from engine.errors import ConcurrencyConflict, NotFound, PermissionDenied, ValidationFailed
from engine.pathways import versions
from engine.pathways.forms import FormCatalog
from engine.people.centres import STAYING
from engine.people.permissions import SYSTEM, Principal
from engine.people.users import create_user, principal_for
from engine.store.models import AuditEvent, Case, CaseTask, Deadline
from engine.store.uow import UnitOfWork
from tests.conftest import FIXTURES
from tests.engine.conftest import World, mini_pathway

INTAKE = cases.Intake(
    centre_code="kc-test",
    display_name="Мария П.",
    legal_basis="referral",
    target_group="domestic_violence",
    referral_number="ДСП-123",
)
REASON = "the person is in hospital for two weeks"


@pytest.fixture
def pathway(make_uow: Callable[[], UnitOfWork], world: World, fixture_forms: FormCatalog) -> None:
    """The repair fixture under the adult pathway's id (open_case picks pathways by id)."""
    text = (
        (FIXTURES / "repair.bpmn")
        .read_text(encoding="utf-8")
        .replace('id="repair"', 'id="crisis_centre_adult"')
    )
    with make_uow() as uow:
        versions.deploy(uow, text.encode("utf-8"), fixture_forms, world.staff["coordinator"], "repair.bpmn")
        uow.commit()


def _open(
    make_uow: Callable[[], UnitOfWork], world: World, forms: FormCatalog, first_done: bool = True
) -> str:
    """A case admitted now; with ``first_done`` its first step is completed (the second waits)."""
    with make_uow() as uow:
        case = cases.open_case(uow, world.staff["social_worker"], INTAKE)
        if first_done:
            row = _open_row(uow, case.id, "first")
            cases.complete_task(
                uow, world.staff["social_worker"], row.public_id, {"note": "first answers"}, forms
            )
        uow.commit()
        return case.public_id


def _case(uow: UnitOfWork, public_id: str) -> Case:
    return uow.session.scalars(select(Case).where(Case.public_id == public_id)).one()


def _open_row(uow: UnitOfWork, case_id: int, element: str) -> CaseTask:
    return uow.session.scalars(
        select(CaseTask).where(
            CaseTask.case_id == case_id, CaseTask.element_id == element, CaseTask.status == "open"
        )
    ).one()


def _open_elements(uow: UnitOfWork, case_id: int) -> list[str]:
    rows = uow.session.scalars(select(CaseTask).where(CaseTask.case_id == case_id, CaseTask.status == "open"))
    return sorted(row.element_id for row in rows)


def _pending(uow: UnitOfWork, case_id: int) -> dict[str, Deadline]:
    rows = uow.session.scalars(
        select(Deadline).where(Deadline.case_id == case_id, Deadline.status == "pending")
    )
    return {row.element_id: row for row in rows}


def _audit(uow: UnitOfWork, case_id: int, action: str) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.case_id == case_id, AuditEvent.action == action)
    return list(uow.session.scalars(query.order_by(AuditEvent.id)))


def test_suspended_case_holds_its_timers_and_resume_keeps_or_shifts_them_by_the_rule(
    make_uow, world, fixture_forms, clock: FrozenClock, pathway
):
    public_id = _open(make_uow, world, fixture_forms)
    coordinator = world.staff["coordinator"]
    with make_uow() as uow:
        case = _case(uow, public_id)
        before = _pending(uow, case.id)
        assert set(before) == {"nudge", "cap"}
        nudge_due, cap_due = before["nudge"].due_at, before["cap"].due_at
        second_due = _open_row(uow, case.id, "second").due_at
        repair.suspend_case(uow, coordinator, public_id, REASON)
        uow.commit()
    clock.advance(timedelta(days=40))  # past the nudge (48 h) and the thirty days from the admission
    assert deadlines.sweep(make_uow) == 0  # the real sweep: nothing of the suspended case fires
    with make_uow() as uow:  # what beat hands the Celery workers, and a worker handed one anyway
        assert deadlines.deadlines_due_by(uow, clock.now()) == []
        assert deadlines.fire_deadline(uow, before["nudge"].id).outcome == "skipped"
    with make_uow() as uow:
        case = _case(uow, public_id)
        assert case.status == "suspended" and set(_pending(uow, case.id)) == {"nudge", "cap"}
        row = _open_row(uow, case.id, "second")
        with pytest.raises(ConcurrencyConflict, match="suspended"):
            cases.complete_task(
                uow, world.staff["social_worker"], row.public_id, {"note": "x"}, fixture_forms
            )
    with make_uow() as uow:
        resumed = repair.resume_case(uow, coordinator, public_id, "back from hospital")
        uow.commit()
    assert resumed.held == timedelta(days=40)
    with make_uow() as uow:
        case = _case(uow, public_id)
        assert case.status == "open" and case.suspended_at is None
        pending = _pending(uow, case.id)
        # counted from when the step began: later by the 40 days held, not fired
        assert set(pending) == {"nudge"} and pending["nudge"].due_at == nudge_due + timedelta(days=40)
        assert _open_row(uow, case.id, "second").due_at == second_due + timedelta(days=40)
        # counted from the admission: kept its date, and fired at once on resume
        cap = uow.session.scalars(
            select(Deadline).where(Deadline.case_id == case.id, Deadline.element_id == "cap")
        ).one()
        assert (cap.status, cap.due_at, cap.fired_at) == ("fired", cap_due, clock.now())
        assert _open_elements(uow, case.id) == ["cap_review", "second"]
        entries = [
            e.action for e in uow.session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id))
        ]
        assert entries.index("case.resume") < entries.index("deadline.fired")
        (suspend,) = _audit(uow, case.id, "case.suspend")
        (resume,) = _audit(uow, case.id, "case.resume")
        assert suspend.detail["reason"] == REASON and suspend.actor_id == coordinator.user_id
        assert resume.detail["reason"] == "back from hospital" and resume.detail["held_seconds"] == 40 * 86400
        assert resume.detail["shifted"] == ["nudge", "second"]


def test_the_rule_is_one_declaration():
    assert repair.shifts_on_resume("PT48H", "started") and repair.shifts_on_resume("P7D", "opened")
    assert not repair.shifts_on_resume("P30D", "admitted_at")  # the law's clock keeps its date
    assert not repair.shifts_on_resume("", "started")  # a date, or a computed value


def test_move_forward_skips_a_step_keeping_data_with_its_task_row_and_deadline(
    make_uow, world, fixture_forms, clock, pathway
):
    public_id = _open(make_uow, world, fixture_forms)
    with make_uow() as uow:
        view = repair_view.repair_view(uow, world.staff["manager"], public_id)
        assert [(t.element_id, t.direction) for t in view.targets] == [
            ("first", "back"),
            ("third", "forward"),
        ]
        repair.move_case(uow, world.staff["manager"], public_id, "third", "the second step was done on paper")
        uow.commit()
    with make_uow() as uow:
        case = _case(uow, public_id)
        assert _open_elements(uow, case.id) == ["third"]
        third = _open_row(uow, case.id, "third")
        assert third.role == "case_lead" and third.due_at == case.admitted_at + timedelta(days=10)
        pending = _pending(uow, case.id)
        assert set(pending) == {"third_nudge", "cap"}  # the skipped step's nudge is gone, the third's waits
        assert pending["third_nudge"].due_at == clock.now() + timedelta(days=3)
        second = uow.session.scalars(
            select(CaseTask).where(CaseTask.element_id == "second", CaseTask.case_id == case.id)
        ).one()
        assert second.status == "cancelled"
        (entry,) = _audit(uow, case.id, "case.move")
        assert entry.detail == {
            "reason": "the second step was done on paper",
            "element": "third",
            "direction": "forward",
            "skipped": ["second"],
        }
        cases.complete_task(uow, world.staff["case_lead"], third.public_id, {"note": "done"}, fixture_forms)
        workflow = cases.load_workflow(uow, case)
        assert spiff.workflow_data(workflow)["note"] == "done"
        assert "first" in spiff.completed_elements(workflow)


def test_move_back_redoes_a_step_with_its_earlier_answers(make_uow, world, fixture_forms, clock, pathway):
    public_id = _open(make_uow, world, fixture_forms)
    with make_uow() as uow:
        repair.move_case(
            uow, world.staff["coordinator"], public_id, "first", "the first note named the wrong school"
        )
        uow.commit()
    with make_uow() as uow:
        case = _case(uow, public_id)
        assert _open_elements(uow, case.id) == ["first"]
        first = _open_row(uow, case.id, "first")
        assert first.draft == {"note": "first answers"} and first.due_at == clock.now() + timedelta(days=1)
        assert set(_pending(uow, case.id)) == {"cap"}  # the second step's nudge went with it
        cases.complete_task(
            uow, world.staff["social_worker"], first.public_id, {"note": "corrected"}, fixture_forms
        )
        assert _open_elements(uow, case.id) == ["second"]
        assert set(_pending(uow, case.id)) == {"nudge", "cap"}


def test_cancel_a_waiting_timer_and_the_case_goes_on(make_uow, world, fixture_forms, clock, pathway):
    public_id = _open(make_uow, world, fixture_forms)
    with make_uow() as uow:
        case = _case(uow, public_id)
        cap = _pending(uow, case.id)["cap"]
        repair.cancel_deadline(
            uow, world.staff["coordinator"], public_id, cap.id, "the review was held early"
        )
        uow.commit()
    clock.advance(timedelta(days=31))
    deadlines.sweep(make_uow)
    with make_uow() as uow:
        case = _case(uow, public_id)
        assert uow.session.get(Deadline, cap.id).status == "cancelled"
        assert set(_pending(uow, case.id)) == set()  # the nudge fired; the cap never will
        assert _open_elements(uow, case.id) == ["second"]
        (entry,) = _audit(uow, case.id, "deadline.cancel")
        assert entry.detail["reason"] == "the review was held early" and entry.detail["element"] == "cap"
        row = _open_row(uow, case.id, "second")
        cases.complete_task(uow, world.staff["social_worker"], row.public_id, {"note": "x"}, fixture_forms)
        assert _open_elements(uow, case.id) == ["third"]


def test_wrong_input_names_the_field_and_changes_nothing(make_uow, world, fixture_forms, pathway):
    public_id = _open(make_uow, world, fixture_forms)
    coordinator = world.staff["coordinator"]
    with make_uow() as uow:
        with pytest.raises(ValidationFailed) as refused:
            repair.suspend_case(uow, coordinator, public_id, "   ")
        assert refused.value.fields == {"reason": [repair.REASON_REQUIRED]}
        with pytest.raises(ValidationFailed) as refused:
            repair.suspend_case(uow, coordinator, public_id, "x" * 501)
        assert refused.value.fields == {"reason": [repair.REASON_TOO_LONG]}
        with pytest.raises(ValidationFailed) as refused:
            repair.suspend_case(uow, coordinator, public_id, "nul\x00")
        assert refused.value.fields == {"reason": [repair.REASON_UNSTORABLE]}
        with pytest.raises(ValidationFailed) as refused:
            repair.move_case(uow, coordinator, public_id, "cap_review", REASON)  # not reachable by skipping
        assert refused.value.fields == {"element_id": [repair.NOT_A_TARGET]}
        with pytest.raises(ValidationFailed) as refused:
            repair.move_case(uow, coordinator, public_id, "no_such_step", REASON)
        assert "element_id" in refused.value.fields
        with pytest.raises(ValidationFailed) as refused:
            repair.cancel_deadline(uow, coordinator, public_id, 999_999, REASON)
        assert refused.value.fields == {"deadline": [repair.NOT_PENDING]}
        with pytest.raises(ValidationFailed) as refused:
            repair.resume_case(uow, coordinator, public_id, REASON)
        assert refused.value.fields == {"case": [repair.NOT_SUSPENDED]}
        cases.close_case(uow, world.staff["manager"], public_id, "left")
        for act in (
            lambda: repair.suspend_case(uow, coordinator, public_id, REASON),
            lambda: repair.move_case(uow, coordinator, public_id, "first", REASON),
        ):
            with pytest.raises(ValidationFailed) as refused:
                act()
            assert refused.value.fields == {"case": [repair.CASE_CLOSED]}
        assert _audit(uow, _case(uow, public_id).id, "case.suspend") == []


def test_who_may_repair(make_uow, world, fixture_forms, pathway):
    public_id = _open(make_uow, world, fixture_forms)
    with make_uow() as uow:
        second_coordinator = principal_for(
            create_user(uow, SYSTEM, "t-coord-2", "correct horse battery", "kc-test", "coordinator")
        )
        other_coordinator = principal_for(
            create_user(uow, SYSTEM, "o-coord", "correct horse battery", "kc-other", "coordinator")
        )
        other_manager = principal_for(
            create_user(uow, SYSTEM, "o-manager", "correct horse battery", "kc-other", "manager")
        )
        uow.commit()
    refused: dict[str, Principal] = {
        "other centre's coordinator": other_coordinator,
        "other centre's manager": other_manager,
        "outsider": world.outsider,
    }
    with make_uow() as uow:
        for who in refused.values():  # another centre's case does not exist for them
            with pytest.raises(NotFound):
                repair.suspend_case(uow, who, public_id, REASON)
            with pytest.raises(NotFound):
                repair_view.repair_view(uow, who, public_id)
        for role in ("social_worker", "psychologist", "case_lead"):  # they read the case, but repair nothing
            with pytest.raises(PermissionDenied):
                repair.suspend_case(uow, world.staff[role], public_id, REASON)
            with pytest.raises(PermissionDenied):
                repair.move_case(uow, world.staff[role], public_id, "first", REASON)
        with pytest.raises(NotFound):
            repair.suspend_case(uow, world.staff["admin"], public_id, REASON)
        view = repair_view.repair_view(uow, second_coordinator, public_id)
        assert not view.can_open_case and view.number.startswith("KC-TEST-")
        assert [step.element_id for step in view.steps] == ["second"]
        repair.suspend_case(uow, second_coordinator, public_id, REASON)
        repair.resume_case(uow, world.staff["manager"], public_id, "manager resumes")
        assert repair_view.find_case_id(uow, world.staff["coordinator"], view.number) == public_id
        with pytest.raises(NotFound):
            repair_view.find_case_id(uow, other_coordinator, view.number)


def test_suspended_cases_are_listed_and_take_a_place(make_uow, world, fixture_forms, pathway):
    public_id = _open(make_uow, world, fixture_forms, first_done=False)
    with make_uow() as uow:
        repair.suspend_case(uow, world.staff["coordinator"], public_id, REASON)
        listed = repair_view.suspended_cases(uow, world.staff["manager"])
        assert [row[0] for row in listed] == [public_id]
        assert repair_view.suspended_cases(uow, world.staff["social_worker"]) == []
        assert "suspended" in STAYING
        with pytest.raises(ValidationFailed):
            repair.move_case(uow, world.staff["coordinator"], public_id, "second", REASON)


def test_a_case_stopped_by_an_error_is_moved_back_to_redo_the_step_before_it(make_uow, world, fixture_forms):
    broken = mini_pathway(replace={'risk_score = 3 if risk == "high" else 1': "risk_score = 1 / 0"})
    with make_uow() as uow:
        versions.deploy(uow, broken, fixture_forms, world.staff["coordinator"], "broken.bpmn")
        case = cases.open_case(uow, world.staff["social_worker"], INTAKE)
        row = _open_row(uow, case.id, "assess")
        answers = {"note": "x", "risk": "low"}
        cases.complete_task(uow, world.staff["social_worker"], row.public_id, answers, fixture_forms)
        assert case.status == "incident"
        view = repair_view.repair_view(uow, world.staff["coordinator"], case.public_id)
        assert [(t.element_id, t.direction) for t in view.targets] == [("assess", "back")]
        repair.move_case(uow, world.staff["coordinator"], case.public_id, "assess", "redo before the script")
        assert case.status == "open" and case.incident_element == ""
        assert _open_elements(uow, case.id) == ["assess"]
        assert _open_row(uow, case.id, "assess").draft == answers
