"""The functions and operators an expression may use, and the limits every value obeys.

Attribute access is banned in expressions (it is the door to ``__class__`` walks), so the few string
methods people need are offered as functions: ``lower(s)``, ``upper(s)``, ``strip(s)`` and
``contains(haystack, needle)``. Each function checks its own arguments and raises
:class:`ExpressionError` with a message meant for the coordinator who wrote the diagram.

Builtins are never exposed directly: ``sum(lists, [])``, ``round(1, -10**9)`` or ``int(text, base)``
have second arguments that build huge values, so every function here takes exactly what it needs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from engine import clock as clocks
from engine.clock import Clock
from engine.errors import ExpressionError

MAX_INT = 10**18
"""Largest integer magnitude an expression may produce."""
MAX_SIZE = 100_000
"""Longest string or list an expression may build by ``+``, and largest value ``str()`` may print."""
MAX_REPEAT = 10_000
"""Most items (or characters) ``"x" * n`` and ``[x] * n`` may produce."""
MAX_ROUND_DIGITS = 15
MAX_EXPONENT = 100
MAX_DATA_DEPTH = 100
UNREADABLE = "unreadable_value"  # problem kinds an incident names (engine/bpmn/run_problems.py)
MISSING = "missing_item"

Function = Callable[..., Any]

ARITY: dict[str, tuple[int, int]] = {
    "len": (1, 1), "min": (1, MAX_SIZE), "max": (1, MAX_SIZE), "abs": (1, 1), "round": (1, 2),
    "int": (1, 1), "float": (1, 1), "str": (1, 1), "bool": (1, 1), "sum": (1, 1), "any": (1, 1),
    "all": (1, 1), "sorted": (1, 1), "lower": (1, 1), "upper": (1, 1), "strip": (1, 1),
    "contains": (2, 2), "today": (0, 0), "now": (0, 0), "add_duration": (2, 2), "days_between": (2, 2),
    "date": (1, 1),
}  # fmt: skip
"""Each function's (fewest, most) positional arguments; checked when a diagram is imported."""

FUNCTIONS: frozenset[str] = frozenset(ARITY)

_NUMBERS = (int, float)  # a tuple, not `int | float`: isinstance is faster with it on hot paths
_KINDS = {str: "text", int: "number", float: "number", bool: "boolean", list: "list", tuple: "list"}


def kind(value: object) -> str:
    """A type name for people: 'text', 'number', 'list' … rather than Python's class names."""
    if value is None:
        return "None"
    return _KINDS.get(type(value)) or ("dict" if isinstance(value, dict) else type(value).__name__)


def short(value: object, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters, for error messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def is_number(value: object) -> bool:
    return isinstance(value, _NUMBERS)


def check_number(value: int | float) -> int | float:
    """``value`` if it is a finite number within ``MAX_INT``; ExpressionError otherwise."""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ExpressionError("number too large" if math.isinf(value) else "not a number")
    elif abs(value) > MAX_INT:
        raise ExpressionError("number too large (at most 10**18)", problem="too_large")
    return value


def bounded_size(value: object, budget: int, *, text: bool = False) -> int:
    """Items in ``value`` counted through nested lists and dicts (and characters if ``text``).

    The walk stops once past ``budget``. Counting by walking rather than ``len`` matters:
    ``[[1] * 10_000] * 10_000`` is a short list holding one list many times over, cheap in memory but
    enormous once copied, printed or serialised.
    """
    count = len(value) if text and isinstance(value, str) else 0
    stack = [value]
    while stack and count <= budget:
        item = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list | tuple):
            count += len(item)
            stack.extend(element for element in item if isinstance(element, list | tuple | dict | str))
        if text and isinstance(item, str) and item is not value:
            count += len(item)
    return count


def _items(name: str, value: object) -> list[Any] | tuple[Any, ...] | str | dict[Any, Any]:
    if isinstance(value, list | tuple | str | dict):
        return value
    raise ExpressionError(f"{name}() needs a list, not {kind(value)}", problem="wrong_kind")


def _text(name: str, value: object) -> str:
    if isinstance(value, str):
        return value
    raise ExpressionError(f"{name}() needs text, not {kind(value)}", problem="wrong_kind")


def _number(name: str, value: object) -> int | float:
    if isinstance(value, int | float):
        return value
    raise ExpressionError(f"{name}() needs a number, not {kind(value)}", problem="wrong_kind")


def _short_text(value: str) -> str:
    """``value`` stripped; a text longer than any number or date raises ValueError before parsing."""
    if len(value) > 100:
        raise ValueError("too long")
    return value.strip()


