"""Case services on SQLite and PostgreSQL: open, complete, conflicts, incidents, atomicity, audit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from engine.audit import chain
from engine.bpmn import spiff
from engine.casework import cases, deadlines
from engine.clock import FrozenClock, parse_instant
from engine.config import PROJECT_ROOT
from engine.errors import ConcurrencyConflict, NotFound, PermissionDenied, ValidationFailed
from engine.pathways import versions
from engine.pathways.forms import FormCatalog
from engine.people.centres import occupancy
from engine.store.models import AuditEvent, Case, CaseTask, Centre, Deadline
from engine.store.uow import UnitOfWork
from tests.engine.conftest import World, mini_pathway

INTAKE = cases.Intake(
    centre_code="kc-test",
    display_name="Мария П.",
    legal_basis="referral",
    target_group="domestic_violence",
    referral_number="ДСП-123",
)


def open_one(make_uow: Callable[[], UnitOfWork], world: World) -> str:
    with make_uow() as uow:
        case = cases.open_case(uow, world.staff["social_worker"], INTAKE)
        uow.commit()
        return case.public_id


def open_tasks(uow: UnitOfWork, case_public_id: str) -> list[CaseTask]:
    case = uow.session.scalar(select(Case).where(Case.public_id == case_public_id))
    assert case is not None
    query = (
        select(CaseTask).where(CaseTask.case_id == case.id, CaseTask.status == "open").order_by(CaseTask.id)
    )
    return list(uow.session.scalars(query))


def test_open_case_runs_to_first_task_with_due_date_and_source(make_uow, world, clock):
    public_id = open_one(make_uow, world)
    with make_uow() as uow:
        case = uow.session.scalar(select(Case).where(Case.public_id == public_id))
        assert case.status == "open" and case.number == "KC-TEST-2025-0001"
        [task] = open_tasks(uow, public_id)
        assert (task.name, task.role, task.form_key) == ("Initial assessment", "social_worker", "note")
        assert task.due_at == clock.now() + timedelta(hours=24)
        assert task.legal_source == "ЗСУ чл. 77(3)"
        actions = uow.session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case.id)).all()
        assert actions == ["case.open"]


def test_intake_errors_name_fields_and_store_nothing(make_uow, world):
    bad = cases.Intake(centre_code="kc-test", display_name=" ", legal_basis="rumour", target_group="x")
    with make_uow() as uow, pytest.raises(ValidationFailed) as info:
        cases.open_case(uow, world.staff["social_worker"], bad)
    assert set(info.value.fields) == {"display_name", "legal_basis", "target_group"}
    with make_uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Case)) == 0


def test_outsider_and_wrong_roles_are_refused(make_uow, world, fixture_forms):
    with make_uow() as uow, pytest.raises(PermissionDenied):
        cases.open_case(uow, world.outsider, INTAKE)
    public_id = open_one(make_uow, world)
    with make_uow() as uow:
        task_id = open_tasks(uow, public_id)[0].public_id
    with make_uow() as uow, pytest.raises(NotFound):  # another centre's task does not exist for them
        cases.complete_task(uow, world.outsider, task_id, {"note": "x", "risk": "low"}, fixture_forms)
    with make_uow() as uow, pytest.raises(PermissionDenied):  # the lane says social worker
        cases.complete_task(
            uow, world.staff["psychologist"], task_id, {"note": "x", "risk": "low"}, fixture_forms
        )


def test_invalid_form_data_gives_field_errors_and_changes_nothing(make_uow, world, fixture_forms):
    public_id = open_one(make_uow, world)
    with make_uow() as uow:
        task_id = open_tasks(uow, public_id)[0].public_id
    with make_uow() as uow, pytest.raises(ValidationFailed) as info:
        cases.complete_task(
            uow, world.staff["social_worker"], task_id, {"risk": "extreme", "x": 1}, fixture_forms
        )
    assert set(info.value.fields) == {"note", "risk", "x"}
    with make_uow() as uow:
        [task] = open_tasks(uow, public_id)
        assert task.public_id == task_id and task.data is None


def test_complete_moves_case_on_and_creates_deadline_rows(make_uow, world, fixture_forms, clock):
    public_id = open_one(make_uow, world)
    with make_uow() as uow:
        task_id = open_tasks(uow, public_id)[0].public_id
    with make_uow() as uow:
        case = cases.complete_task(
            uow, world.staff["social_worker"], task_id, {"note": "ok", "risk": "high"}, fixture_forms
        )
        uow.commit()
    with make_uow() as uow:
        assert open_tasks(uow, public_id) == []
        rows = uow.session.scalars(
            select(Deadline).where(Deadline.case_id == case.id).order_by(Deadline.due_at)
        ).all()
        assert [(r.element_id, r.due_at) for r in rows] == [
            ("wait_month", parse_instant("2025-09-30T10:00:00+03:00")),
            ("exit_planning_due", parse_instant("2026-01-31T10:00:00+02:00")),
            ("cap", parse_instant("2026-02-28T10:00:00+02:00")),
        ]
        done = uow.session.scalar(select(CaseTask).where(CaseTask.public_id == task_id))
        assert done.status == "completed" and done.data == {"note": "ok", "risk": "high"}
        # how each date was counted, for the case page: a literal duration and its anchor, or nothing
        assert (done.due_duration, done.due_from) == ("PT24H", "opened")
        assert [(r.due_duration, r.due_from) for r in rows] == [("P1M", "started"), ("", ""), ("", "")]


def stale_reader(factory, clock) -> UnitOfWork:
    """A unit of work opened as a reader (plain BEGIN): on SQLite a writer waits for the write lock
    before it reads, so only a transaction that began as a reader can hold stale data and then write."""
    return UnitOfWork(factory, clock, writer=False)


def test_second_completion_of_same_task_is_a_conflict_and_state_is_intact(
    make_committed_uow, committed_world, fixture_forms, committed_factory, clock
):
    make_uow, world = make_committed_uow, committed_world
    public_id = open_one(make_uow, world)
    with make_uow() as uow:
        task_id = open_tasks(uow, public_id)[0].public_id
    with (
        pytest.raises(ConcurrencyConflict),
        make_uow() as first,
        stale_reader(committed_factory, clock) as second,
    ):
        cases.get_task(second, task_id)  # the second session has read the task before the first commits
        cases.complete_task(first, world.staff["social_worker"], task_id, {"note": "first"}, fixture_forms)
        first.commit()
        # PostgreSQL sees the first commit and says "already completed"; SQLite's older snapshot
        # cannot write after it and the unit of work reports the same conflict.
        cases.complete_task(second, world.staff["social_worker"], task_id, {"note": "second"}, fixture_forms)
        second.commit()
    with make_uow() as uow:
        done = uow.session.scalar(select(CaseTask).where(CaseTask.public_id == task_id))
        assert done.data == {"note": "first"}


def test_version_counter_turns_lost_update_into_conflict(
    make_committed_uow, committed_world, committed_factory, clock
):
    make_uow, world = make_committed_uow, committed_world
    public_id = open_one(make_uow, world)
    with (
        pytest.raises(ConcurrencyConflict),
        make_uow() as first,
        stale_reader(committed_factory, clock) as second,
    ):
        a = first.session.scalar(select(Case).where(Case.public_id == public_id))
        b = second.session.scalar(select(Case).where(Case.public_id == public_id))
        a.display_name = "A"
        first.commit()
        b.display_name = "B"
        second.commit()
    with make_uow() as uow:
        assert uow.session.scalar(select(Case.display_name).where(Case.public_id == public_id)) == "A"


def test_failure_in_the_middle_leaves_no_partial_write(make_uow, world, fixture_forms, monkeypatch):
    public_id = open_one(make_uow, world)
    with make_uow() as uow:
        task_id = open_tasks(uow, public_id)[0].public_id
        stored = uow.session.scalar(select(Case).where(Case.public_id == public_id))
        before, version = stored.workflow_state, stored.version
        audit_count = uow.session.scalar(select(func.count()).select_from(AuditEvent))

    def broken_sync(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(cases, "sync_case", broken_sync)
    with make_uow() as uow, pytest.raises(RuntimeError):
        cases.complete_task(
            uow, world.staff["social_worker"], task_id, {"note": "x", "risk": "low"}, fixture_forms
        )
        uow.commit()
    with make_uow() as uow:
        case = uow.session.scalar(select(Case).where(Case.public_id == public_id))
        assert case.workflow_state == before and case.version == version
        assert [t.public_id for t in open_tasks(uow, public_id)] == [task_id]
        assert uow.session.scalar(select(func.count()).select_from(AuditEvent)) == audit_count


def test_runtime_error_parks_case_as_incident(make_uow, world, fixture_forms):
    broken = mini_pathway(replace={'risk_score = 3 if risk == "high" else 1': "risk_score = 1 / 0"})
    with make_uow() as uow:
        versions.deploy(uow, broken, fixture_forms, world.staff["coordinator"], "broken.bpmn")
        uow.commit()
    public_id = open_one(make_uow, world)
    with make_uow() as uow:
        task_id = open_tasks(uow, public_id)[0].public_id
        case = cases.complete_task(
            uow, world.staff["social_worker"], task_id, {"note": "x", "risk": "low"}, fixture_forms
        )
        uow.commit()
    with make_uow() as uow:
        case = uow.session.scalar(select(Case).where(Case.public_id == public_id))
        assert case.status == "incident"
        assert case.incident_element == "score" and case.incident_problem == "division_by_zero"
        done = uow.session.scalar(select(CaseTask).where(CaseTask.public_id == task_id))
        assert done.status == "completed"  # the person's work is kept
    with make_uow() as uow:
        cases.retry_incident(uow, world.staff["manager"], public_id)
        uow.commit()
    with make_uow() as uow:
        assert uow.session.scalar(select(Case.status).where(Case.public_id == public_id)) == "incident"


def test_deadline_fires_once_and_moves_case_on(make_uow, world, fixture_forms, clock: FrozenClock):
    public_id = open_one(make_uow, world)
    with make_uow() as uow:
        task_id = open_tasks(uow, public_id)[0].public_id
        cases.complete_task(
            uow, world.staff["social_worker"], task_id, {"note": "x", "risk": "low"}, fixture_forms
        )
        uow.commit()
    clock.set(parse_instant("2025-09-30T10:00:05+03:00"))
    with make_uow() as uow:
        [due_id] = deadlines.due_deadline_ids(uow, clock.now())
    with make_uow() as uow:
        assert deadlines.fire_deadline(uow, due_id).outcome == "fired"
        uow.commit()
    with make_uow() as uow:
        assert deadlines.fire_deadline(uow, due_id).outcome == "already"
        [review] = open_tasks(uow, public_id)
        assert review.name == "Plan review" and review.role == "case_lead"
        fired = uow.session.get(Deadline, due_id)
        assert fired.status == "fired" and (fired.fired_at - fired.due_at) == timedelta(seconds=5)


def test_signal_creates_reassessment(make_uow, world, fixture_forms):
    public_id = open_one(make_uow, world)
    with make_uow() as uow:
        with pytest.raises(ValidationFailed):  # not waiting for it before the stay begins
            cases.signal_case(uow, world.staff["psychologist"], public_id, "risk_changed")
        task_id = open_tasks(uow, public_id)[0].public_id
        cases.complete_task(
            uow, world.staff["social_worker"], task_id, {"note": "x", "risk": "low"}, fixture_forms
        )
        cases.signal_case(uow, world.staff["psychologist"], public_id, "risk_changed")
        uow.commit()
    with make_uow() as uow:
        assert [t.name for t in open_tasks(uow, public_id)] == ["Re-assessment"]


def test_a_signal_nothing_catches_is_refused_and_changes_nothing(make_uow, world, fixture_forms, monkeypatch):
    public_id = open_one(make_uow, world)
    with make_uow() as uow:
        task_id = open_tasks(uow, public_id)[0].public_id
        cases.complete_task(
            uow, world.staff["social_worker"], task_id, {"note": "x", "risk": "low"}, fixture_forms
        )
        uow.commit()
    with make_uow() as uow:
        stored = uow.session.scalar(select(Case).where(Case.public_id == public_id))
        before = (stored.workflow_state, stored.version, stored.status)
        tasks = [t.public_id for t in open_tasks(uow, public_id)]
        audit_count = uow.session.scalar(select(func.count()).select_from(AuditEvent))
    # The pathway lists the event as awaited, but delivering it finds no catcher (spiff.signal is False).
    monkeypatch.setattr(spiff, "signal", lambda workflow, name, payload=None: False)
    with make_uow() as uow, pytest.raises(ValidationFailed) as info:
        cases.signal_case(uow, world.staff["psychologist"], public_id, "risk_changed")
        uow.commit()
    assert info.value.fields == {"signal": ["risk_changed"]}
    with make_uow() as uow:
        stored = uow.session.scalar(select(Case).where(Case.public_id == public_id))
        assert (stored.workflow_state, stored.version, stored.status) == before
        assert [t.public_id for t in open_tasks(uow, public_id)] == tasks
        assert uow.session.scalar(select(func.count()).select_from(AuditEvent)) == audit_count


def test_audit_chain_verifies_and_detects_tampering(make_uow, world, clock):
    open_one(make_uow, world)
    with make_uow() as uow:
        assert chain.seal(uow.session) >= 3
        checked, broken = chain.verify(uow.session, clock.now())
        assert broken is None and checked >= 3
        row = uow.session.scalar(select(AuditEvent).where(AuditEvent.action == "case.open"))
        row.detail = {"pathway": "something else"}
        uow.session.flush()
        uow.session.expire_all()
        _, broken = chain.verify(uow.session, clock.now())
        assert broken is not None and broken.entry_id == row.id


def test_audit_verify_names_the_first_row_whose_link_was_removed(make_uow, world, clock):
    open_one(make_uow, world)
    with make_uow() as uow:
        chain.seal(uow.session)
        first, second = uow.session.scalars(select(AuditEvent).order_by(AuditEvent.seq).limit(2)).all()
        uow.session.delete(first)
        uow.session.flush()
        uow.session.expire_all()
        checked, broken = chain.verify(uow.session, clock.now())
        assert checked == 0 and broken is not None and broken.entry_id == second.id


def test_audit_reports_an_entry_left_unsealed_too_long(make_uow, world, clock):
    with make_uow() as uow:
        chain.seal(uow.session)
        uow.commit()
    public_id = open_one(make_uow, world)
    with make_uow() as uow:
        assert chain.verify(uow.session, clock.now())[1] is None  # just written: the sealer has time
        later = clock.now() + chain.SEAL_GRACE + timedelta(seconds=1)
        _, broken = chain.verify(uow.session, later)
        opened = uow.session.scalar(select(AuditEvent.id).where(AuditEvent.subject.like("KC-TEST-%")))
        assert broken is not None and broken.entry_id == opened and "not sealed" in broken.reason
        chain.seal(uow.session)
        assert chain.verify(uow.session, later)[1] is None
    assert public_id


def test_anchor_catches_a_rewritten_head(make_uow, world, clock):
    open_one(make_uow, world)
    with make_uow() as uow:
        chain.seal(uow.session)
        published = chain.head(uow.session)
        assert published is not None and chain.check_anchors(uow.session, [published]) is None
        # Rewrite the last row and seal it again: the chain itself is consistent once more …
        row = uow.session.scalar(select(AuditEvent).where(AuditEvent.seq == published.seq))
        row.subject, row.seq, row.prev_hash, row.hash = "forged", None, None, None
        uow.session.flush()
        chain.seal(uow.session)
        assert chain.verify(uow.session, clock.now())[1] is None
        # … but it no longer contains the head published before.
        assert chain.check_anchors(uow.session, [published]) == published


def test_completing_the_task_that_ends_the_stay_frees_the_place(make_uow, world, fixture_forms, clock):
    """A task marked ends_stay: once done, the person has left; the case stays open for what follows."""
    leaving = {
        '<spiffworkflow:property name="role" value="social_worker"/>': (
            '<spiffworkflow:property name="role" value="social_worker"/>'
            '<spiffworkflow:property name="ends_stay" value="true"/>'
        )
    }
    with make_uow() as uow:
        versions.deploy(
            uow, mini_pathway(replace=leaving), fixture_forms, world.staff["coordinator"], "x.bpmn"
        )
        uow.commit()
    public_id = open_one(make_uow, world)
    with make_uow() as uow:
        centre = uow.session.get(Centre, world.centre_id)
        assert occupancy(uow, centre).open_cases == 1
        [task] = open_tasks(uow, public_id)
        assert task.ends_stay
        clock.advance(timedelta(days=3))
        case = cases.complete_task(
            uow, world.staff["social_worker"], task.public_id, {"note": "ok", "risk": "low"}, fixture_forms
        )
        uow.commit()
    with make_uow() as uow:
        case = uow.session.scalar(select(Case).where(Case.public_id == public_id))
        assert case.status == "open" and case.left_at == clock.now()
        assert occupancy(uow, uow.session.get(Centre, world.centre_id)).open_cases == 0


def test_the_date_of_an_order_or_a_referral_is_an_anchor_in_the_start_data():
    admitted = parse_instant("2025-08-31T10:00:00+03:00")
    order = Case(number="KC-1", admitted_at=admitted, legal_basis="order", target_group="other")
    order.referral_date = date(2025, 8, 29)
    data = cases.start_data(order, 9, {})
    assert (data["order_date"], data["referral_date"]) == ("2025-08-29", "2025-08-29")
    assert cases.start_data(order, 9, {"order_date": "2025-08-28"})["order_date"] == "2025-08-28"
    referral = Case(number="KC-2", admitted_at=admitted, legal_basis="referral", target_group="other")
    referral.referral_date = date(2025, 8, 20)
    assert (
        cases.start_data(referral, 30, {})["order_date"],
        cases.start_data(referral, 30, {})["referral_date"],
    ) == (
        None,
        "2025-08-20",
    )


def test_a_task_opens_with_what_its_pathway_prefills_as_its_draft(make_uow, world, fixture_forms):
    """``prefill_<form>`` set by a preScript: the value a form's single default cannot give per pathway."""
    prefilled = mini_pathway(
        replace={
            '<bpmn:userTask id="assess" name="Initial assessment">\n      <bpmn:extensionElements>': (
                '<bpmn:userTask id="assess" name="Initial assessment">\n      <bpmn:extensionElements>'
                '<spiffworkflow:preScript>prefill_note = {"risk": "high", "nested": {"x": 1}}'
                "</spiffworkflow:preScript>"
            )
        }
    )
    with make_uow() as uow:
        versions.deploy(uow, prefilled, fixture_forms, world.staff["coordinator"], "prefill.bpmn")
        uow.commit()
    public_id = open_one(make_uow, world)
    with make_uow() as uow:
        [task] = open_tasks(uow, public_id)
        assert task.draft == {"risk": "high"}  # simple values only


