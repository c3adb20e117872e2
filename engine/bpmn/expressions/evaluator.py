"""The safe evaluator for the expressions and scripts written into uploaded BPMN diagrams.

Coordinators upload diagrams through a browser, so a gateway condition, a script task or a timer
expression is untrusted text. SpiffWorkflow's default script engine hands such text to Python's builtin
evaluator, which would be remote code execution. Here the text is only *parsed* (``ast.parse`` builds a
tree and runs nothing), checked against a whitelist, and interpreted by walking the tree:

* names are looked up in task data only and must hold data, never callables;
* there is no attribute access at all, and no name may start with ``_``, so no ``__class__`` walks;
* the only calls are to the functions in :data:`FUNCTIONS` (see :mod:`engine.bpmn.expressions.functions`);
* work is bounded: text length, node count and nesting depth before running; integer size, string and
  list length and ``**`` exponents while running.

Scripts are assignments only. They work on a copy of the task data and write back only when every
statement succeeded, so a failing script leaves the case as it was.
"""

from __future__ import annotations

import ast
from collections import ChainMap
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from engine.bpmn.expressions.functions import (
    bounded_size,
    check_number,
    is_number,
    kind,
    make_functions,
    short,
)
from engine.bpmn.expressions.operators import BINARY, COMPARE, get_item, get_slice, replace_item, to_data
from engine.bpmn.expressions.syntax import parse_expression, parse_script
from engine.clock import Clock
from engine.errors import ExpressionError

MAX_STORED = 1_000_000
"""Most items plus characters one script run may store, so task data stays serialisable."""

Names = Mapping[str, Any]

_DATA_TYPES = (str, int, float, list, tuple, dict, type(None), date)
_SCALARS = (str, int, float, type(None))  # a tuple, not a `X | Y` union: isinstance is faster with it


def _admit(value: Any, what: str) -> Any:
    """``value`` if it is data; a callable or any other object from the caller's mapping is refused."""
    if isinstance(value, _DATA_TYPES):
        return value
    raise ExpressionError(f"{what} is not data but {type(value).__name__}")


def _check_result(result: Any) -> None:
    """Refuse a result that is not data, or one that shares a big list so often it cannot be stored."""
    _admit(result, "the result")
    if bounded_size(result, MAX_STORED, text=True) > MAX_STORED:
        raise ExpressionError("the result is too large")


def _message(exc: Exception) -> str:
    """A short message for people from any exception raised while evaluating."""
    if isinstance(exc, ExpressionError):
        return exc.message
    if isinstance(exc, ZeroDivisionError):
        return "division by zero"
    if isinstance(exc, OverflowError):
        return "number too large"
    if isinstance(exc, RecursionError | MemoryError):
        return "too deeply nested or too large"
    return short(str(exc), 200) or type(exc).__name__


def _kind_of_problem(exc: Exception) -> str:
    """The kind of problem, without values, for an incident (engine/bpmn/run_problems.py)."""
    if isinstance(exc, ExpressionError):
        return exc.problem
    if isinstance(exc, ZeroDivisionError):
        return "division_by_zero"
    if isinstance(exc, OverflowError | RecursionError | MemoryError):
        return "too_large"
    return "expression"


