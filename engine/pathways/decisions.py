"""DMN decisions called by business rule tasks: their safe import, their verdict, their catalogue.

A decision lives in ``workflows/decisions/<file>.dmn`` (DMN 1.3, as dmn-js and Camunda Modeler save it;
1.2 and 1.1 are read too). It goes through the same hardened parse as a diagram, then gets a verdict per
decision and per rule: one decision table per file, a hit policy Casepath runs, and every cell (input
expressions, input entries, output entries) inside the safe expression subset. A pathway's business rule
task names its decision with ``spiffworkflow:calledDecisionId``; deploying the pathway copies the table
into the version's specs, so a running case keeps the decision it started with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from engine.bpmn.decisions import HIT_POLICIES, check_cell, library_problems
from engine.bpmn.expressions.syntax import check_expression
from engine.errors import ExpressionError, PathwayInvalid, Problem
from engine.pathways.importer import parse_xml

DMN_NAMESPACES = frozenset({
    "https://www.omg.org/spec/DMN/20191111/MODEL/",  # 1.3
    "http://www.omg.org/spec/DMN/20180521/MODEL/",  # 1.2
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",  # 1.1
})  # fmt: skip
_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,99}$")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,62}$")


@dataclass
class DecisionVerdict:
    """What Casepath thinks of one DMN file: its decision, and each rule's own verdict."""

    label: str
    decision_id: str = ""
    problems: list[Problem] = field(default_factory=list)  # the file's and the decision's
    rules: list[tuple[str, list[str]]] = field(default_factory=list)  # (rule label, its problems)
    readable: bool = True

    @property
    def valid(self) -> bool:
        return not self.problems and all(not found for _, found in self.rules)

    def summary(self) -> str:
        if not self.readable:
            head = f"{self.label}: not executable"
        elif self.valid:
            head = f"{self.label}: valid (decision {self.decision_id}, {len(self.rules)} rules)"
        else:
            head = f"{self.label}: invalid (decision {self.decision_id or '?'})"
        lines = [head, *(f"  - {problem}" for problem in self.problems)]
        for rule, found in self.rules:
            lines.extend(f"  - {rule}: {message}" for message in found or ["valid"])
        return "\n".join(lines)


def check_decision_document(
    data: bytes, label: str = "upload.dmn"
) -> tuple[DecisionVerdict, etree._Element | None]:
    """The verdict on a DMN document, and its tree when the verdict is valid."""
    verdict = DecisionVerdict(label)
    try:
        root = parse_xml(data, label)
    except PathwayInvalid as error:
        verdict.problems, verdict.readable = error.problems, False
        return verdict, None
    namespace = etree.QName(root).namespace or ""
    if namespace not in DMN_NAMESPACES or etree.QName(root).localname != "definitions":
        verdict.readable = False
        verdict.problems = [Problem(label, "not a DMN file: the root element is not DMN 1.3 definitions")]
        return verdict, None
    if namespace not in (root.nsmap.get(None), root.nsmap.get("dmn")):
        message = "declare the DMN namespace as the default namespace or with the prefix dmn"
        verdict.problems = [Problem(label, message)]
        return verdict, None
    decisions = root.findall(f"{{{namespace}}}decision")
    if len(decisions) != 1:
        message = f"a file holds exactly one decision (this one holds {len(decisions)}): split it"
        verdict.problems = [Problem(label, message)]
        return verdict, None
    _check_decision(decisions[0], namespace, verdict)
    if verdict.valid:
        verdict.problems.extend(Problem(verdict.decision_id, text) for text in library_problems(root))
    return verdict, (root if verdict.valid else None)


