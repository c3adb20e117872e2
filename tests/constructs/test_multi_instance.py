"""Multi-instance tasks, parallel and sequential: one needs assessment per child, saying whom it is for."""

from __future__ import annotations

from datetime import timedelta

from engine.pathways.lint import check_document
from tests.constructs.casework_run import CaseRun, construct

CHILDREN = [{"name": "Иван", "age": 9}, {"name": "Мария", "age": 5}]


def test_one_task_per_child_then_one_visit_at_a_time(
    make_committed_uow, committed_world, fixture_forms, clock
):
    run = CaseRun(make_committed_uow, committed_world, fixture_forms, clock)
    run.deploy(construct("multi_instance"))
    opened = clock.now()
    run.open(children=CHILDREN)
    # parallel: both assessments at once, each row saying which child it is for, with its due date
    assert run.tasks() == [("needs", "Иван, 9 г."), ("needs", "Мария, 5 г.")]
    rows = run.inbox()
    assert sorted(row.item_label for row in rows) == ["Иван, 9 г.", "Мария, 5 г."]
    assert {row.due_at for row in rows} == {opened + timedelta(days=7)}
    run.complete("needs", note="Иван: училище")
    assert run.tasks() == [("needs", "Мария, 5 г.")]
    run.complete("needs", note="Мария: детска градина")
    assert run.tasks() == []
    [(element, due_at)] = run.deadlines()
    assert element == "week" and due_at == opened + timedelta(days=7)
    assert run.fire_next_deadline() == "week"
    # sequential: one visit at a time, in the order of the list
    assert run.tasks() == [("visit", "Иван")]
    run.complete("visit", risk="low")
    assert run.tasks() == [("visit", "Мария")]
    run.complete("visit", risk="high")
    assert run.tasks() == [] and run.deadlines() == []
    assert run.status() == "closed"


def test_an_empty_family_skips_the_assessments(make_committed_uow, committed_world, fixture_forms, clock):
    run = CaseRun(make_committed_uow, committed_world, fixture_forms, clock)
    run.deploy(construct("multi_instance"))
    run.open(children=[])
    assert run.tasks() == [] and [element for element, _ in run.deadlines()] == ["week"]


def test_a_label_that_fails_parks_the_case_as_an_incident(
    make_committed_uow, committed_world, fixture_forms, clock
):
    run = CaseRun(make_committed_uow, committed_world, fixture_forms, clock)
    run.deploy(construct("multi_instance"))
    run.open(children=[{"name": "Иван"}])  # no age: the label cannot be made
    with make_committed_uow() as uow:
        case = run.case(uow)
        assert case.status == "incident" and case.incident_element == "needs"
        assert case.incident_expression == 'child["name"] + ", " + str(child["age"]) + " г."'
    assert run.tasks() == []


def test_loop_expressions_go_through_the_safe_evaluator(fixture_forms):
    cardinality = '<bpmn:loopCardinality>__import__("os").system("true")</bpmn:loopCardinality>'
    data = construct(
        "multi_instance", {"<bpmn:loopDataInputRef>children</bpmn:loopDataInputRef>\n": cardinality}
    )
    verdict, parsed = check_document(data, fixture_forms, "mi.bpmn")
    assert parsed is None
    assert [p.element_id for p in verdict.problems] == ["needs"]
    assert "__import__" in verdict.problems[0].message
