"""Every scenario beside every shipped pathway passes: the law's clocks as the suite checks them."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from engine.bpmn.parsing import ParsedPathway
from engine.config import PROJECT_ROOT
from engine.pathways import lint, scenarios
from engine.pathways.forms import FormCatalog

PATHWAYS = PROJECT_ROOT / "workflows" / "pathways"
FORMS = FormCatalog(PROJECT_ROOT / "workflows" / "forms")
FILES = sorted(PATHWAYS.glob("*/scenarios/*.json"))


@cache
def parsed(bpmn: Path) -> ParsedPathway:
    verdict, found = lint.check_document(bpmn.read_bytes(), FORMS, bpmn.name)
    assert found is not None, verdict.summary()
    return found


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_the_scenario_passes(path: Path) -> None:
    pathway = path.parent.parent / f"{path.parent.parent.name}.bpmn"
    outcome = scenarios.run(scenarios.load(path), parsed(pathway), FORMS)
    assert outcome.passed, outcome.line()


def test_scenarios_have_unique_names() -> None:
    names = [scenarios.load(path).name for path in FILES]
    assert len(names) == len(set(names))
