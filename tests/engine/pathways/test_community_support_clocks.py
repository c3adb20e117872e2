"""The ЦОП pathway's clocks: its scenarios pass, every clock names its anchor's law, and "violence
disclosed" is accepted in every stage of a case (DOMAIN.md "Three pathways to ship" #3)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from engine.bpmn import parsing, spiff
from engine.bpmn.properties import event_properties, raw_of_element, task_properties
from engine.clock import parse_instant
from engine.pathways import scenarios
from engine.pathways.forms import FormCatalog
from engine.pathways.simulation import PathwayRun
from tests.conftest import WORKFLOWS

FOLDER = WORKFLOWS / "pathways" / "community_support"
FORMS = FormCatalog(WORKFLOWS / "forms")
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
START = parse_instant("2026-08-31T10:00:00+03:00")
WALK_IN = {"legal_basis": "walk_in", "has_referral": False, "is_child": True, "age": 12}


def root() -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.fromstring((FOLDER / "community_support.bpmn").read_bytes(), parser)


def pathway() -> parsing.ParsedPathway:
    return parsing.parse_pathway(root())


def test_at_least_eight_scenarios() -> None:
    assert len(scenarios.scenario_files(FOLDER)) >= 8


@pytest.mark.parametrize("path", scenarios.scenario_files(FOLDER), ids=lambda p: p.name)
def test_scenario_passes(path: Path) -> None:
    outcome = scenarios.run(scenarios.load(path), pathway(), FORMS)
    assert outcome.passed, outcome.line()


def test_every_clock_names_its_legal_source_and_english_name() -> None:
    tree = root()
    timers = tree.xpath("//bpmn:timerEventDefinition/..", namespaces=NS)
    assert len(timers) >= 10
    for event in timers:
        props = event_properties(raw_of_element(event))
        assert props.name_en, event.get("id")
        if event.get("id") != "Timer_NextSession":  # a week between sessions is a habit, not a deadline
            assert props.legal_source, event.get("id")
    for task in tree.xpath("//bpmn:userTask", namespaces=NS):
        props = task_properties(raw_of_element(task))
        if props.due:
            assert props.legal_source, task.get("id")


@pytest.mark.parametrize(
    ("element", "anchor"),
    [
        ("Task_NotifyDSPParents", "admitted_at"),
        ("Timer_NotifyOverdue", "admitted_at"),
        ("Timer_OpenAccessLimit", "admitted_at"),
        ("Task_NeedsAssessment", "admitted_at"),
        ("Timer_NeedsBreach", "admitted_at"),
        ("Timer_ContractEnd", "contract_signed_on"),
        ("Timer_Quarterly", "contract_signed_on"),
    ],
)
def test_clocks_count_from_the_date_the_law_names(element: str, anchor: str) -> None:
    [node] = root().xpath(f"//*[@id='{element}']", namespaces=NS)
    raw = raw_of_element(node)
    kind = etree.QName(node).localname
    props = task_properties(raw) if kind == "userTask" else event_properties(raw)
    assert props.due_from == anchor


def _stages(data: dict[str, object], answers: dict[str, object]) -> list[tuple[str, set[str]]]:
    """Each ready task of a run left to itself, with the signals the case waited for then."""
    run = PathwayRun(pathway(), FORMS, START, {**data, **answers})
    seen: list[tuple[str, set[str]]] = []
    for _ in range(300):
        if run.finished:
            break
        ready = spiff.ready_human_tasks(run.workflow)
        waited = set(spiff.waited_signals(run.workflow))
        seen += [(task.element_id, waited) for task in ready]
        if ready:
            run.complete(ready[0].element_id)
        else:
            timers = spiff.waiting_timers(run.workflow)
            assert timers, "the case waits for nothing a person or time can give"
            run.advance_to(min(timer.due_at for timer in timers))
    assert run.result.completed and run.result.incident is None and not run.result.stuck
    return seen


@pytest.mark.parametrize(
    ("data", "answers"),
    [
        ({**WALK_IN, "legal_basis": "self_request"}, {}),
        (WALK_IN, {"service_type": "open_access"}),
        ({**WALK_IN, "legal_basis": "referral", "has_referral": True}, {}),
    ],
    ids=["child_request_specialised", "open_access", "referral_specialised"],
)
def test_violence_disclosed_is_accepted_in_every_stage(
    data: dict[str, object], answers: dict[str, object]
) -> None:
    stages = _stages(data, answers)
    assert {"Task_Intake", "Task_Closure"} <= {element for element, _ in stages}
    for element, waited in stages:
        assert "violence_disclosed" in waited, element