def test_a_field_required_for_this_case_is_refused_empty_and_nothing_changes(make_uow, world, fixture_forms):
    """x-required-when reads what the case knows (a referral) and the form's own answers (high risk)."""
    form = '<spiffworkflow:property name="form" value="{}"/>'
    signed = {form.format("note"): form.format("signed_note")}
    with make_uow() as uow:
        versions.deploy(
            uow, mini_pathway(replace=signed), fixture_forms, world.staff["coordinator"], "s.bpmn"
        )
        uow.commit()
    public_id = open_one(make_uow, world)
    worker = world.staff["social_worker"]
    with make_uow() as uow:
        task_id = open_tasks(uow, public_id)[0].public_id
        low = {"note": "x", "risk": "low"}
        cases.complete_task(uow, worker, task_id, low, fixture_forms)  # low risk: not required
        uow.rollback()
    with make_uow() as uow, pytest.raises(ValidationFailed) as refused:
        cases.complete_task(uow, worker, task_id, {"note": "x", "risk": "high"}, fixture_forms)
    assert refused.value.fields == {"signed": ["Required for this case."]}
    with make_uow() as uow:
        assert [t.status for t in open_tasks(uow, public_id)] == ["open"]
        cases.complete_task(
            uow, worker, task_id, {"note": "x", "risk": "high", "signed": True}, fixture_forms
        )
        uow.commit()
    with make_uow() as uow:
        assert open_tasks(uow, public_id) == []


def test_a_child_of_14_or_more_cosigns_the_plan():
    forms = FormCatalog(PROJECT_ROOT / "workflows" / "forms")
    plan = forms.get("child_support_plan").defaults()
    assert plan["child_cosigned"] is False
    forms.validate("child_support_plan", plan)  # no case data (a draft, a preview): the rule is not read
    forms.validate("child_support_plan", plan, {"age": 12})
    forms.validate("child_support_plan", plan, {"age": None})  # the age is unknown: nothing to apply
    with pytest.raises(ValidationFailed) as refused:
        forms.validate("child_support_plan", plan, {"age": 15})
    assert refused.value.fields == {"child_cosigned": ["Required for this case."]}
    forms.validate("child_support_plan", {**plan, "child_cosigned": True}, {"age": 15})
