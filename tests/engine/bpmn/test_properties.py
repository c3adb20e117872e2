"""The one declaration of Casepath's BPMN properties, and what is made from it."""

from __future__ import annotations

import json
import re
from dataclasses import fields
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import main
from cli.pathway_commands import translate
from engine.bpmn import property_sheet
from engine.bpmn.properties import (
    EVENTS,
    HUMAN_TASKS,
    MESSAGE_CATCHERS,
    PROPERTIES,
    EventProperties,
    MessageProperties,
    TaskProperties,
    event_properties,
    task_properties,
)
from engine.bpmn.property_checks import problems_of

ROOT = Path(__file__).resolve().parents[3]
DOCS = ROOT / "docs" / "pathway-authoring.md"
MARKED = re.compile(r"<!-- properties-table:start -->\n(.*?)<!-- properties-table:end -->", re.S)


def test_the_docs_table_is_the_declaration() -> None:
    found = MARKED.search(DOCS.read_text(encoding="utf-8"))
    assert found is not None, "docs/pathway-authoring.md lost its properties-table markers"
    assert found.group(1) == property_sheet.markdown_table(), (
        "docs/pathway-authoring.md drifted from engine/bpmn/properties.py; paste this between the markers:\n"
        + property_sheet.markdown_table()
    )


def _carried_by_all(kinds: frozenset[str]) -> set[str]:
    return {prop.name for prop in PROPERTIES if kinds <= prop.carriers}


def test_the_typed_values_hold_exactly_what_their_elements_carry() -> None:
    assert {item.name for item in fields(TaskProperties)} == _carried_by_all(HUMAN_TASKS)
    assert {item.name for item in fields(EventProperties)} == _carried_by_all(EVENTS)
    assert {item.name for item in fields(MessageProperties)} == _carried_by_all(MESSAGE_CATCHERS)
    assert len({prop.name for prop in PROPERTIES}) == len(PROPERTIES)


def test_parsing_types_the_values_and_ignores_what_is_not_declared() -> None:
    raw = {"role": "Психолог", "form": "risk", "due": "PT24H", "colour": "red", "notify": "x"}
    assert task_properties(raw) == TaskProperties(role="Психолог", form="risk", due="PT24H")
    assert event_properties({"notify": " manager, ,case_lead ", "name_en": "Review"}) == EventProperties(
        notify=("manager", "case_lead"), name_en="Review"
    )
    assert task_properties({}) == TaskProperties()


class Words:
    def is_role(self, name: str) -> bool:
        return name.strip().casefold() in {"social_worker", "manager", "психолог"}

    def form_exists(self, key: str) -> bool:
        return key == "risk_assessment"


@pytest.mark.parametrize(
    ("kind", "raw", "lane", "expected"),
    [
        ("userTask", {"role": "social_worker", "form": "risk_assessment"}, None, []),
        ("manualTask", {"form": "risk_assessment"}, "Психолог", []),
        (
            "userTask",
            {"form": "risk_assessment"},
            None,
            ["not executable: user task names no role (a role property or a lane named after a role)"],
        ),
        (
            "task",
            {"role": "Team Assistant", "form": "risk_assessment"},
            "Психолог",
            [
                "not executable: user task 'Team Assistant' is not a casework role "
                "(a role property or a lane named after a role)"
            ],
        ),
        (
            "userTask",
            {"role": "manager"},
            None,
            ["not executable: user task names no form (property 'form')"],
        ),
        (
            "userTask",
            {"role": "manager", "form": "plan_reveiw"},
            None,
            ["form 'plan_reveiw' does not exist in workflows/forms/"],
        ),
        (
            "userTask",
            {"role": "manager", "form": "risk_assessment", "due": "P7D +"},
            None,
            [
                "due 'P7D +' is neither an ISO 8601 duration nor a valid expression: "
                "syntax error: invalid syntax (line 1)"
            ],
        ),
        (
            "userTask",
            {"role": "manager", "form": "risk_assessment", "due": "add_duration(now(), 'P7D')"},
            None,
            [],
        ),
        (
            "boundaryEvent",
            {"notify": "manager, nobody, Team"},
            None,
            ["notify names no casework role: nobody, Team"],
        ),
        ("exclusiveGateway", {"form": "nothing", "notify": "nobody", "name_en": "Risk?"}, None, []),
        ("scriptTask", {}, None, []),
    ],
)
def test_the_lint_checks_presence_and_type_naming_the_property(
    kind: str, raw: dict[str, str], lane: str | None, expected: list[str]
) -> None:
    assert problems_of(kind, raw, lane, Words()) == expected


def test_every_label_and_help_text_is_in_bulgarian() -> None:
    for prop in PROPERTIES:
        for text in (prop.label, prop.help):
            assert translate("en", text) == text
            bulgarian = translate("bg", text)
            assert bulgarian != text and re.search("[а-я]", bulgarian), (
                f"{prop.name}: {text!r} has no Bulgarian"
            )


def test_the_cli_prints_the_declaration_as_json() -> None:
    result = CliRunner().invoke(main, ["pathways", "properties", "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)["properties"]
    assert [item["name"] for item in printed] == [prop.name for prop in PROPERTIES]
    role = printed[0]
    assert role == {
        "name": "role",
        "elements": ["manualTask", "task", "userTask"],
        "type": "role",
        "required": True,
        "fallback": "lane",
        "label": {"bg": "Роля", "en": "Role"},
        "help": role["help"],
    }
    assert role["help"]["en"].startswith("Who does the task")
    assert role["help"]["bg"].startswith("Кой изпълнява задачата")
    notify = next(item for item in printed if item["name"] == "notify")
    assert notify["type"] == "role_list" and "boundaryEvent" in notify["elements"] and not notify["required"]


def test_the_cli_prints_a_readable_list_without_json() -> None:
    result = CliRunner().invoke(main, ["pathways", "properties"])
    assert result.exit_code == 0, result.output
    assert "role: role, required (or from the lane); on manualTask, task, userTask" in result.output
    assert "notify: role_list, optional;" in result.output
