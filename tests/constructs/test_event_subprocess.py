"""Event sub-processes: an interrupting one started by a signal, non-interrupting ones (signal, timer)."""

from __future__ import annotations

from datetime import timedelta

from tests.constructs.casework_run import CaseRun, construct


def test_violence_disclosed_interrupts_everything_else(
    make_committed_uow, committed_world, fixture_forms, clock
):
    run = CaseRun(make_committed_uow, committed_world, fixture_forms, clock)
    run.deploy(construct("event_subprocess"))
    opened = clock.now()
    run.open()
    assert [row.element_id for row in run.inbox()] == ["support"]
    assert run.deadlines() == [("weekly_start", opened + timedelta(days=7))]  # the timer start event waits
    assert run.fire_next_deadline() == "weekly_start"  # non-interrupting: the support work stays
    assert sorted(element for element, _ in run.tasks()) == ["check", "support"]
    run.signal("risk_changed")  # non-interrupting signal
    assert sorted(element for element, _ in run.tasks()) == ["check", "reassess", "support"]
    run.complete("reassess")
    run.complete("support")
    assert [element for element, _ in run.deadlines()] == ["month"]
    run.signal("violence_disclosed")  # interrupting: the check, the month and the closing are withdrawn
    assert run.tasks() == [("handover", "")] and run.deadlines() == []
    assert [row.element_id for row in run.inbox()] == ["handover"]
    run.complete("handover")
    assert run.status() == "closed"


def test_without_events_the_stay_ends_and_the_waiting_handlers_are_withdrawn(
    make_committed_uow, committed_world, fixture_forms, clock
):
    run = CaseRun(make_committed_uow, committed_world, fixture_forms, clock)
    run.deploy(construct("event_subprocess"))
    run.open()
    run.complete("support")
    assert [element for element, _ in run.deadlines()] == ["weekly_start", "month"]
    run.fire_next_deadline()
    run.complete("check")
    assert run.fire_next_deadline() == "month"
    run.complete("closing")
    assert run.tasks() == [] and run.deadlines() == []
    assert run.status() == "closed"


def test_an_interrupting_timer_start_withdraws_the_work(
    make_committed_uow, committed_world, fixture_forms, clock
):
    interrupting = {'name="A week in" isInterrupting="false"': 'name="A week in" isInterrupting="true"'}
    run = CaseRun(make_committed_uow, committed_world, fixture_forms, clock)
    run.deploy(construct("event_subprocess", interrupting))
    run.open()
    assert run.fire_next_deadline() == "weekly_start"
    assert run.tasks() == [("check", "")] and run.deadlines() == []
    assert [row.element_id for row in run.inbox()] == ["check"]
    run.complete("check")
    assert run.status() == "closed"
