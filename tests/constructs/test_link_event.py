"""Link events: Casepath turns a link throw event and its catch event of the same name into a flow."""

from __future__ import annotations

from datetime import timedelta

from engine.pathways.lint import check_document
from tests.constructs.casework_run import CaseRun, construct


def test_the_case_goes_on_from_the_throw_to_the_catch(
    make_committed_uow, committed_world, fixture_forms, clock
):
    run = CaseRun(make_committed_uow, committed_world, fixture_forms, clock)
    run.deploy(construct("link_event"))
    run.open()
    assert [row.element_id for row in run.inbox()] == ["first"]
    run.complete("first")
    assert run.deadlines() == [("pause", clock.now() + timedelta(days=1))]
    run.fire_next_deadline()
    run.complete("second")
    assert run.status() == "closed"


def test_a_link_without_its_catch_is_reported_by_id(fixture_forms):
    data = construct(
        "link_event",
        {
            '<bpmn:linkEventDefinition name="page2"/></bpmn:intermediateCatch': (
                '<bpmn:linkEventDefinition name="page3"/></bpmn:intermediateCatch'
            )
        },
    )
    verdict, parsed = check_document(data, fixture_forms, "link.bpmn")
    assert parsed is None
    assert [problem.element_id for problem in verdict.problems] == ["go_on"]
    assert "no catching link event of the same name" in verdict.problems[0].message
