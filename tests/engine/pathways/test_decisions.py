"""DMN decisions: the safe import, a verdict per decision and rule, and business rule tasks that call them."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.bpmn.decisions import cell_test, check_cell
from engine.errors import ExpressionError
from engine.pathways.decisions import DecisionCatalog, check_decision_document
from engine.pathways.forms import FormCatalog
from engine.pathways.lint import check_document
from tests.conftest import FIXTURES
from tests.engine.conftest import mini_pathway

SHIPPED = Path(__file__).resolve().parents[3] / "workflows" / "decisions" / "risk_level.dmn"
DECISION = (FIXTURES / "decisions" / "risk_score.dmn").read_text(encoding="utf-8")
SCRIPT = '<bpmn:scriptTask id="score" name="Score"><bpmn:script>risk_score = 3 if risk == "high" else 1</bpmn:script></bpmn:scriptTask>'  # noqa: E501


def rule_task(decision: str | None) -> str:
    called = (
        f"<spiffworkflow:calledDecisionId>{decision}</spiffworkflow:calledDecisionId>" if decision else ""
    )
    return f'<bpmn:businessRuleTask id="score"><bpmn:extensionElements>{called}</bpmn:extensionElements></bpmn:businessRuleTask>'  # noqa: E501


def test_the_shipped_decision_is_valid_rule_by_rule() -> None:
    verdict, root = check_decision_document(SHIPPED.read_bytes(), "risk_level.dmn")
    assert verdict.valid and root is not None, verdict.summary()
    lines = verdict.summary().splitlines()
    assert lines[0] == "risk_level.dmn: valid (decision risk_level, 4 rules)"
    assert lines[1:] == [
        "  - rule 1 (Rule_risk_to_life): valid",
        "  - rule 2 (Rule_high): valid",
        "  - rule 3 (Rule_low): valid",
        "  - rule 4 (Rule_medium): valid",
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            '<text>"high"</text>',
            "<text>__import__('os').system('id')</text>",
            "rule 1 (Rule_high): input cell 1",
        ),
        ("<text>3</text>", "<text>open('/etc/passwd')</text>", "rule 1 (Rule_high): output cell 1"),
        ("<text>risk</text>", "<text>risk.__class__</text>", "input 1: attribute access"),
        ('hitPolicy="UNIQUE"', 'hitPolicy="PRIORITY"', "hit policy PRIORITY is not supported"),
        ('name="risk_score"', 'name="risk score"', "output 1 needs a name"),
        ('<outputEntry id="Out_other"><text>1</text></outputEntry>', "", "0 output cells"),
        ("<text>1</text>", "<text>1 +</text>", "syntax error"),
    ],
)
def test_a_bad_cell_is_named_by_rule_and_never_run(old: str, new: str, expected: str) -> None:
    assert old in DECISION
    verdict, root = check_decision_document(DECISION.replace(old, new, 1).encode(), "d.dmn")
    assert not verdict.valid and root is None
    assert expected in verdict.summary(), verdict.summary()
    assert all(line.startswith("  - ") for line in verdict.summary().splitlines()[1:])


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"<nope/>",
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "y">]><definitions/>',
        b'<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/"/>',
        b'<d:definitions xmlns:d="https://www.omg.org/spec/DMN/20191111/MODEL/"><d:decision id="x"/>'
        b"</d:definitions>",
        DECISION.replace("</decision>", '</decision><decision id="two"/>').encode(),
        DECISION.replace('<decision id="risk_score" name="Risk score">', "<decision>").encode(),
        DECISION.replace("<rule ", "<annotation/><rule ", 1).encode(),
        DECISION.replace("<inputExpression", "<inputExpressionX")
        .replace("</inputExpression>", "</inputExpressionX>")
        .encode(),
        b"<x>" * 300 + b"</x>" * 300,
        "<definitions xmlns='https://www.omg.org/spec/DMN/20191111/MODEL/'>ü</definitions>".encode("latin-1"),
    ],
)
def test_unusual_files_get_a_verdict_not_a_traceback(data: bytes) -> None:
    verdict, root = check_decision_document(data, "odd.dmn")
    assert not verdict.valid and root is None
    assert verdict.summary().splitlines()[0].startswith("odd.dmn: ")


def test_every_cell_form_is_read_as_a_unary_test() -> None:
    assert cell_test("-") == ("test", "True")
    assert cell_test("< 5") == ("test", "dmninput < (5)")
    assert cell_test("[1..5)") == ("test", "(dmninput >= (1)) and (dmninput < (5))")
    assert cell_test("? > 3 and ? < 'a?'") == ("test", "dmninput > 3 and dmninput < 'a?'")
    assert cell_test('"low", "medium"') == ("value", '"low", "medium"')
    with pytest.raises(ExpressionError):
        check_cell("[1..__import__('os')]")


def test_a_business_rule_task_must_call_a_valid_decision(tmp_path: Path, fixture_forms: FormCatalog) -> None:
    catalog = DecisionCatalog(FIXTURES / "decisions")
    verdict, parsed = check_document(mini_pathway(replace={SCRIPT: rule_task("risk_score")}), fixture_forms)
    assert verdict.valid and parsed is not None, verdict.summary()
    assert sorted(verdict.decisions) == ["risk_score"]
    for called, message in ((None, "names no decision"), ("nowhere", "no decision 'nowhere'")):
        verdict, parsed = check_document(mini_pathway(replace={SCRIPT: rule_task(called)}), fixture_forms)
        assert parsed is None and message in verdict.summary(), verdict.summary()
    (tmp_path / "bad.dmn").write_text(
        DECISION.replace("<text>3</text>", "<text>x.y</text>"), encoding="utf-8"
    )
    verdict, parsed = check_document(
        mini_pathway(replace={SCRIPT: rule_task("risk_score")}),
        fixture_forms,
        decisions=DecisionCatalog(tmp_path),
    )
    assert parsed is None and "bad.dmn) is invalid" in verdict.summary(), verdict.summary()
    assert catalog.ids() == ["risk_score"]


def test_the_docs_supported_elements_are_the_declarations() -> None:
    import re

    from engine.pathways.element_sheet import markdown

    docs = (Path(__file__).resolve().parents[3] / "docs" / "pathway-authoring.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- supported-elements:start -->\n(.*?)<!-- supported-elements:end -->", docs, re.S)
    assert found is not None, "docs/pathway-authoring.md lost its supported-elements markers"
    assert found.group(1) == markdown(), "paste this between the markers:\n" + markdown()


def test_removing_any_one_element_or_attribute_still_gets_a_verdict(fixture_forms: FormCatalog) -> None:
    """A cheap exhaustive fuzz: each element, then each attribute, of the shipped decision taken out in turn;
    a variant that stays valid must still run in a pathway (through check, parse and a first decision)."""
    from lxml import etree

    from engine.bpmn import spiff
    from engine.clock import FrozenClock, parse_instant

    original = etree.fromstring(SHIPPED.read_bytes())
    count = sum(1 for _ in original.iter())
    variants = []
    for index in range(1, count):
        root = etree.fromstring(SHIPPED.read_bytes())
        victim = list(root.iter())[index]
        if victim.getparent() is not None:
            victim.getparent().remove(victim)
        variants.append(etree.tostring(root))
        for name in list(list(etree.fromstring(SHIPPED.read_bytes()).iter())[index].attrib):
            root = etree.fromstring(SHIPPED.read_bytes())
            del list(root.iter())[index].attrib[name]
            variants.append(etree.tostring(root))
    assert len(variants) > 80
    bpmn = mini_pathway(replace={SCRIPT: rule_task("risk_level")})
    for data in variants:
        verdict, root = check_decision_document(data, "v.dmn")
        assert verdict.summary()
        if root is None:
            continue
        catalog = DecisionCatalog(Path("/nonexistent"))
        catalog._found = {verdict.decision_id: (verdict, root, data)}
        _, parsed = check_document(bpmn, fixture_forms, decisions=catalog)
        if parsed is None:
            continue
        start = {"admitted_at": "2025-01-01T10:00:00+02:00"}
        workflow = spiff.start(parsed, start, FrozenClock(parse_instant("2025-01-01")))
        task = spiff.ready_human_tasks(workflow)[0]
        try:
            spiff.complete(workflow, task.id, {"risk_level": "high", "risk_to_life": False})
        except spiff.RuntimeFailure as failure:
            assert failure.element_id == "score"
