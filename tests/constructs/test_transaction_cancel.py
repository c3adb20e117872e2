"""A transaction with a cancel end event: a placement that falls through is undone on its cancel boundary."""

from __future__ import annotations

from datetime import timedelta

from tests.constructs.casework_run import CaseRun, construct


def test_a_placement_that_holds_goes_on(make_committed_uow, committed_world, fixture_forms, clock):
    run = CaseRun(make_committed_uow, committed_world, fixture_forms, clock)
    run.deploy(construct("transaction_cancel"))
    run.open()
    assert [row.element_id for row in run.inbox()] == ["arrange"]
    run.complete("arrange", risk="low")
    assert run.deadlines() == [("settle", clock.now() + timedelta(days=2))]
    run.fire_next_deadline()
    run.complete("confirm")
    assert run.status() == "closed"


def test_a_cancelled_placement_takes_the_cancel_boundary(
    make_committed_uow, committed_world, fixture_forms, clock
):
    run = CaseRun(make_committed_uow, committed_world, fixture_forms, clock)
    run.deploy(construct("transaction_cancel"))
    run.open()
    run.complete("arrange", risk="high")
    assert run.tasks() == [("undo", "")] and run.deadlines() == []
    run.complete("undo")
    assert run.status() == "closed"