class Evaluator:
    """Evaluates expressions and runs scripts from diagrams; safe to share between threads."""

    def __init__(self, clock: Clock) -> None:
        self._functions = make_functions(clock)
        self._dispatch: dict[type[ast.AST], Callable[[Any, Names], Any]] = {
            ast.Constant: self._constant,
            ast.Name: self._name,
            ast.BoolOp: self._bool_op,
            ast.UnaryOp: self._unary_op,
            ast.BinOp: self._bin_op,
            ast.Compare: self._compare,
            ast.IfExp: self._if_exp,
            ast.Subscript: self._subscript,
            ast.List: self._list,
            ast.Tuple: self._tuple,
            ast.Dict: self._dict,
            ast.Call: self._call,
        }

    def evaluate(self, expression: str, names: Mapping[str, Any]) -> Any:
        """Evaluate one expression against ``names`` (task data). Raises ExpressionError."""
        tree = parse_expression(expression)
        try:
            result = self._eval(tree, names)
            if not isinstance(result, _SCALARS):
                _check_result(result)
        except Exception as exc:
            raise ExpressionError(_message(exc), expression, problem=_kind_of_problem(exc)) from exc
        return result

    def execute(self, script: str, context: dict[str, Any]) -> None:
        """Run a script of assignments, updating ``context`` only if every statement succeeds.

        Subscript assignment copies the containers on its path instead of mutating them, so task data
        behaves as values: the caller's dicts are untouched on error, and after ``b = a`` a change to
        ``a["k"]`` does not show through ``b``.
        """
        statements = parse_script(script)
        assigned: dict[str, Any] = {}
        names = ChainMap(assigned, context)
        budget = [MAX_STORED]
        for statement in statements:
            try:
                self._run(statement, names, assigned, budget)
            except Exception as exc:
                raise ExpressionError(
                    f"line {statement.lineno}: {_message(exc)}", script, problem=_kind_of_problem(exc)
                ) from exc
        context.update(assigned)

    def _eval(self, node: ast.expr, names: Names) -> Any:
        return self._dispatch[type(node)](node, names)

    def _constant(self, node: ast.Constant, names: Names) -> Any:
        return node.value

    def _name(self, node: ast.Name, names: Names) -> Any:
        try:
            value = names[node.id]
        except KeyError:
            raise ExpressionError(f"unknown name '{node.id}'", problem="unknown_name") from None
        return value if isinstance(value, _DATA_TYPES) else _admit(value, f"'{node.id}'")

    def _bool_op(self, node: ast.BoolOp, names: Names) -> Any:
        stop_when = not isinstance(node.op, ast.And)  # `and` stops at a falsy value, `or` at a truthy one
        for operand in node.values:
            value = self._eval(operand, names)
            if bool(value) is stop_when:
                return value
        return value

    def _unary_op(self, node: ast.UnaryOp, names: Names) -> Any:
        value = self._eval(node.operand, names)
        if isinstance(node.op, ast.Not):
            return not value
        if not is_number(value):
            raise ExpressionError(f"cannot use unary minus or plus on {kind(value)}")
        return check_number(-value if isinstance(node.op, ast.USub) else +value)

    def _bin_op(self, node: ast.BinOp, names: Names) -> Any:
        return BINARY[type(node.op)](self._eval(node.left, names), self._eval(node.right, names))

    def _compare(self, node: ast.Compare, names: Names) -> bool:
        left = self._eval(node.left, names)
        if len(node.ops) == 1:  # the common case, kept fast
            return COMPARE[type(node.ops[0])](left, self._eval(node.comparators[0], names))
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = self._eval(comparator, names)
            if not COMPARE[type(op)](left, right):
                return False
            left = right
        return True

    def _if_exp(self, node: ast.IfExp, names: Names) -> Any:
        return self._eval(node.body if self._eval(node.test, names) else node.orelse, names)

    def _subscript(self, node: ast.Subscript, names: Names) -> Any:
        container = self._eval(node.value, names)
        if isinstance(node.slice, ast.Slice):
            bounds = (node.slice.lower, node.slice.upper, node.slice.step)
            return get_slice(container, *(None if b is None else self._eval(b, names) for b in bounds))
        return _admit(get_item(container, self._eval(node.slice, names)), "the item")

    def _list(self, node: ast.List, names: Names) -> list[Any]:
        return [self._eval(element, names) for element in node.elts]

    def _tuple(self, node: ast.Tuple, names: Names) -> tuple[Any, ...]:
        return tuple(self._eval(element, names) for element in node.elts)

    def _dict(self, node: ast.Dict, names: Names) -> dict[Any, Any]:
        pairs = zip(node.keys, node.values, strict=True)
        return {self._eval(k, names): self._eval(v, names) for k, v in pairs if k is not None}

    def _call(self, node: ast.Call, names: Names) -> Any:
        assert isinstance(node.func, ast.Name)
        return self._functions[node.func.id](*(self._eval(arg, names) for arg in node.args))

    # --- scripts ------------------------------------------------------------------------------------

    def _run(self, statement: ast.stmt, names: Names, assigned: dict[str, Any], budget: list[int]) -> None:
        if isinstance(statement, ast.Assign):
            value = self._eval(statement.value, names)
            for target in statement.targets:
                self._store(target, to_data(value, budget, 0), names, assigned)
        elif isinstance(statement, ast.AugAssign):
            current = self._eval(statement.target, names)
            value = BINARY[type(statement.op)](current, self._eval(statement.value, names))
            self._store(statement.target, to_data(value, budget, 0), names, assigned)

    def _store(self, target: ast.expr, value: Any, names: Names, assigned: dict[str, Any]) -> None:
        keys = []
        while isinstance(target, ast.Subscript):
            keys.append(self._eval(target.slice, names))
            target = target.value
        assert isinstance(target, ast.Name)
        if keys:
            value = replace_item(self._name(target, names), keys[::-1], value)
        assigned[target.id] = value
