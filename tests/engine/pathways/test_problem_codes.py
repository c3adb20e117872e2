"""Every problem the lint writes gets a stable code; the message keeps its values for translation."""

from __future__ import annotations

import pytest

from engine.errors import Problem
from engine.pathways.forms import FormCatalog
from engine.pathways.lint import check_document
from engine.pathways.problem_codes import coded, template_of
from tests.engine.conftest import mini_pathway

BROKEN = [
    ({'value="review"': 'value="no_such_form"'}, "review", "form_unknown"),
    ({'name="form" value="review"': 'name="form" value=""'}, "review", "form_missing"),
    ({'value="case_lead"': 'value="janitor"'}, "review", "role_unknown"),
    ({'value="P7D"': 'value="P7D +"'}, "review", "due_invalid"),
    ({'<bpmn:endEvent id="end"/>': '<bpmn:complexGateway id="end"/>'}, "end", "element_unsupported"),
    ({"goals_met == True": "goals_met ==="}, "goals", "expression_invalid"),
]  # fmt: skip


@pytest.mark.parametrize(("replace", "element", "code"), BROKEN, ids=[case[2] for case in BROKEN])
def test_lint_problems_are_coded(
    replace: dict[str, str], element: str, code: str, fixture_forms: FormCatalog
) -> None:
    verdict, _ = check_document(mini_pathway("mini", replace), fixture_forms)
    found = [coded(problem) for problem in verdict.problems]
    assert (element, code) in [(p.element_id, p.code) for p in found], verdict.summary()
    problem = next(p for p in found if p.code == code)
    template, values = template_of(problem)
    assert template and template % values  # every named value of the message id is there


def test_an_unknown_message_keeps_its_text_under_the_code_rule() -> None:
    problem = coded(Problem("Task_1", "a rule written after this table"))
    assert (problem.code, problem.severity, template_of(problem)) == ("rule", "error", ("", {}))
    assert coded(Problem("x", "m", code="mine")).code == "mine"
