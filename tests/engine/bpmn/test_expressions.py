"""The safe evaluator: what diagrams may write, what they may not, and what it costs at most."""

from __future__ import annotations

import ast
import contextlib
import random
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from engine.bpmn.expressions.evaluator import Evaluator
from engine.bpmn.expressions.functions import FUNCTIONS
from engine.bpmn.expressions.syntax import check_expression, check_script
from engine.clock import FrozenClock
from engine.errors import ExpressionError

REPO = Path(__file__).resolve().parents[3]

# 22:30 UTC on the day Sofia moves to summer time: already 31 March, 01:30 (+03:00) in Sofia.
NOW = datetime(2025, 3, 30, 22, 30, tzinfo=UTC)


@pytest.fixture
def evaluator() -> Evaluator:
    return Evaluator(FrozenClock(NOW))


def data() -> dict[str, Any]:
    return {
        "age": 17,
        "score": 2.5,
        "name": "  Maria Ivanova ",
        "risk": "high",
        "flags": ["urgent", "minor"],
        "counts": [3, 1, 2],
        "referral": {"source": "school", "contact": {"phone": "0888"}},
        "consent": True,
        "closed_at": None,
        "opened_on": date(2025, 1, 1),
    }


ALLOWED = [
    # literals and names
    ("1", 1),
    ("-2.5", -2.5),
    ("'text'", "text"),
    ("True", True),
    ("None", None),
    ("age", 17),
    ("[1, 'a', None]", [1, "a", None]),
    ("(1, 2)", (1, 2)),
    ("{'a': 1, 'b': [2]}", {"a": 1, "b": [2]}),
    ("opened_on", date(2025, 1, 1)),
    # comparisons
    ("age == 17", True),
    ("age != 17", False),
    ("age < 18", True),
    ("age <= 16", False),
    ("score > 2", True),
    ("score >= 2.5", True),
    ("0 < age < 18", True),
    ("0 < age < 10", False),
    ("'urgent' in flags", True),
    ("'x' not in flags", True),
    ("'Maria' in name", True),
    ("'source' in referral", True),
    ("closed_at is None", True),
    ("closed_at is not None", False),
    ("risk == 'high' and age < 18", True),
    # boolean logic keeps Python's values and short-circuits
    ("age and risk", "high"),
    ("closed_at or 'open'", "open"),
    ("not consent", False),
    ("False and 1 / 0", False),
    ("True or 1 / 0", True),
    ("'a' if consent else 1 / 0", "a"),
    ("1 / 0 if closed_at else 'b'", "b"),
    # arithmetic
    ("age + 1", 18),
    ("age - 20", -3),
    ("age * 2", 34),
    ("age / 2", 8.5),
    ("age // 2", 8),
    ("age % 5", 2),
    ("2 ** 10", 1024),
    ("2 ** -1", 0.5),
    ("2 ** 0.5 > 1.41", True),
    ("-age", -17),
    ("+score", 2.5),
    ("'ab' + 'cd'", "abcd"),
    ("flags + ['new']", ["urgent", "minor", "new"]),
    ("'ab' * 3", "ababab"),
    ("2 * [0]", [0, 0]),
    ("True + True", 2),
    # subscripts and slices
    ("flags[0]", "urgent"),
    ("flags[-1]", "minor"),
    ("referral['contact']['phone']", "0888"),
    ("counts[1:]", [1, 2]),
    ("counts[::-1]", [2, 1, 3]),
    ("risk[:2]", "hi"),
    ("{'k': [1, 2]}['k'][1]", 2),
    # functions
    ("len(flags)", 2),
    ("len(name)", 16),
    ("len(referral)", 2),
    ("min(counts)", 1),
    ("max(counts)", 3),
    ("min(4, 2, 9)", 2),
    ("max('b', 'a')", "b"),
    ("abs(-3)", 3),
    ("round(2.567, 2)", 2.57),
    ("round(2.5)", 2),
    ("int('42')", 42),
    ("int(' 7 ')", 7),
    ("int(3.9)", 3),
    ("float('1.5')", 1.5),
    ("str(age)", "17"),
    ("str([1, 2])", "[1, 2]"),
    ("bool('')", False),
    ("sum(counts)", 6),
    ("sum([0.5, 1])", 1.5),
    ("any([0, '', 1])", True),
    ("all(counts)", True),
    ("sorted(counts)", [1, 2, 3]),
    ("sorted('cab')", ["a", "b", "c"]),
    ("lower(risk) == 'high'", True),
    ("upper(risk)", "HIGH"),
    ("strip(name)", "Maria Ivanova"),
    ("contains(flags, 'urgent')", True),
    ("contains(name, 'Ivan')", True),
    ("contains(referral, 'nope')", False),
    # text around the expression, as a diagram's XML leaves it
    ("\n    age > 1\n  ", True),
    # a data name may shadow a function's name: calls still go to the function
    ("len(len)", 3),
]


