"""Business rule tasks with DMN 1.3 decision tables, end to end on SQLite and PostgreSQL.

A pathway's business rule task calls a decision of ``decisions/`` beside the forms; deploying copies the
table into the version, so a case keeps the decision it started with when the file changes; a cell that
fails at run time parks the case as an incident; nothing reaches Python's ``eval``, ``exec`` or a
compiled code object.
"""

from __future__ import annotations

import ast
import builtins
import shutil
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from engine.bpmn import spiff, state
from engine.casework import cases
from engine.clock import FrozenClock
from engine.pathways import versions
from engine.pathways.forms import FormCatalog
from engine.store.models import CaseTask
from engine.store.uow import UnitOfWork
from tests.conftest import FIXTURES
from tests.engine.conftest import World, mini_pathway, world  # noqa: F401  (the world fixture)

SCRIPT = '<bpmn:scriptTask id="score" name="Score"><bpmn:script>risk_score = 3 if risk == "high" else 1</bpmn:script></bpmn:scriptTask>'  # noqa: E501
RULE = (
    '<bpmn:businessRuleTask id="score" name="Score"><bpmn:extensionElements>'
    "<spiffworkflow:calledDecisionId>risk_score</spiffworkflow:calledDecisionId>"
    "</bpmn:extensionElements></bpmn:businessRuleTask>"
)
INTAKE = cases.Intake(
    centre_code="kc-test",
    display_name="Мария П.",
    legal_basis="referral",
    target_group="domestic_violence",
    referral_number="ДСП-123",
)


