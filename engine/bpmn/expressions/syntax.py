"""Parsing and the static check of diagram expressions and scripts: what text is allowed at all.

The text is only *parsed* (``ast.parse`` builds a tree and runs nothing) and every node is checked
against a whitelist: no attribute access, no names starting with ``_``, no comprehensions or lambdas,
calls only to the functions in :data:`~engine.bpmn.expressions.functions.FUNCTIONS`, and limits on
text length, node count and nesting depth. The checked trees are cached for the evaluator.
"""

from __future__ import annotations

import ast
import functools
import textwrap
from collections.abc import Callable
from typing import Any

from engine.bpmn.expressions.functions import ARITY, FUNCTIONS, MAX_INT, kind, short
from engine.bpmn.expressions.operators import BINARY, COMPARE
from engine.errors import ExpressionError

MAX_SOURCE = 10_000
MAX_EXPRESSION_NODES = 500
MAX_SCRIPT_NODES = 5_000
MAX_DEPTH = 50

_CONSTANT_TYPES = (str, int, float, bool, type(None))

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


def check_expression(expression: str) -> None:
    """Raise ExpressionError unless ``expression`` parses and stays inside the safe subset."""
    parse_expression(expression)


def check_script(script: str) -> None:
    """Raise ExpressionError unless ``script`` parses and is assignments inside the safe subset."""
    parse_script(script)


@functools.lru_cache(maxsize=2048)
def parse_expression(expression: str) -> ast.expr:
    """The checked tree of an expression; cached because the same gateway condition runs many times."""
    tree = _parse(expression, "eval")
    _check(tree, expression, _EXPRESSION_NODES, MAX_EXPRESSION_NODES, lines=False)
    assert isinstance(tree, ast.Expression)
    return tree.body


@functools.lru_cache(maxsize=512)
def parse_script(script: str) -> tuple[ast.stmt, ...]:
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