@pytest.mark.parametrize(("expression", "expected"), ALLOWED)
def test_allowed_constructs(evaluator: Evaluator, expression: str, expected: Any) -> None:
    names = {**data(), "len": "abc"}
    result = evaluator.evaluate(expression, names)
    assert result == expected
    assert type(result) is type(expected)
    check_expression(expression)


def test_every_function_is_exercised() -> None:
    used = {
        node.func.id
        for expression, _ in ALLOWED + DATES
        for node in ast.walk(ast.parse(expression.strip(), mode="eval"))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    assert used == FUNCTIONS


def test_functions_are_the_documented_list() -> None:
    assert {
        *("len", "min", "max", "abs", "round", "int", "float", "str", "bool", "sum", "any", "all"),
        *("sorted", "lower", "upper", "strip", "contains"),
        *("today", "now", "add_duration", "days_between", "date"),
    } == FUNCTIONS


# --- escapes ----------------------------------------------------------------------------------------

ESCAPES = [
    "().__class__.__bases__[0].__subclasses__()",
    "__import__('os').system('id')",
    "getattr(age, '__class__')",
    "age.__class__",
    "[].__class__",
    "flags[0].__class__",
    "'{0.__class__}'.format(age)",
    "f'{age}'",
    "f'{age!r:>10}'",
    "lambda: 1",
    "(lambda: 1)()",
    "[c for c in flags]",
    "{c: 1 for c in flags}",
    "{c for c in flags}",
    "sum(c for c in counts)",
    "open('/etc/passwd')",
    "type(age)",
    "globals()",
    "locals()",
    "vars()",
    "dir()",
    "breakpoint()",
    "help()",
    "_secret",
    "__builtins__",
    "__name__",
    "referral['_x'] if _y else 1",
    "len(*flags)",
    "[*flags]",
    "{**referral}",
    "sorted(counts, key=len)",
    "(y := 1)",
    "1 if consent else __import__('os')",
    "age is 17",
    "age is not True",
    "{1, 2}",
    "b'bytes'",
    "1j",
    "...",
    "~age",
    "age << 2",
    "age & 1",
    "age | 1",
    "age ^ 1",
    "flags @ flags",
    "await age",
    "(yield)",
    "age()",
    "flags[0]()",
    "len(flags)()",
    *(f"{name}('1')" for name in ("ev" + "al", "ex" + "ec", "com" + "pile")),
]


@pytest.mark.parametrize("expression", ESCAPES)
def test_escape_attempts_are_rejected_before_running(evaluator: Evaluator, expression: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        check_expression(expression)
    assert caught.value.expression == expression
    with pytest.raises(ExpressionError):
        evaluator.evaluate(expression, {**data(), "_secret": 1, "_y": 1, "y": 1})


def sample_function() -> str:
    return "ran"


@pytest.mark.parametrize(
    "expression",
    ["fn", "fn()", "len(fn)", "[fn]", "cls", "cls(1)", "mod", "thing", "holder['fn']", "holder['fn']()"],
)
def test_callables_and_objects_in_data_cannot_be_reached(evaluator: Evaluator, expression: str) -> None:
    names = {
        "fn": sample_function,
        "cls": int,
        "mod": ast,
        "thing": object(),
        "holder": {"fn": sample_function},
    }
    with pytest.raises(ExpressionError):
        evaluator.evaluate(expression, names)


# --- resource limits -----------------------------------------------------------------------------------

BOMBS = [
    "9**9**9",
    "2**10000",
    "10**19",
    "2**63",
    "(-8) ** 0.5",
    "1e308 * 10",
    "10**18 + 1",
    "-(10**18) - 1",
    "1000000000000000000000",
    "'x' * 10**9",
    "[1] * 10**9",
    "10**9 * 'x'",
    "'a' * 100000 * 100000",
    "[[1] * 10000] * 2",
    "str(big)",
    "str([big, big])",
    "round(1, -10**9)",
    "round(1.5, 100)",
    "int('9' * 5000)",
    "float('1e999')",
    "float('nan')",
    "(" * 5000 + "1" + ")" * 5000,
    "(" * 300 + "1" + ")" * 300,
    "-" * 100000 + "1",
    "-" * 9000 + "1",
    "not " * 2000 + "age",
    "[" * 60 + "]" * 60,
    "age" + "[0]" * 3000,
    "1" + "+1" * 4000,
    "[" + ", ".join(["1"] * 600) + "]",
    "x" * 10_001,
    "big + big",
]


@pytest.mark.parametrize("expression", BOMBS, ids=lambda text: text[:40])
def test_resource_bombs_fail_cleanly(evaluator: Evaluator, expression: str) -> None:
    with pytest.raises(ExpressionError):
        evaluator.evaluate(expression, {"age": 1, "big": [0] * 60_000})


def test_a_result_sharing_one_big_list_many_times_is_refused(evaluator: Evaluator) -> None:
    expression = "[" + ", ".join(["block"] * 200) + "]"
    with pytest.raises(ExpressionError, match="too large"):
        evaluator.evaluate(expression, {"block": list(range(10_000))})


def test_random_text_never_raises_anything_but_expression_error(evaluator: Evaluator) -> None:
    rng = random.Random(20250330)
    alphabet = "()[]{}+-*/%<>=!.,:'\"_ aeflnorstx0123456789"
    tokens = [*alphabet, " and ", " or ", " not ", " in ", " if ", " else ", "len(", "**", "age", "flags"]
    for _ in range(3000):
        text = "".join(rng.choice(tokens) for _ in range(rng.randint(1, 30)))
        with contextlib.suppress(ExpressionError):
            evaluator.evaluate(text, data())


# --- runtime errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("nobody", "unknown name 'nobody'"),
        ("age / 0", "division by zero"),
        ("age // 0", "division by zero"),
        ("age % 0", "division by zero"),
        ("0 ** -1", "division by zero"),
        ("referral['missing']", "key 'missing' not found"),
        ("flags[5]", "index 5 out of range"),
        ("flags['a']", "index must be a whole number"),
        ("age['a']", "cannot take an item of number"),
        ("age < 'a'", "cannot compare number and text"),
        ("age + 'a'", "cannot use '+' on number and text"),
        ("flags - flags", "cannot use '-' on list and list"),
        ("'a' % 1", "cannot use '%' on text and number"),
        ("-risk", "cannot use unary minus"),
        ("1 in age", "'in' needs text, a list or a dict"),
        ("1 in risk", "cannot look for number in text"),
        ("counts[::0]", "slice step cannot be zero"),
        ("len(age)", "len() needs a list"),
        ("min([])", "min() of an empty list"),
        ("sum(flags)", "sum() needs a list of numbers"),
        ("int('abc')", "int() cannot read 'abc'"),
        ("lower(age)", "lower() needs text"),
        ("sorted([1, 'a'])", "not supported"),
        ("len(flags, flags)", "len() takes 1 argument (2 given)"),
        ("today(1)", "today() takes 0 arguments (1 given)"),
        ("undefined_function(1)", "unknown function 'undefined_function'"),
        ("age +", "syntax error"),
    ],
)
def test_errors_are_short_and_name_the_expression(
    evaluator: Evaluator, expression: str, message: str
) -> None:
    with pytest.raises(ExpressionError) as caught:
        evaluator.evaluate(expression, data())
    assert message in caught.value.message
    assert caught.value.expression == expression
    assert caught.value.code == "expression_error"


