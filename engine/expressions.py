"""The safe evaluator for the expressions and scripts written into uploaded BPMN diagrams.

Coordinators upload diagrams through a browser, so a gateway condition, a script task or a timer
expression is untrusted text. SpiffWorkflow's default script engine hands such text to Python's builtin
evaluator, which would be remote code execution. Here the text is only *parsed* (``ast.parse`` builds a
tree and runs nothing), checked against a whitelist, and interpreted by walking the tree:

* names are looked up in task data only and must hold data, never callables;
* there is no attribute access at all, and no name may start with ``_``, so no ``__class__`` walks;
* the only calls are to the functions in :data:`FUNCTIONS` (see ``engine/expression_functions.py``);
* work is bounded: text length, node count and nesting depth before running; integer size, string and
  list length and ``**`` exponents while running.

Scripts are assignments only. They work on a copy of the task data and write back only when every
statement succeeded, so a failing script leaves the case as it was.
"""

from __future__ import annotations

import ast
import functools
import textwrap
from collections import ChainMap
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from engine.clock import Clock
from engine.errors import ExpressionError
from engine.expression_functions import (
    ARITY,
    BINARY,
    COMPARE,
    FUNCTIONS,
    MAX_INT,
    bounded_size,
    check_number,
    get_item,
    get_slice,
    is_number,
    kind,
    make_functions,
    replace_item,
    short,
    to_data,
)

__all__ = ["FUNCTIONS", "Evaluator", "check_expression", "check_script"]

MAX_SOURCE = 10_000
MAX_EXPRESSION_NODES = 500
MAX_SCRIPT_NODES = 5_000
MAX_DEPTH = 50
MAX_STORED = 1_000_000
"""Most items plus characters one script run may store, so task data stays serialisable."""

Names = Mapping[str, Any]

_DATA_TYPES = (str, int, float, list, tuple, dict, type(None), date)
_CONSTANT_TYPES = (str, int, float, bool, type(None))
_SCALARS = (str, int, float, type(None))  # a tuple, not a `X | Y` union: isinstance is faster with it

_OPERATORS: frozenset[type[ast.AST]] = frozenset(
    {ast.Load, ast.And, ast.Or, ast.Not, ast.USub, ast.UAdd, *BINARY, *COMPARE}
)
_EXPRESSION_NODES = _OPERATORS | {
    ast.Expression, ast.Constant, ast.Name, ast.BoolOp, ast.UnaryOp, ast.BinOp, ast.Compare, ast.IfExp,
    ast.Subscript, ast.Slice, ast.List, ast.Tuple, ast.Dict, ast.Call,
}  # fmt: skip
_SCRIPT_NODES = _EXPRESSION_NODES | {ast.Module, ast.Assign, ast.AugAssign, ast.Pass, ast.Store}

_SYMBOLS = {
    ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>",
    ast.MatMult: "@", ast.Invert: "~",
}  # fmt: skip
_STATEMENTS = {
    ast.If: "if", ast.For: "for", ast.AsyncFor: "for", ast.While: "while", ast.Import: "import",
    ast.ImportFrom: "import", ast.FunctionDef: "def", ast.AsyncFunctionDef: "def", ast.ClassDef: "class",
    ast.Delete: "del", ast.With: "with", ast.AsyncWith: "with", ast.Try: "try", ast.TryStar: "try",
    ast.Return: "return", ast.Raise: "raise", ast.Global: "global",
    ast.Nonlocal: "nonlocal", ast.Assert: "assert", ast.Match: "match", ast.Break: "break",
    ast.Continue: "continue", ast.AnnAssign: "annotated assignment",
}  # fmt: skip
_REJECTED: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access ('.') is not allowed",
    ast.Lambda: "lambda is not allowed",
    **dict.fromkeys(
        (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp), "comprehensions are not allowed"
    ),
    **dict.fromkeys((ast.JoinedStr, ast.FormattedValue), "f-strings are not allowed"),
    **dict.fromkeys((ast.Await, ast.Yield, ast.YieldFrom), "await and yield are not allowed"),
    ast.Starred: "'*' unpacking is not allowed",
    ast.NamedExpr: "':=' is not allowed",
    ast.Set: "sets are not allowed; use a list",
    ast.keyword: "keyword arguments are not allowed",
    **{op: f"operator '{symbol}' is not allowed" for op, symbol in _SYMBOLS.items()},
    **{stmt: f"'{word}' statements are not allowed; a script may only assign values"
       for stmt, word in _STATEMENTS.items()},
    ast.Expr: "a bare expression does nothing; a script may only assign values, such as x = ...",
}  # fmt: skip


# --- parsing and the static check -------------------------------------------------------------------


def check_expression(expression: str) -> None:
    """Raise ExpressionError unless ``expression`` parses and stays inside the safe subset."""
    _parse_expression(expression)


def check_script(script: str) -> None:
    """Raise ExpressionError unless ``script`` parses and is assignments inside the safe subset."""
    _parse_script(script)


@functools.lru_cache(maxsize=2048)
def _parse_expression(expression: str) -> ast.expr:
    """The checked tree of an expression; cached because the same gateway condition runs many times."""
    tree = _parse(expression, "eval")
    _check(tree, expression, _EXPRESSION_NODES, MAX_EXPRESSION_NODES, lines=False)
    assert isinstance(tree, ast.Expression)
    return tree.body


