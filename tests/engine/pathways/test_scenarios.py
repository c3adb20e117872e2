"""Pathway scenarios: the format, the run, what a failure says, and the CLI that runs them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from cli.main import main
from engine.bpmn import parsing
from engine.errors import ValidationFailed
from engine.pathways import scenarios
from engine.pathways.forms import FormCatalog
from tests.conftest import FIXTURES

PATHWAY = FIXTURES / "pathways" / "anchored.bpmn"
SCENARIOS = FIXTURES / "pathways" / "scenarios"
FORMS = FormCatalog(FIXTURES / "forms")
BASE = {
    "name": "base",
    "start": "2026-01-31T10:00:00+02:00",
    "data": {"identified_on": "2026-02-02"},
    "expect": [{"incident": False}],
}


def parsed() -> parsing.ParsedPathway:
    return parsing.parse_pathway(etree.fromstring(PATHWAY.read_bytes()))


def outcome(**changes: object) -> scenarios.Outcome:
    return scenarios.run(scenarios.parse({**BASE, **changes}), parsed(), FORMS)


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.json")), ids=lambda p: p.name)
def test_the_fixture_scenarios_pass(path: Path) -> None:
    result = scenarios.run(scenarios.load(path), parsed(), FORMS)
    assert result.passed, result.line()
    assert result.line().startswith("PASS ")


def test_a_failed_expectation_says_what_was_expected_and_what_happened() -> None:
    result = outcome(
        expect=[
            {"task": "assessment", "due": "2026-02-26"},
            {"timer": "reflection", "fired": "2026-03-02"},
            {"task": "nowhere", "opened": "2026-02-01"},
            {"ends_by": "2026-02-01"},
        ]
    )
    assert result.failures == [
        "expected assessment due 2026-02-26, got 2026-02-20T10:00:00+02:00",
        "expected reflection fired 2026-03-02, got never fired",
        "expected nowhere opened 2026-02-01, got never opened",
        "expected the case closed by 2026-02-01, got 2026-02-20T10:00:00+02:00",
    ]
    assert result.line().startswith("FAIL base: expected assessment due 2026-02-26")


def test_held_work_lets_the_deadlines_pass() -> None:
    result = outcome(
        hold=["assessment"],
        until="2026-05-01",
        expect=[{"timer": "reviews", "nth": 3, "fired": "2026-04-30"}],
    )
    assert result.passed, result.line()
    assert not result.result.completed


def test_a_timeline_step_nothing_waits_for_fails_the_scenario() -> None:
    result = outcome(timeline=[{"after": "P1D", "complete": "assessment"}])
    assert result.failures == ["timeline step 1: no open task assessment on 2026-02-01T10:00:00+02:00"]


def test_a_missing_anchor_is_an_incident_the_scenario_can_expect() -> None:
    result = outcome(data={}, expect=[{"incident": "reflection"}])
    assert result.passed, result.line()
    assert outcome(data={}).failures[0].startswith("expected no incident, got reflection")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"start": "tomorrow-ish"}, "tomorrow-ish"),
        ({"expect": []}, "expect"),
        (
            {"timeline": [{"after": "P2X", "complete": "x"}]},
            "timeline.0.after: 'P2X' is not an ISO 8601 duration",
        ),
        ({"timeline": [{"complete": "x", "signal": "y"}]}, "timeline.0"),
        ({"colour": "red"}, "colour"),
        ({"expect": [{"task": "x", "due": 7}]}, "expect.0.due"),
    ],
)
def test_a_bad_scenario_is_refused_naming_the_field(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        scenarios.parse({**BASE, **change}, "bad.json")
    assert message in raised.value.message and raised.value.message.startswith("bad.json: ")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    workflows = tmp_path / "workflows"
    shutil.copytree(FIXTURES / "forms", workflows / "forms")
    shutil.copytree(FIXTURES / "pathways", workflows / "pathways" / "anchored")
    return {
        "CASEPATH_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "CASEPATH_INSTANCE_DIR": str(tmp_path / "instance"),
        "CASEPATH_WORKFLOWS_DIR": str(workflows),
    }


def casepath(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.output


def test_pathways_test_prints_a_line_per_scenario_and_exits_0_when_all_pass(env: dict[str, str]) -> None:
    code, output = casepath(env, "pathways", "test")
    assert code == 0, output
    assert sorted(output.splitlines()) == sorted(
        f"PASS {json.loads(path.read_text(encoding='utf-8'))['name']}" for path in SCENARIOS.glob("*.json")
    )
    assert casepath(env, "pathways", "test", "anchored")[0] == 0


def test_pathways_test_exits_1_on_a_failure_and_names_it(env: dict[str, str], tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.json"
    wrong.write_text(
        json.dumps({**BASE, "name": "wrong", "expect": [{"task": "assessment", "due": "2026-02-21"}]})
    )
    code, output = casepath(env, "pathways", "test", "anchored", "--scenario", str(wrong))
    assert code == 1
    assert output.strip() == "FAIL wrong: expected assessment due 2026-02-21, got 2026-02-20T10:00:00+02:00"
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    code, output = casepath(env, "pathways", "test", "anchored", "--scenario", str(broken))
    assert code == 1 and output.startswith("FAIL broken.json: not JSON") and "Traceback" not in output


def test_simulate_json_prints_the_steps_with_sofia_offsets(env: dict[str, str]) -> None:
    scenario = str(SCENARIOS / "late_intervention.json")
    code, output = casepath(env, "pathways", "simulate", "anchored", "--scenario", scenario, "--json")
    assert code == 0, output
    steps = json.loads(output)
    assert {tuple(sorted(step)) for step in steps} == {
        ("at", "due_at", "element_id", "kind", "legal_source", "name")
    }
    assert {step["kind"] for step in steps} <= {"task", "completed", "timer", "signal", "end", "incident"}
    assessment = next(step for step in steps if step["kind"] == "task" and step["element_id"] == "assessment")
    assert assessment["due_at"] == "2026-02-20T10:00:00+02:00"
    assert assessment["legal_source"] == "ЗСУ чл. 73"
    assert all(step["at"][-6:] in {"+02:00", "+03:00"} for step in steps)
    assert steps[-1]["kind"] == "end"


def test_simulate_without_a_scenario_completes_work_on_its_due_date(env: dict[str, str]) -> None:
    code, output = casepath(
        env,
        "pathways",
        "simulate",
        "anchored",
        "--start",
        "2026-01-31T10:00:00+02:00",
        "--data",
        '{"identified_on": "2026-02-02"}',
        "--json",
    )
    assert code == 0, output
    done = [step for step in json.loads(output) if step["kind"] == "completed"]
    assert [(step["element_id"], step["at"]) for step in done] == [
        ("intervention", "2026-02-07T10:00:00+02:00"),
        ("assessment", "2026-02-20T10:00:00+02:00"),
    ]


def test_simulate_refuses_a_scenario_with_start_or_data(env: dict[str, str]) -> None:
    scenario = str(SCENARIOS / "on_time.json")
    code, output = casepath(
        env, "pathways", "simulate", "anchored", "--scenario", scenario, "--start", "2026-01-01"
    )
    assert code == 2 and "--scenario gives the start" in output