def test_non_text_expression_is_an_expression_error(evaluator: Evaluator) -> None:
    with pytest.raises(ExpressionError, match="must be text"):
        evaluator.evaluate(42, {})  # type: ignore[arg-type]


# --- dates ---------------------------------------------------------------------------------------------

DATES = [
    ("today()", "2025-03-31"),
    ("now()", "2025-03-31T01:30:00+03:00"),
    ("add_duration('2025-08-31', 'P6M')", "2026-02-28T00:00:00+02:00"),
    ("add_duration('2024-01-31', 'P1M')", "2024-02-29T00:00:00+02:00"),
    ("add_duration('2025-03-29T12:00:00+02:00', 'P1D')", "2025-03-30T12:00:00+03:00"),
    ("add_duration('2025-03-29T12:00:00+02:00', 'PT24H')", "2025-03-30T13:00:00+03:00"),
    ("add_duration(today(), 'P7D')", "2025-04-07T00:00:00+03:00"),
    ("add_duration(now(), 'PT1H')", "2025-03-31T02:30:00+03:00"),
    ("add_duration(opened_on, 'P1Y')", "2026-01-01T00:00:00+02:00"),
    ("days_between('2025-01-01', '2025-03-01')", 59),
    ("days_between(today(), '2025-04-30')", 30),
    ("days_between(opened_on, today())", 89),
    ("date('2025-03-29T23:30:00Z')", "2025-03-30"),
    ("date(now())", "2025-03-31"),
    ("add_duration('2025-01-01', 'P1M') > now()", False),
]