@functools.lru_cache(maxsize=512)
def _parse_script(script: str) -> tuple[ast.stmt, ...]:
    tree = _parse(script, "exec")
    _check(tree, script, _SCRIPT_NODES, MAX_SCRIPT_NODES, lines=True)
    assert isinstance(tree, ast.Module)
    return tuple(tree.body)


def _parse(original: str, mode: str) -> ast.AST:
    """Parse only; diagram text is often indented by the XML around it, so that indentation is removed.

    The parser's own limits on nesting surface as SyntaxError, RecursionError or MemoryError; all of
    them become ExpressionError, and the length check comes first so huge text is never parsed.
    """
    if not isinstance(original, str):
        raise ExpressionError(f"an expression must be text, not {kind(original)}")
    if len(original) > MAX_SOURCE:
        raise ExpressionError(f"too long: {len(original)} characters (at most {MAX_SOURCE})", short(original))
    text = original.strip() if mode == "eval" else textwrap.dedent(original)
    try:
        return ast.parse(text, mode=mode)
    except SyntaxError as exc:
        raise ExpressionError(f"syntax error: {exc.msg} (line {exc.lineno})", original) from None
    except (RecursionError, MemoryError, ValueError):
        raise ExpressionError("too deeply nested or not valid", original) from None


def _check(tree: ast.AST, text: str, allowed: frozenset[type[ast.AST]], max_nodes: int, lines: bool) -> None:
    """Walk the tree without recursion: whitelist every node, count them and bound the depth."""
    stack = [(tree, 0, 1)]
    count = 0
    while stack:
        node, depth, line = stack.pop()
        line = getattr(node, "lineno", line)
        problem = _problem(node, depth, allowed)
        count += isinstance(node, ast.expr | ast.stmt)
        if count > max_nodes:
            problem = f"too large: more than {max_nodes} parts"
        if problem:
            raise ExpressionError(f"line {line}: {problem}" if lines else problem, text)
        stack.extend((child, depth + 1, line) for child in ast.iter_child_nodes(node))


def _problem(node: ast.AST, depth: int, allowed: frozenset[type[ast.AST]]) -> str:
    if type(node) not in allowed:
        return _REJECTED.get(type(node), f"{type(node).__name__} is not allowed")
    if depth > MAX_DEPTH:
        return f"nested more than {MAX_DEPTH} levels deep"
    return _NODE_CHECKS.get(type(node), _no_problem)(node)


def _no_problem(node: Any) -> str:
    return ""


def _check_name(node: ast.Name) -> str:
    return f"names starting with '_' are not allowed: {node.id!r}" if node.id.startswith("_") else ""


def _check_constant(node: ast.Constant) -> str:
    value = node.value
    if not isinstance(value, _CONSTANT_TYPES):
        return f"{type(value).__name__} literals are not allowed"
    if isinstance(value, int) and abs(value) > MAX_INT:
        return "number too large (at most 10**18)"
    return ""


def _check_call(node: ast.Call) -> str:
    if not isinstance(node.func, ast.Name):
        return "only functions such as len(x) may be called"
    name = node.func.id
    if name not in FUNCTIONS:
        return f"unknown function '{name}'; available: {', '.join(sorted(FUNCTIONS))}"
    if node.keywords:
        return "keyword arguments are not allowed"
    fewest, most = ARITY[name]
    if not fewest <= len(node.args) <= most:
        expected = (
            f"{fewest}" if fewest == most else f"{fewest} or {most}" if most == 2 else f"at least {fewest}"
        )
        noun = "argument" if expected == "1" else "arguments"
        return f"{name}() takes {expected} {noun} ({len(node.args)} given)"
    return ""


def _check_compare(node: ast.Compare) -> str:
    for op, right in zip(node.ops, node.comparators, strict=True):
        if isinstance(op, ast.Is | ast.IsNot) and not (
            isinstance(right, ast.Constant) and right.value is None
        ):
            return "'is' and 'is not' may only compare with None"
    return ""


def _check_subscript(node: ast.Subscript) -> str:
    if isinstance(node.slice, ast.Tuple) and any(isinstance(e, ast.Slice) for e in node.slice.elts):
        return "only one slice is allowed in x[a:b]"
    return ""


def _check_dict(node: ast.Dict) -> str:
    return "'**' unpacking is not allowed" if None in node.keys else ""


def _check_assign(node: ast.Assign | ast.AugAssign) -> str:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    for target in targets:
        while isinstance(target, ast.Subscript) and not isinstance(target.slice, ast.Slice):
            target = target.value
        if not isinstance(target, ast.Name):
            return "a script may only assign to a name or an item of one, such as x = 1 or x['key'] = 1"
    return ""


_NODE_CHECKS: dict[type[ast.AST], Callable[[Any], str]] = {
    ast.Name: _check_name,
    ast.Constant: _check_constant,
    ast.Call: _check_call,
    ast.Compare: _check_compare,
    ast.Subscript: _check_subscript,
    ast.Dict: _check_dict,
    ast.Assign: _check_assign,
    ast.AugAssign: _check_assign,
}


# --- evaluation -------------------------------------------------------------------------------------


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
    """The kind of problem, without values, for an incident (engine/run_problems.py)."""
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
        tree = _parse_expression(expression)
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
        statements = _parse_script(script)
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
