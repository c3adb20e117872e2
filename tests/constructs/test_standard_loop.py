"""A standard loop: the safety check repeats while the risk stays high (at most five times)."""

from __future__ import annotations

from datetime import timedelta

from tests.constructs.casework_run import CaseRun, construct


def test_the_check_repeats_while_the_risk_is_high(make_committed_uow, committed_world, fixture_forms, clock):
    run = CaseRun(make_committed_uow, committed_world, fixture_forms, clock)
    run.deploy(construct("standard_loop"))
    run.open()
    run.complete("safety_check", risk="high")
    assert [row.element_id for row in run.inbox()] == ["safety_check"]  # again
    run.complete("safety_check", risk="high")
    assert [element for element, _ in run.tasks()] == ["safety_check"]
    run.complete("safety_check", risk="low")
    assert run.tasks() == []
    assert run.deadlines() == [("follow_up_wait", clock.now() + timedelta(days=14))]
    run.fire_next_deadline()
    run.complete("follow_up")
    assert run.status() == "closed"


def test_the_loop_stops_at_its_maximum(make_committed_uow, committed_world, fixture_forms, clock):
    run = CaseRun(make_committed_uow, committed_world, fixture_forms, clock)
    run.deploy(construct("standard_loop"))
    run.open()
    for _ in range(5):
        run.complete("safety_check", risk="high")
    assert run.tasks() == [] and [element for element, _ in run.deadlines()] == ["follow_up_wait"]