@pytest.mark.parametrize(("expression", "expected"), DATES)
def test_date_helpers_use_the_clock_and_sofia_calendar(
    evaluator: Evaluator, expression: str, expected: Any
) -> None:
    assert evaluator.evaluate(expression, data()) == expected


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("add_duration('yesterday', 'P1D')", "cannot read 'yesterday' as an ISO date"),
        ("add_duration('2025-01-01', '6 months')", "not an ISO 8601 duration"),
        ("add_duration('2025-01-01', 'P99999Y')", "duration too long"),
        ("add_duration('2025-01-01', 'P9000Y')", "out of range"),
        ("add_duration('2025-01-01', 6)", "add_duration() needs text"),
        ("days_between('2025-01-01', 5)", "days_between() needs text"),
        ("date('2025-13-01')", "cannot read"),
    ],
)
def test_date_helper_errors(evaluator: Evaluator, expression: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        evaluator.evaluate(expression, data())
    assert message in caught.value.message


def test_today_follows_the_clock() -> None:
    clock = FrozenClock(datetime(2025, 6, 1, 12, tzinfo=UTC))
    evaluator = Evaluator(clock)
    assert evaluator.evaluate("today()", {}) == "2025-06-01"
    clock.set(datetime(2025, 6, 1, 21, 30, tzinfo=UTC))
    assert evaluator.evaluate("today()", {}) == "2025-06-02"


# --- scripts -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("a = 1", {"a": 1}),
        ("a = age + 1\nb = a * 2", {"a": 18, "b": 36}),
        ("a = b = 'x'", {"a": "x", "b": "x"}),
        ("age += 1", {"age": 18}),
        ("flags += ['new']", {"flags": ["urgent", "minor", "new"]}),
        ("pass", {}),
        ("pair = (1, (2, 3))", {"pair": [1, [2, 3]]}),
        ("referral['source'] = 'police'", {"referral": {"source": "police", "contact": {"phone": "0888"}}}),
        (
            "referral['contact']['phone'] = '0999'",
            {"referral": {"source": "school", "contact": {"phone": "0999"}}},
        ),
        (
            "referral['new'] = {'k': [1]}",
            {"referral": {"source": "school", "contact": {"phone": "0888"}, "new": {"k": [1]}}},
        ),
        ("counts[0] = 9\ncounts[-1] += 1", {"counts": [9, 1, 3]}),
        ("due = add_duration(today(), 'P14D')", {"due": "2025-04-14T00:00:00+03:00"}),
        ("\n    a = 1\n    b = 2\n", {"a": 1, "b": 2}),
        ("a = 1; b = a", {"a": 1, "b": 1}),
    ],
)
def test_scripts_assign_into_the_context(evaluator: Evaluator, script: str, expected: dict[str, Any]) -> None:
    context = data()
    before = data()
    evaluator.execute(script, context)
    assert context == {**before, **expected}
    check_script(script)


def test_subscript_assignment_does_not_mutate_shared_values(evaluator: Evaluator) -> None:
    contact = {"phone": "0888"}
    context: dict[str, Any] = {"referral": {"contact": contact}}
    evaluator.execute("copy = referral\nreferral['contact']['phone'] = '1'", context)
    assert context["referral"]["contact"]["phone"] == "1"
    assert context["copy"]["contact"]["phone"] == "0888"
    assert contact == {"phone": "0888"}


