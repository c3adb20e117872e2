"""A transaction with a cancel end event: a placement that falls through is undone on its cancel boundary."""

from __future__ import annotations

from datetime import timedelta

from engine.pathways.lint import check_document
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


def test_a_cancel_event_outside_a_transaction_is_reported(fixture_forms):
    data = construct(
        "transaction_cancel",
        {"<bpmn:transaction ": "<bpmn:subProcess ", "</bpmn:transaction>": "</bpmn:subProcess>"},
    )
    verdict, parsed = check_document(data, fixture_forms, "t.bpmn")
    assert parsed is None
    assert [(p.element_id, p.message) for p in verdict.problems] == [
        ("placement", "a cancel event belongs on the boundary of a transaction, or inside one")
    ]
