"""DMN decision tables as Casepath runs them: every cell through the safe evaluator, never Python's ``eval``.

SpiffWorkflow's own DMN engine builds Python source by gluing an input expression to a cell
(``"score" + "< 5"``) and asks the script engine to run it. Casepath replaces that step: the input
expression is evaluated once, and each input entry is read as a DMN unary test against that value:

* ``-`` or an empty cell matches anything;
* a comparison with the input left out (``< 5``, ``>= 18``, ``!= "low"``);
* a range ``[1..5]``, ``(1..5]``, ``]1..5[`` (brackets include, parentheses or reversed brackets exclude);
* ``?`` standing for the input (``? > 3 and ? < 10``);
* any other expression: its value equals the input, or is a list or several comma-separated values
  that contain it (``"medium", "high"``).

``true``, ``false`` and ``null`` (as DMN editors write them) mean ``True``, ``False`` and ``None``.
Output entries are expressions too. Every text is checked by :mod:`engine.bpmn.expressions.syntax`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.dmn.specs import BusinessRuleTaskMixin

from engine.bpmn.expressions.evaluator import Evaluator
from engine.bpmn.expressions.syntax import check_expression
from engine.bpmn.script_engine import engine_of
from engine.errors import ExpressionError

INPUT = "dmninput"  # the name a cell's ``?`` stands for
FEEL_WORDS = {"true": True, "false": False, "null": None}
HIT_POLICIES = frozenset({"UNIQUE", "FIRST", "ANY", "COLLECT"})

_COMPARISON = re.compile(r"^\s*(<=|>=|!=|==|<|>|=)\s*(.+)$", re.DOTALL)
_RANGE = re.compile(r"^\s*([\[\]\(])\s*(.+?)\s*\.\.\s*(.+?)\s*([\[\]\)])\s*$", re.DOTALL)
_QUESTION = re.compile(r"\?(?=(?:[^'\"]|'[^']*'|\"[^\"]*\")*$)")  # a ? outside quotes


def cell_test(cell: str) -> tuple[str, str]:
    """What a DMN input entry asks: ``("test", expression)``, true when the input named :data:`INPUT`
    passes, or ``("value", expression)``, whose value must equal the input or contain it."""
    text = cell.strip()
    if text in ("", "-"):
        return "test", "True"
    ranged = _RANGE.match(text)
    if ranged:
        opening, low, high, closing = ranged.groups()
        above = ">=" if opening == "[" else ">"
        below = "<=" if closing == "]" else "<"
        return "test", f"({INPUT} {above} ({low})) and ({INPUT} {below} ({high}))"
    compared = _COMPARISON.match(text)
    if compared:
        operator, rest = compared.groups()
        return "test", f"{INPUT} {'==' if operator == '=' else operator} ({rest})"
    if _QUESTION.search(text):
        return "test", _QUESTION.sub(INPUT, text)
    return "value", text


def check_cell(cell: str) -> None:
    """Raise ExpressionError unless an input entry is a unary test inside the safe subset."""
    check_expression(cell_test(cell)[1])


def cell_matches(evaluator: Evaluator, cell: str, value: Any, data: Mapping[str, Any]) -> bool:
    """Whether the input ``value`` passes the unary test ``cell``; ExpressionError if the cell fails."""
    kind, expression = cell_test(cell)
    names = {**FEEL_WORDS, **data, INPUT: value}
    result = evaluator.evaluate(expression, names)
    if kind == "test":
        return bool(result)
    if isinstance(result, list | tuple):
        return value in result
    return bool(value == result)


class DecisionEngine(DMNEngine):  # type: ignore[misc]
    """SpiffWorkflow's table walk, with Casepath's reading of each cell."""

    def evaluate(self, input_expr: str | None, match_expr: str | None, task: Any) -> bool:
        if match_expr is None:
            return True
        evaluator = engine_of(task.workflow).environment.evaluator
        if not input_expr:
            raise ExpressionError("a decision input has no expression", problem="expression")
        value = evaluator.evaluate(input_expr, {**FEEL_WORDS, **task.data})
        return cell_matches(evaluator, match_expr, value, task.data)

    def result(self, task: Any) -> dict[str, Any]:
        """The outputs of the rules that match, as the table's hit policy says (see :func:`hit`)."""
        evaluator = engine_of(task.workflow).environment.evaluator
        names = {**FEEL_WORDS, **task.data}
        policy = str(self.decision_table.hit_policy).upper()
        rules = self.matching(task, first_only=policy == "FIRST")
        outputs = [_outputs_of(rule, evaluator, names) for rule in rules]
        return hit(
            policy, _decision_name(task, self.decision_table), [str(rule.id) for rule in rules], outputs
        )

    def matching(self, task: Any, first_only: bool = False) -> list[Any]:
        """Every rule whose input cells all pass, in table order (the library's walk stops at the first
        for UNIQUE, which would hide the second match that makes a UNIQUE table wrong)."""
        found = []
        for rule in self.decision_table.rules:
            if self._DMNEngine__check_rule(rule, task):
                found.append(rule)
                if first_only:
                    break
        return found