@pytest.mark.parametrize(
    ("script", "word"),
    [
        ("if age: a = 1", "'if'"),
        ("for c in flags: pass", "'for'"),
        ("while True: pass", "'while'"),
        ("import os", "'import'"),
        ("from os import system", "'import'"),
        ("def f(): pass", "'def'"),
        ("class C: pass", "'class'"),
        ("del age", "'del'"),
        ("with x: pass", "'with'"),
        ("try: pass\nexcept Exception: pass", "'try'"),
        ("age", "bare expression"),
        ("len(flags)", "bare expression"),
        ("raise ValueError", "'raise'"),
        ("assert age", "'assert'"),
        ("global age", "'global'"),
        ("a: int = 1", "'annotated assignment'"),
        ("return 1", "'return'"),
        ("a, b = 1, 2", "only assign to a name"),
        ("[a] = [1]", "only assign to a name"),
        ("referral.source = 1", "only assign to a name"),
        ("counts[0:1] = [5]", "only assign to a name"),
        ("len(flags)['x'] = 1", "only assign to a name"),
        ("_private = 1", "names starting with '_'"),
        ("a = 1\nb = age.__class__", "line 2"),
        ("a = (y := 2)", "':='"),
    ],
)
def test_scripts_reject_anything_but_assignments(evaluator: Evaluator, script: str, word: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        check_script(script)
    assert word in caught.value.message
    assert caught.value.expression == script
    context = data()
    with pytest.raises(ExpressionError):
        evaluator.execute(script, context)
    assert context == data()


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("a = 1\nb = 1 / 0", "line 2: division by zero"),
        ("age = 99\nreferral['contact']['phone'] = '1'\nx = nobody", "line 3: unknown name 'nobody'"),
        ("counts[0] = 5\ncounts[7] = 1", "cannot assign to index 7"),
        ("referral[1] = 'x'", "dict keys must be text"),
        ("name['a'] = 1", "cannot assign to an item of text"),
        ("missing['a'] = 1", "unknown name 'missing'"),
        ("missing += 1", "unknown name 'missing'"),
        ("when = opened_on", "cannot store date"),
        ("d = {1: 'a'}", "only text may be used as dict keys"),
        ("f = fn", "not data"),
    ],
)
def test_failing_script_leaves_context_unchanged(evaluator: Evaluator, script: str, message: str) -> None:
    context = {**data(), "fn": sample_function}
    snapshot = {**data(), "fn": sample_function}
    with pytest.raises(ExpressionError) as caught:
        evaluator.execute(script, context)
    assert message in caught.value.message
    assert caught.value.expression == script
    assert context == snapshot


def test_scripts_cannot_grow_values_by_sharing(evaluator: Evaluator) -> None:
    lines = ["a0 = [1] * 10000"] + [f"a{i} = [a{i - 1}, a{i - 1}]" for i in range(1, 40)]
    context: dict[str, Any] = {}
    with pytest.raises(ExpressionError, match="too large"):
        evaluator.execute("\n".join(lines), context)
    assert context == {}


@pytest.mark.parametrize(
    "script",
    [
        "a = 1\n" * 3000,
        "x=1;" * 2400,
        "a = '" + "x" * 20_000 + "'",
        "a = 'x' * 10**9",
        "a = " + "[" * 60 + "]" * 60,
    ],
    ids=["long", "many nodes", "long literal", "repeat", "deep"],
)
def test_script_bombs_fail_cleanly(evaluator: Evaluator, script: str) -> None:
    with pytest.raises(ExpressionError):
        evaluator.execute(script, {})


# --- the repository never runs text as code --------------------------------------------------------------

RUNNERS = {"ev" + "al", "ex" + "ec", "com" + "pile"}


def runs_text(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in RUNNERS
    return (
        isinstance(func, ast.Attribute)
        and func.attr in RUNNERS
        and isinstance(func.value, ast.Name)
        and func.value.id in {"builtins", "__builtins__"}
    )


def builtin_runner_calls(source: str) -> list[int]:
    """Lines calling the builtin evaluators by name or through ``builtins``; ``re.compile`` is fine."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and runs_text(node.func)
    ]


@pytest.mark.parametrize("name", sorted(RUNNERS))
def test_runner_detector_finds_calls(name: str) -> None:
    assert builtin_runner_calls(f"{name}('1')") == [1]
    assert builtin_runner_calls(f"import builtins\nbuiltins.{name}('1')") == [2]
    assert builtin_runner_calls(f"import re\nre.{name}('1')") == []


def test_no_code_runs_diagram_text() -> None:
    folders = ("engine", "web", "tasks", "cli")
    files = [path for folder in folders for path in sorted((REPO / folder).rglob("*.py"))]
    assert any(path.name == "evaluator.py" for path in files)
    offenders = {
        str(path.relative_to(REPO)): lines
        for path in files
        if (lines := builtin_runner_calls(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}
