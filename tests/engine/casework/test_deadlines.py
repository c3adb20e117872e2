"""Deadlines on SQLite and PostgreSQL with a frozen clock: the index, calendar months, daylight saving,
downtime and lateness, deadlines that fire together, and the sweep's record for /healthz."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import event, insert, select, text

from engine.casework import cases, deadlines
from engine.clock import parse_instant
from engine.pathways import versions
from engine.store.models import AuditEvent, Case, CaseTask, Deadline
from tests.conftest import WORKFLOWS
from tests.timer_support import clone_case, deploy, intake, open_in_stay, open_task_names

ONE_SECOND = timedelta(seconds=1)


def pending_by_element(uow, case_id):
    rows = uow.session.scalars(
        select(Deadline).where(Deadline.case_id == case_id, Deadline.status == "pending")
    )
    return {row.element_id: row for row in rows}


def fired_audits(uow, case_id=None):
    query = select(AuditEvent).where(AuditEvent.action == "deadline.fired").order_by(AuditEvent.id)
    if case_id is not None:
        query = query.where(AuditEvent.case_id == case_id)
    return list(uow.session.scalars(query))


@dataclass(frozen=True)
class StayPathway:
    """Where a pathway keeps its exit-planning and cap timers and the tasks they start."""

    exit_timer: str
    cap_timer: str
    exit_task: str
    decision_task: str
    shipped: bool


FIXTURE = StayPathway("exit_planning_due", "cap", "exit_planning", "exit_decision", shipped=False)
SHIPPED = StayPathway(
    "Timer_ExitPlanning", "Timer_Cap", "Task_ExitPlanning", "Task_ExitDecision", shipped=True
)


def open_case_in_stay(make_uow, world, pathway: StayPathway, fixture_forms, forms, clock) -> int:
    """On the fixture pathway, or on the shipped one (deployed with the shipped forms, admission done)."""
    if not pathway.shipped:
        return open_in_stay(make_uow, world, fixture_forms, clock)[0]
    with make_uow() as uow:
        versions.deploy_shipped_pathway(
            uow, WORKFLOWS, "crisis_centre_adult", forms, world.staff["coordinator"]
        )
        case_id = cases.open_case(uow, world.staff["social_worker"], intake(clock.now())).id
        uow.commit()
    for _ in range(5):  # complete the first tasks with their forms' defaults until the stay has begun
        with make_uow() as uow:
            if pathway.cap_timer in pending_by_element(uow, case_id):
                return case_id
            task = uow.session.scalar(
                select(CaseTask)
                .where(CaseTask.case_id == case_id, CaseTask.status == "open")
                .order_by(CaseTask.id)
            )
            who = next(p for p in world.staff.values() if p.role_in(world.centre_id) == task.role)
            cases.complete_task(uow, who, task.public_id, forms.get(task.form_key).defaults(), forms)
            uow.commit()
    raise AssertionError("the shipped pathway's stay did not begin after its first tasks")


def open_elements(uow, case_id) -> set[str]:
    query = select(CaseTask.element_id).where(CaseTask.case_id == case_id, CaseTask.status == "open")
    return set(uow.session.scalars(query))


@pytest.mark.parametrize("pathway", [FIXTURE, SHIPPED], ids=["fixture", "shipped"])
@pytest.mark.parametrize(
    ("admission", "exit_planning", "cap"),
    [
        # month ends: 31 Aug + P5M = 31 Jan, + P6M = 28 Feb, or 29 Feb in a leap year
        ("2025-08-31T10:00:00+03:00", "2026-01-31T10:00:00+02:00", "2026-02-28T10:00:00+02:00"),
        ("2023-08-31T10:00:00+03:00", "2024-01-31T10:00:00+02:00", "2024-02-29T10:00:00+02:00"),
        # daylight saving: the local hour is kept across the October and the March change
        ("2025-10-25T10:00:00+03:00", "2026-03-25T10:00:00+02:00", "2026-04-25T10:00:00+03:00"),
        ("2026-03-28T10:00:00+02:00", "2026-08-28T10:00:00+03:00", "2026-09-28T10:00:00+03:00"),
        # both at once: late in the evening on a month end
        ("2025-09-30T23:30:00+03:00", "2026-02-28T23:30:00+02:00", "2026-03-30T23:30:00+03:00"),
    ],
    ids=["31aug", "31aug-leap", "dst-october", "dst-march", "month-end-night"],
)
def test_exit_planning_at_p5m_and_cap_at_p6m(
    make_uow, world, fixture_forms, forms, clock, pathway, admission, exit_planning, cap
):
    exit_planning, cap = parse_instant(exit_planning), parse_instant(cap)
    clock.set(parse_instant(admission))
    case_id = open_case_in_stay(make_uow, world, pathway, fixture_forms, forms, clock)
    with make_uow() as uow:
        rows = pending_by_element(uow, case_id)
        assert (rows[pathway.exit_timer].due_at, rows[pathway.cap_timer].due_at) == (exit_planning, cap)

    def sweep_at(moment):
        clock.set(moment)
        deadlines.sweep(make_uow)
        with make_uow() as uow:
            assert uow.session.get(Case, case_id).status == "open"
            return open_elements(uow, case_id)

    assert pathway.exit_task not in sweep_at(exit_planning - ONE_SECOND)
    assert pathway.exit_task in sweep_at(exit_planning)
    assert pathway.decision_task not in sweep_at(cap - ONE_SECOND)
    assert pathway.decision_task in sweep_at(cap)
    with make_uow() as uow:
        decision = uow.session.scalar(select(CaseTask).where(CaseTask.element_id == pathway.decision_task))
        assert decision.role == "manager" and decision.created_at == cap
        [cap_audit] = [a for a in fired_audits(uow, case_id) if a.detail["element"] == pathway.cap_timer]
        assert cap_audit.detail["lateness_seconds"] == 0
        assert pathway.cap_timer not in pending_by_element(uow, case_id)


def test_p1d_keeps_the_local_hour_across_the_october_change(make_uow, world, fixture_forms, clock):
    """P1D from 25 Oct 2025 10:00 Sofia is 26 Oct 10:00: 25 hours of wall time, not 24."""
    replace = {"<bpmn:timeDuration>P1M</bpmn:timeDuration>": "<bpmn:timeDuration>P1D</bpmn:timeDuration>"}
    deploy(make_uow, world, fixture_forms, replace)
    clock.set(parse_instant("2025-10-25T10:00:00+03:00"))
    case_id, _ = open_in_stay(make_uow, world, fixture_forms, clock)
    due = parse_instant("2025-10-26T10:00:00+02:00")
    with make_uow() as uow:
        assert pending_by_element(uow, case_id)["wait_month"].due_at == due
    assert due - clock.now() == timedelta(hours=25)
    clock.set(due - ONE_SECOND)
    assert deadlines.sweep(make_uow) == 0
    clock.set(due)
    assert deadlines.sweep(make_uow) == 1
    with make_uow() as uow:
        assert open_task_names(uow, case_id) == ["Plan review"]


def test_deadlines_due_while_everything_was_down_fire_once_with_their_lateness(
    make_uow, world, fixture_forms, clock
):
    case_id, _ = open_in_stay(make_uow, world, fixture_forms, clock)
    with make_uow() as uow:
        month = pending_by_element(uow, case_id)["wait_month"].due_at
    clock.set(month + timedelta(hours=3, seconds=7))  # the machines come back three hours late
    assert deadlines.sweep(make_uow) == 1
    assert deadlines.sweep(make_uow) == 0
    with make_uow() as uow:
        [audit] = fired_audits(uow, case_id)
        assert audit.detail["lateness_seconds"] == 3 * 3600 + 7
        row = uow.session.get(Deadline, audit.detail["deadline"])
        assert row.status == "fired" and row.fired_at - row.due_at == timedelta(hours=3, seconds=7)


def test_deadlines_that_fire_in_one_step_are_each_audited_and_counted(make_uow, world, fixture_forms, clock):
    case_id, _ = open_in_stay(make_uow, world, fixture_forms, clock)
    with make_uow() as uow:
        rows = pending_by_element(uow, case_id)
        cap = rows["cap"].due_at
    clock.set(cap + timedelta(days=2))  # the month, exit planning and the cap are all overdue
    assert deadlines.sweep(make_uow) == 3
    with make_uow() as uow:
        audits = fired_audits(uow, case_id)
        assert sorted(a.detail["element"] for a in audits) == ["cap", "exit_planning_due", "wait_month"]
        assert len({a.detail["deadline"] for a in audits}) == 3
        assert "Exit decision" in open_task_names(uow, case_id)


def test_duplicate_fire_is_a_no_op(make_uow, world, fixture_forms, clock):
    case_id, _ = open_in_stay(make_uow, world, fixture_forms, clock)
    with make_uow() as uow:
        month = pending_by_element(uow, case_id)["wait_month"]
        month_id, due_at = month.id, month.due_at
    clock.set(due_at)
    outcomes = []
    for _ in range(3):
        with make_uow() as uow:
            outcomes.append(deadlines.fire_deadline(uow, month_id).outcome)
            uow.commit()
    assert outcomes == ["fired", "already", "already"]
    with make_uow() as uow:
        assert len(fired_audits(uow, case_id)) == 1
        assert open_task_names(uow, case_id) == ["Plan review"]


def test_not_yet_due_and_incident_cases_are_left_alone(make_uow, world, fixture_forms, clock):
    case_id, _ = open_in_stay(make_uow, world, fixture_forms, clock)
    with make_uow() as uow:
        month = pending_by_element(uow, case_id)["wait_month"]
        assert deadlines.fire_deadline(uow, month.id).outcome == "not_due"
        uow.session.get(Case, case_id).status = "incident"
        uow.commit()
    clock.set(month.due_at + ONE_SECOND)
    with make_uow() as uow:
        assert deadlines.due_deadline_ids(uow, clock.now()) == []  # parked cases never block the sweep
        assert deadlines.fire_deadline(uow, month.id).outcome == "skipped"


def test_sweep_records_its_run_for_health(make_uow, world, clock):
    with make_uow() as uow:
        assert deadlines.last_sweep(uow) is None
    deadlines.sweep(make_uow, runner="embedded")
    clock.advance(timedelta(seconds=30))
    deadlines.sweep(make_uow, runner="embedded")
    with make_uow() as uow:
        run = deadlines.last_sweep(uow)
        assert (run.at, run.due, run.fired, run.runner) == (clock.now(), 0, 0, "embedded")


def test_sweep_works_through_more_than_one_batch(make_uow, world, fixture_forms, clock):
    case_id, _ = open_in_stay(make_uow, world, fixture_forms, clock)
    with make_uow() as uow:
        clone_case(uow, case_id, 7)
        month = pending_by_element(uow, case_id)["wait_month"].due_at
        uow.commit()
    clock.set(month)
    assert deadlines.sweep(make_uow, limit=3) == 8


def emitted_sql(uow, work) -> list[tuple[str, object]]:
    """The statements (with their parameters) that ``work`` sends to the database through ``uow``."""
    captured: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _executemany):
        captured.append((statement, parameters))

    engine = uow.session.connection().engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return captured


def test_sweep_query_is_served_by_the_pending_due_index(make_uow, world, fixture_forms, clock):
    """With many fired rows and a few pending ones, both databases read deadlines by the index.

    The plan is that of the very SQL ``due_deadline_ids`` emits, with its parameters, captured on
    its way to the database: a change to the query cannot leave the test explaining an old copy.
    """
    case_id, _ = open_in_stay(make_uow, world, fixture_forms, clock)
    now = clock.now()
    with make_uow() as uow:
        rows = [
            {
                "case_id": case_id,
                "element_id": "old",
                "kind": "old",
                "due_at": now - timedelta(minutes=i),
                "status": "fired" if i % 500 else "pending",
                "created_at": now,
                "legal_source": "",
            }
            for i in range(20_000)
        ]
        uow.session.execute(insert(Deadline), rows)
        dialect = uow.session.get_bind().dialect.name
        uow.session.execute(text("ANALYZE deadline" if dialect == "postgresql" else "ANALYZE"))
        if dialect == "postgresql":
            uow.session.execute(text("ANALYZE case_file"))
        [(statement, parameters)] = emitted_sql(uow, lambda: deadlines.due_deadline_ids(uow, now))
        explain = "EXPLAIN" if dialect == "postgresql" else "EXPLAIN QUERY PLAN"
        plan_rows = uow.session.connection().exec_driver_sql(f"{explain} {statement}", parameters)
        plan = "\n".join(str(row[-1]) for row in plan_rows)
        assert "ix_deadline_pending_due" in plan, plan
        assert len(deadlines.due_deadline_ids(uow, now)) == 40


def test_pending_deadlines_lists_in_due_order(make_uow, world, fixture_forms, clock):
    open_in_stay(make_uow, world, fixture_forms, clock)
    with make_uow() as uow:
        rows = deadlines.pending_deadlines(uow)
        assert [r.element_id for r in rows] == ["wait_month", "exit_planning_due", "cap"]
        before = rows[1].due_at
        assert [r.element_id for r in deadlines.pending_deadlines(uow, before)] == [
            "wait_month",
            "exit_planning_due",
        ]