@pytest.fixture
def no_eval(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """eval, exec and compile to code fail the test if anything calls them (ast.parse may build a tree).

    Only around the workflow itself: SQLAlchemy generates code with exec, so no database in its scope.
    """
    calls: list[str] = []
    real_compile = builtins.compile

    def refuse(name: str) -> Callable[..., Any]:
        def called(*args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            raise AssertionError(f"{name} was called")

        return called

    def tree_only(source: Any, filename: Any, mode: str, flags: int = 0, *args: Any, **kwargs: Any) -> Any:
        if not flags & ast.PyCF_ONLY_AST:
            calls.append("compile")
            raise AssertionError("compile to code was called")
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    monkeypatch.setattr(builtins, "eval", refuse("eval"))
    monkeypatch.setattr(builtins, "exec", refuse("exec"))
    monkeypatch.setattr(builtins, "compile", tree_only)
    yield calls
    assert calls == []


def workflows_with(tmp_path: Path, decision: str) -> FormCatalog:
    """A workflows folder with the fixture forms and one decision file: what a deployment reads."""
    shutil.copytree(FIXTURES / "forms", tmp_path / "forms", dirs_exist_ok=True)
    (tmp_path / "decisions").mkdir(exist_ok=True)
    (tmp_path / "decisions" / "risk_score.dmn").write_text(decision, encoding="utf-8")
    return FormCatalog(tmp_path / "forms")


def deploy_rule(make_uow: Callable[[], UnitOfWork], world: World, forms: FormCatalog) -> int:  # noqa: F811
    with make_uow() as uow:
        version = versions.deploy(
            uow, mini_pathway(replace={SCRIPT: RULE}), forms, world.staff["coordinator"], "rule.bpmn"
        )
        uow.commit()
        return version.version


def open_and_assess(
    make_uow: Callable[[], UnitOfWork],
    world: World,  # noqa: F811
    forms: FormCatalog,
    data: dict[str, Any],
) -> str:
    who = world.staff["social_worker"]
    with make_uow() as uow:
        case = cases.open_case(uow, who, replace(INTAKE))
        task = uow.session.scalar(select(CaseTask).where(CaseTask.case_id == case.id))
        cases.complete_task(uow, who, task.public_id, {"note": "x", **data}, forms)
        uow.commit()
        return case.public_id


def case_data(make_uow: Callable[[], UnitOfWork], world: World, public_id: str) -> tuple[str, dict[str, Any]]:  # noqa: F811
    with make_uow() as uow:
        case = cases.get_case(uow, world.staff["manager"], public_id)
        workflow = cases.load_workflow(uow, case)
        return case.status, spiff.workflow_data(workflow)


DECISION = (FIXTURES / "decisions" / "risk_score.dmn").read_text(encoding="utf-8")


def test_a_business_rule_task_decides_through_the_table(make_uow, world, tmp_path):  # noqa: F811
    forms = workflows_with(tmp_path, DECISION)
    assert deploy_rule(make_uow, world, forms) == 2
    high = open_and_assess(make_uow, world, forms, {"risk": "high"})
    low = open_and_assess(make_uow, world, forms, {"risk": "low"})
    assert case_data(make_uow, world, high)[1]["risk_score"] == 3
    assert case_data(make_uow, world, low)[1]["risk_score"] == 1
    with make_uow() as uow:  # the case went on to the stay: its timer is a deadline row
        case = cases.get_case(uow, world.staff["manager"], high)
        assert case.status == "open"


def test_a_running_case_keeps_the_decision_it_was_deployed_with(make_uow, world, tmp_path):  # noqa: F811
    forms = workflows_with(tmp_path, DECISION)
    deploy_rule(make_uow, world, forms)
    with make_uow() as uow:
        who = world.staff["social_worker"]
        kept = cases.open_case(uow, who, replace(INTAKE)).public_id
        uow.commit()
    changed = workflows_with(tmp_path, DECISION.replace("<text>3</text>", "<text>30</text>"))
    assert deploy_rule(make_uow, world, changed) == 3  # same diagram, new decision: a new version
    with make_uow() as uow:
        who = world.staff["social_worker"]
        case = cases.get_case(uow, who, kept)
        task = uow.session.scalar(select(CaseTask).where(CaseTask.case_id == case.id))
        cases.complete_task(uow, who, task.public_id, {"note": "x", "risk": "high"}, changed)
        uow.commit()
    assert case_data(make_uow, world, kept)[1]["risk_score"] == 3
    newer = open_and_assess(make_uow, world, changed, {"risk": "high"})
    assert case_data(make_uow, world, newer)[1]["risk_score"] == 30


def test_a_cell_that_fails_at_run_time_parks_the_case(make_uow, world, tmp_path):  # noqa: F811
    forms = workflows_with(tmp_path, DECISION)
    deploy_rule(make_uow, world, forms)
    parked = open_and_assess(make_uow, world, forms, {})  # no "risk": the input expression fails
    with make_uow() as uow:
        case = cases.get_case(uow, world.staff["manager"], parked)
        assert case.status == "incident"
        assert case.incident_element == "score"
        assert case.incident_problem == "unknown_name"


def test_a_hostile_cell_never_runs(clock: FrozenClock, no_eval, tmp_path):
    """Past the lint (specs built directly), a hostile cell still meets only the safe evaluator."""
    from lxml import etree

    from engine.bpmn import parsing
    from engine.pathways.importer import parse_xml

    marker = tmp_path / "pwned"
    hostile = DECISION.replace(
        '<text>"high"</text>', f"<text>__import__('os').system('touch {marker}')</text>"
    )
    root = parse_xml(mini_pathway(replace={SCRIPT: RULE}))
    decision = etree.fromstring(hostile.encode("utf-8"))
    parsed = parsing.parse_pathway(root, "crisis_centre_adult", [decision])
    parsed = state.load_spec(state.dump_spec(parsed))  # as a deployed version runs it
    workflow = spiff.start(parsed, {"admitted_at": "2025-01-01T10:00:00+02:00"}, clock)
    task = spiff.ready_human_tasks(workflow)[0]
    with pytest.raises(spiff.RuntimeFailure) as failure:
        spiff.complete(workflow, task.id, {"risk": "high"})
    assert failure.value.element_id == "score"
    assert failure.value.problem == "expression"
    assert not marker.exists()


def test_a_decision_runs_without_eval(clock: FrozenClock, no_eval):
    from engine.bpmn import parsing
    from engine.pathways.importer import parse_xml

    decision = parse_xml(DECISION.encode("utf-8"))
    parsed = parsing.parse_pathway(parse_xml(mini_pathway(replace={SCRIPT: RULE})), None, [decision])
    parsed = state.load_spec(state.dump_spec(parsed))
    workflow = spiff.start(parsed, {"admitted_at": "2025-01-01T10:00:00+02:00"}, clock)
    workflow = spiff.complete(workflow, spiff.ready_human_tasks(workflow)[0].id, {"risk": "low"})
    assert spiff.workflow_data(workflow)["risk_score"] == 1


def decide_with(policy: str, clock: FrozenClock, other_score: str = "1") -> Any:
    """The fixture table under ``policy``, its second rule matching anything: "high" matches both."""
    from engine.bpmn import parsing
    from engine.pathways.decisions import check_decision_document
    from engine.pathways.importer import parse_xml

    text = (
        DECISION.replace('hitPolicy="UNIQUE"', f'hitPolicy="{policy}"')
        .replace('<text>"low", "medium"</text>', "<text>-</text>")
        .replace("<text>1</text>", f"<text>{other_score}</text>")
    )
    verdict, decision = check_decision_document(text.encode("utf-8"), "risk_score.dmn")
    assert decision is not None, verdict.summary()  # the hit policy passes the import
    parsed = parsing.parse_pathway(parse_xml(mini_pathway(replace={SCRIPT: RULE})), None, [decision])
    parsed = state.load_spec(state.dump_spec(parsed))
    workflow = spiff.start(parsed, {"admitted_at": "2025-01-01T10:00:00+02:00"}, clock)
    return spiff.complete(workflow, spiff.ready_human_tasks(workflow)[0].id, {"risk": "high"})


def test_a_unique_table_with_two_matching_rules_stops_the_case_naming_them(clock: FrozenClock, no_eval):
    with pytest.raises(spiff.RuntimeFailure) as failure:
        decide_with("UNIQUE", clock)
    assert (failure.value.element_id, failure.value.problem) == ("score", "decision_not_unique")
    assert failure.value.expression == "risk_score: rules Rule_high, Rule_other all match"


@pytest.mark.parametrize(
    ("policy", "other", "outcome"),
    [("FIRST", "1", 3), ("ANY", "3", 3), ("COLLECT", "1", [3, 1])],
)
def test_first_any_and_collect_decide_as_their_hit_policy_says(
    clock: FrozenClock, no_eval, policy, other, outcome
):
    assert spiff.workflow_data(decide_with(policy, clock, other))["risk_score"] == outcome


def test_an_any_table_whose_matching_rules_disagree_stops_the_case(clock: FrozenClock, no_eval):
    with pytest.raises(spiff.RuntimeFailure) as failure:
        decide_with("ANY", clock)
    assert failure.value.problem == "decision_conflict"
