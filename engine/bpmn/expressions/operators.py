"""The operators, item access and value storing of diagram expressions, each bounded in what it builds.

Python's own operators would let ``"x" * 10**12`` or ``2 ** 10**9`` take the server down, so each one
here checks the sizes of what it is given before computing.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from typing import Any

from engine.bpmn.expressions.functions import (
    MAX_DATA_DEPTH,
    MAX_EXPONENT,
    MAX_REPEAT,
    MAX_SIZE,
    MISSING,
    bounded_size,
    check_number,
    is_number,
    kind,
    short,
)
from engine.errors import ExpressionError


def _unsupported(symbol: str, left: object, right: object) -> ExpressionError:
    return ExpressionError(f"cannot use '{symbol}' on {kind(left)} and {kind(right)}", problem="wrong_kind")


def _arithmetic(symbol: str, compute: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def apply(left: Any, right: Any) -> Any:
        if is_number(left) and is_number(right):
            return check_number(compute(left, right))
        raise _unsupported(symbol, left, right)

    return apply


def _add(left: Any, right: Any) -> Any:
    if is_number(left) and is_number(right):
        return check_number(left + right)
    if any(isinstance(left, sequence) and isinstance(right, sequence) for sequence in (str, list, tuple)):
        if len(left) + len(right) > MAX_SIZE:
            raise ExpressionError(f"result too long (at most {MAX_SIZE} items or characters)")
        return left + right
    raise _unsupported("+", left, right)


def _multiply(left: Any, right: Any) -> Any:
    if is_number(left) and is_number(right):
        return check_number(left * right)
    if isinstance(left, str | list | tuple) and isinstance(right, int):
        return _repeat(left, right)
    if isinstance(left, int) and isinstance(right, str | list | tuple):
        return _repeat(right, left)
    raise _unsupported("*", left, right)


def _repeat(sequence: str | list[Any] | tuple[Any, ...], times: int) -> Any:
    size = len(sequence) if isinstance(sequence, str) else bounded_size(sequence, MAX_REPEAT)
    if times > 0 and size * times > MAX_REPEAT:
        raise ExpressionError(f"result too long (at most {MAX_REPEAT} items or characters)")
    return sequence * times


def _power(base: Any, exponent: Any) -> Any:
    if not (is_number(base) and is_number(exponent)):
        raise _unsupported("**", base, exponent)
    if abs(exponent) > MAX_EXPONENT:
        raise ExpressionError(f"exponent too large (at most {MAX_EXPONENT})")
    # An integer result has at least (bits of base - 1) * exponent bits: refuse before computing it.
    if isinstance(base, int) and isinstance(exponent, int) and (abs(base).bit_length() - 1) * exponent > 63:
        raise ExpressionError("number too large (at most 10**18)", problem="too_large")
    result = base**exponent
    if isinstance(result, complex):
        raise ExpressionError("result is not a real number")
    return check_number(result)


BINARY: dict[type[ast.AST], Callable[[Any, Any], Any]] = {
    ast.Add: _add,
    ast.Sub: _arithmetic("-", operator.sub),
    ast.Mult: _multiply,
    ast.Div: _arithmetic("/", operator.truediv),
    ast.FloorDiv: _arithmetic("//", operator.floordiv),
    ast.Mod: _arithmetic("%", operator.mod),
    ast.Pow: _power,
}


def _ordering(symbol: str, compare: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def apply(left: Any, right: Any) -> bool:
        try:
            return compare(left, right)
        except TypeError:
            raise ExpressionError(f"cannot compare {kind(left)} and {kind(right)} with '{symbol}'") from None

    return apply


def _is_in(needle: Any, haystack: Any) -> bool:
    if isinstance(haystack, str):
        if not isinstance(needle, str):
            raise ExpressionError(f"cannot look for {kind(needle)} in text")
        return needle in haystack
    if isinstance(haystack, list | tuple | dict):
        return needle in haystack
    raise ExpressionError(f"'in' needs text, a list or a dict on its right, not {kind(haystack)}")


COMPARE: dict[type[ast.AST], Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: _ordering("<", operator.lt),
    ast.LtE: _ordering("<=", operator.le),
    ast.Gt: _ordering(">", operator.gt),
    ast.GtE: _ordering(">=", operator.ge),
    ast.In: _is_in,
    ast.NotIn: lambda needle, haystack: not _is_in(needle, haystack),
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}


def get_item(container: Any, key: Any) -> Any:
    """``container[key]`` for dicts, lists and text, with messages for people."""
    if isinstance(container, dict):
        try:
            return container[key]
        except KeyError:
            raise ExpressionError(f"key {short(key)} not found", problem=MISSING) from None
        except TypeError:
            raise ExpressionError(f"{kind(key)} cannot be a dict key") from None
    if isinstance(container, list | tuple | str):
        if not isinstance(key, int):
            raise ExpressionError(f"an index must be a whole number, not {kind(key)}")
        if not -len(container) <= key < len(container):
            raise ExpressionError(f"index {key} out of range (length {len(container)})", problem=MISSING)
        return container[key]
    raise ExpressionError(f"cannot take an item of {kind(container)}")


def get_slice(container: Any, lower: Any, upper: Any, step: Any) -> Any:
    """``container[lower:upper:step]`` for lists and text."""
    if not isinstance(container, list | tuple | str):
        raise ExpressionError(f"cannot slice {kind(container)}")
    if not all(bound is None or isinstance(bound, int) for bound in (lower, upper, step)):
        raise ExpressionError("slice bounds must be whole numbers")
    if step == 0:
        raise ExpressionError("slice step cannot be zero")
    return container[lower:upper:step]


# --- storing values from scripts ---------------------------------------------------------------------


def replace_item(container: Any, keys: list[Any], value: Any) -> Any:
    """A copy of ``container`` with the item at the path ``keys`` set to ``value``; the original is kept."""
    key = keys[0]
    if isinstance(container, dict):
        if not isinstance(key, str):
            raise ExpressionError(f"dict keys must be text, not {kind(key)}")
        copy: dict[str, Any] | list[Any] = dict(container)
    elif isinstance(container, list):
        if not isinstance(key, int) or not -len(container) <= key < len(container):
            raise ExpressionError(f"cannot assign to index {short(key)} of a list of {len(container)}")
        copy = list(container)
    else:
        raise ExpressionError(f"cannot assign to an item of {kind(container)}")
    copy[key] = replace_item(get_item(container, key), keys[1:], value) if len(keys) > 1 else value
    return copy


def to_data(value: Any, budget: list[int], depth: int) -> Any:
    """A fresh JSON-like copy of ``value`` (tuples become lists), as task data must be serialisable.

    ``budget`` counts down the items and characters the script may still store, so a value sharing one
    list or string many times over cannot grow exponentially through a chain of assignments.
    """
    budget[0] -= len(value) + 1 if isinstance(value, str) else 1
    if budget[0] < 0 or depth > MAX_DATA_DEPTH:
        raise ExpressionError("value too large or too deeply nested to store")
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return check_number(value)
    if isinstance(value, list | tuple):
        return [to_data(item, budget, depth + 1) for item in value]
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise ExpressionError("only text may be used as dict keys in stored values")
        return {key: to_data(item, budget, depth + 1) for key, item in value.items()}
    raise ExpressionError(f"cannot store {kind(value)}: task data must be text, numbers, lists or dicts")