def _len(value: object) -> int:
    return len(_items("len", value))


def _extreme(name: str, pick: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    values = _items(name, args[0]) if len(args) == 1 else args
    if not values:
        raise ExpressionError(f"{name}() of an empty list")
    return pick(values)


def _min(*args: Any) -> Any:
    return _extreme("min", min, args)


def _max(*args: Any) -> Any:
    return _extreme("max", max, args)


def _abs(value: object) -> int | float:
    return check_number(abs(_number("abs", value)))


def _round(value: object, digits: object = None) -> int | float:
    number = _number("round", value)
    if digits is None:
        return check_number(round(number))
    if not isinstance(digits, int) or abs(digits) > MAX_ROUND_DIGITS:
        raise ExpressionError(
            f"round() needs a whole number of digits between -15 and 15, not {short(digits)}"
        )
    return check_number(round(number, digits))


def _int(value: object) -> int:
    if isinstance(value, str):
        try:
            return int(check_number(int(_short_text(value))))
        except ValueError:
            message = f"int() cannot read {short(value)} as a whole number"
            raise ExpressionError(message, problem=UNREADABLE) from None
    return int(check_number(int(_number("int", value))))


def _float(value: object) -> float:
    if isinstance(value, str):
        try:
            return float(check_number(float(_short_text(value))))
        except ValueError:
            message = f"float() cannot read {short(value)} as a number"
            raise ExpressionError(message, problem=UNREADABLE) from None
    return float(check_number(float(_number("float", value))))


def _str(value: object) -> str:
    if isinstance(value, str):
        return value
    if bounded_size(value, MAX_SIZE, text=True) > MAX_SIZE:
        raise ExpressionError("str() of a value that is too large")
    text = str(value)
    if len(text) > MAX_SIZE:
        raise ExpressionError("str() of a value that is too large")
    return text


def _sum(values: object) -> int | float:
    items = _items("sum", values)
    numbers: list[int | float] = [item for item in items if isinstance(item, int | float)]
    if len(numbers) != len(items):
        raise ExpressionError("sum() needs a list of numbers")
    return check_number(sum(numbers))


def _contains(haystack: object, needle: object) -> bool:
    items = _items("contains", haystack)
    if isinstance(items, str) and not isinstance(needle, str):
        raise ExpressionError(f"contains() on text needs text to look for, not {kind(needle)}")
    return needle in items


def _instant(name: str, value: object) -> datetime:
    """An aware instant from an ISO string, a datetime (naive = Sofia) or a date (midnight in Sofia)."""
    if isinstance(value, datetime):
        return clocks.as_utc(value if value.tzinfo else value.replace(tzinfo=clocks.SOFIA))
    if isinstance(value, date):
        return clocks.parse_instant(value.isoformat())
    try:
        return clocks.parse_instant(_short_text(_text(name, value)))
    except ValueError:
        raise ExpressionError(
            f"{name}() cannot read {short(value)} as an ISO date or datetime", problem=UNREADABLE
        ) from None


def _add_duration(moment: object, duration: object) -> str:
    start = _instant("add_duration", moment)
    try:
        parsed = clocks.parse_duration(_text("add_duration", duration))
    except ValueError as exc:
        raise ExpressionError(f"add_duration(): {exc}") from None
    return clocks.isoformat_local(clocks.add_duration(start, parsed))


def _days_between(start: object, end: object) -> int:
    return clocks.days_between(_instant("days_between", start), _instant("days_between", end))


def _date(moment: object) -> str:
    return clocks.local_date(_instant("date", moment)).isoformat()


_PURE: dict[str, Function] = {
    "len": _len, "min": _min, "max": _max, "abs": _abs, "round": _round, "int": _int, "float": _float,
    "str": _str, "bool": bool, "sum": _sum, "contains": _contains,
    "any": lambda values: any(_items("any", values)),
    "all": lambda values: all(_items("all", values)),
    "sorted": lambda values: sorted(_items("sorted", values)),
    "lower": lambda text: _text("lower", text).lower(),
    "upper": lambda text: _text("upper", text).upper(),
    "strip": lambda text: _text("strip", text).strip(),
    "add_duration": _add_duration, "days_between": _days_between, "date": _date,
}  # fmt: skip


def make_functions(clock: Clock) -> dict[str, Function]:
    """The callable behind each name in :data:`FUNCTIONS`; ``today()`` and ``now()`` read ``clock``."""
    functions = dict(_PURE)
    functions["today"] = lambda: clocks.local_date(clock.now()).isoformat()
    functions["now"] = lambda: clocks.isoformat_local(clock.now())
    assert functions.keys() == FUNCTIONS
    return functions