def hit(policy: str, table: str, rule_ids: list[str], outputs: list[dict[str, Any]]) -> dict[str, Any]:
    """What a decision gives, by its hit policy: UNIQUE the one matching rule (two or more stop the case
    with ``decision_not_unique``), FIRST the first in table order, ANY the matching rules' common outputs
    (different outputs stop the case with ``decision_conflict``), COLLECT a list per output. No rule
    matching gives no outputs: the case data keep what they had."""
    if policy == "COLLECT":
        keys = list(dict.fromkeys(key for row in outputs for key in row))
        return {key: [row[key] for row in outputs if key in row] for key in keys}
    if policy == "UNIQUE" and len(outputs) > 1:
        detail = f"{table}: rules {', '.join(rule_ids)} all match"
        raise ExpressionError(
            f"more than one rule of the UNIQUE decision {detail}", detail, problem="decision_not_unique"
        )
    if policy == "ANY" and any(row != outputs[0] for row in outputs[1:]):
        detail = f"{table}: rules {', '.join(rule_ids)} match with different outputs"
        raise ExpressionError(f"the ANY decision {detail}", detail, problem="decision_conflict")
    return outputs[0] if outputs else {}


def _decision_name(task: Any, table: Any) -> str:
    """The decision's id as the business rule task calls it (the table's own id if it has none)."""
    extensions = getattr(task.task_spec, "extensions", None) or {}
    return str(extensions.get("calledDecisionId") or getattr(table, "id", "") or "decision")


def _outputs_of(rule: Any, evaluator: Evaluator, names: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for entry in rule.outputEntries:
        key = entry.output.name or entry.output.label
        text = (entry.text or "").strip()
        found[key] = evaluator.evaluate(text, names) if text else None
    return found


def use_casepath_decisions(spec: Any) -> None:
    """Every business rule task of ``spec`` decides through :class:`DecisionEngine`."""
    for task_spec in spec.task_specs.values():
        if isinstance(task_spec, BusinessRuleTaskMixin) and isinstance(task_spec.dmnEngine, DMNEngine):
            task_spec.dmnEngine.__class__ = DecisionEngine


def library_problems(root: Any) -> list[str]:
    """What SpiffWorkflow's DMN parser says of an already safely parsed DMN tree ([] when it reads it)."""
    from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
    from SpiffWorkflow.dmn.parser.DMNParser import DMNParser

    namespaces = {key or "dmn": value for key, value in root.nsmap.items() if key != "dmn"}
    namespaces["dmn"] = root.nsmap.get("dmn") or root.nsmap.get(None) or ""
    try:
        parser = DMNParser(None, root, namespaces)
        parser.parse()
    except ValidationException as error:
        return [str(error).strip().splitlines()[0][:300]]
    except (KeyError, IndexError, ValueError, TypeError, AttributeError, SyntaxError) as error:
        return [f"the decision table could not be read ({error.__class__.__name__})"]
    return []