def _check_decision(decision: etree._Element, ns: str, verdict: DecisionVerdict) -> None:
    decision_id = decision.get("id") or ""
    verdict.decision_id = decision_id
    if not _ID.match(decision_id):
        verdict.problems.append(Problem(verdict.label, "the decision needs an id of letters, digits and _"))
        return
    tables = decision.findall(f"{{{ns}}}decisionTable")
    if len(tables) != 1:
        verdict.problems.append(Problem(decision_id, "the decision must be one decision table"))
        return
    table = tables[0]
    policy = (table.get("hitPolicy") or "UNIQUE").upper()
    if policy not in HIT_POLICIES:
        message = f"hit policy {policy} is not supported: use UNIQUE, FIRST, ANY or COLLECT"
        verdict.problems.append(Problem(decision_id, message))
    if table.get("aggregation"):
        verdict.problems.append(Problem(decision_id, "COLLECT with an aggregation is not supported"))
    inputs = table.findall(f"{{{ns}}}input")
    outputs = table.findall(f"{{{ns}}}output")
    for number, item in enumerate(inputs, 1):
        text = item.findtext(f"{{{ns}}}inputExpression/{{{ns}}}text") or ""
        problem = _expression_problem(text, check_expression) if text.strip() else "it has no expression"
        if problem:
            verdict.problems.append(Problem(item.get("id") or decision_id, f"input {number}: {problem}"))
    for number, item in enumerate(outputs, 1):
        if not _NAME.match(item.get("name") or ""):
            message = f"output {number} needs a name of letters, digits and _ (the case data it sets)"
            verdict.problems.append(Problem(item.get("id") or decision_id, message))
    if not outputs:
        verdict.problems.append(Problem(decision_id, "the decision table has no output"))
    for number, rule in enumerate(table.findall(f"{{{ns}}}rule"), 1):
        label = f"rule {number} ({rule.get('id') or 'no id'})"
        verdict.rules.append((label, _rule_problems(rule, ns, len(inputs), len(outputs))))
    if not verdict.rules:
        verdict.problems.append(Problem(decision_id, "the decision table has no rule"))


def _rule_problems(rule: etree._Element, ns: str, inputs: int, outputs: int) -> list[str]:
    problems: list[str] = []
    if rule.get("id") is None:
        problems.append("the rule needs an id")
    entries = rule.findall(f"{{{ns}}}inputEntry")
    results = rule.findall(f"{{{ns}}}outputEntry")
    if len(entries) != inputs or len(results) != outputs:
        problems.append(
            f"{len(entries)} input and {len(results)} output cells for {inputs} inputs and {outputs} outputs"
        )
        return problems
    for number, entry in enumerate(entries, 1):
        text = entry.findtext(f"{{{ns}}}text") or ""
        problem = _expression_problem(text, check_cell)
        if problem:
            problems.append(f"input cell {number} {text.strip()[:60]!r}: {problem}")
    for number, entry in enumerate(results, 1):
        text = (entry.findtext(f"{{{ns}}}text") or "").strip()
        problem = _expression_problem(text, check_expression) if text else ""
        if problem:
            problems.append(f"output cell {number} {text[:60]!r}: {problem}")
    return problems


def _expression_problem(text: str, check: object) -> str:
    try:
        check(text)  # type: ignore[operator]
    except ExpressionError as error:
        return error.message
    return ""


class DecisionCatalog:
    """The decisions of one ``workflows/decisions`` folder, by decision id, read once and kept."""

    def __init__(self, decisions_dir: Path) -> None:
        self.decisions_dir = decisions_dir
        self._found: dict[str, tuple[DecisionVerdict, etree._Element | None, bytes]] | None = None

    def _all(self) -> dict[str, tuple[DecisionVerdict, etree._Element | None, bytes]]:
        if self._found is None:
            self._found = {}
            for path in sorted(self.decisions_dir.glob("*.dmn")) if self.decisions_dir.is_dir() else []:
                try:
                    data = path.read_bytes()
                except OSError:  # a folder named *.dmn, a broken link: no decision, and the task says so
                    continue
                verdict, root = check_decision_document(data, path.name)
                if verdict.decision_id and verdict.decision_id not in self._found:
                    self._found[verdict.decision_id] = (verdict, root, data)
        return self._found

    def ids(self) -> list[str]:
        return sorted(self._all())

    def find(self, decision_id: str) -> tuple[DecisionVerdict, etree._Element | None, bytes] | None:
        return self._all().get(decision_id)


def beside(forms_dir: Path) -> DecisionCatalog:
    """The decisions of the workflows folder whose forms are in ``forms_dir`` (``workflows/decisions``)."""
    return DecisionCatalog(forms_dir.parent / "decisions")
