"""The shape STYLE.md promises: engine/ is framework-free, only engine/bpmn/ touches SpiffWorkflow, no
module grows past 400 lines, and only the unit of work commits.

Which way the engine's packages may import each other is an import-linter contract in pyproject.toml
(`lint-imports`, run by `make test`); the checks here are the ones import-linter cannot state.
"""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


ENGINE_FILES = sorted((ROOT / "engine").rglob("*.py"))


@pytest.mark.parametrize("path", ENGINE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_engine_imports_no_web_or_task_framework(path: Path) -> None:
    forbidden = {"flask", "celery", "werkzeug", "jinja2", "kombu", "web", "tasks", "cli"}
    if path == ROOT / "engine" / "casework" / "documents" / "render.py":
        forbidden -= {
            "jinja2"
        }  # the outgoing documents' own Jinja environment, never Flask's (.importlinter too)
    bad = {name for name in imported_modules(path) if name.split(".")[0] in forbidden}
    assert not bad, f"{path.name} imports {sorted(bad)}"


def test_only_the_bpmn_package_imports_spiffworkflow() -> None:
    importers = []
    for folder in ("engine", "web", "tasks", "cli"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if any(name.split(".")[0] == "SpiffWorkflow" for name in imported_modules(path)):
                importers.append(path.relative_to(ROOT).as_posix())
    assert importers
    assert [name for name in importers if not name.startswith("engine/bpmn/")] == []


MAX_LINES = 400


@pytest.mark.parametrize("path", ENGINE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_engine_module_grows_past_400_lines(path: Path) -> None:
    """A module past 400 lines holds more than one idea: split it along its sections."""
    if "migrations" in path.parts:
        return
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines"


# Functions that own transactions of their own, by file under engine/: the unit of work itself and
# its ``in_transaction`` helper for drivers outside a request; the timer sweep, which
# fires each deadline in a transaction of its own for the CLI and the embedded sweeper (and records the
# run); the e-mail outbox, which claims a row, sends it outside any transaction and records the outcome,
# each step in a short transaction of its own.
MAY_COMMIT = {
    "store/uow.py": {"UnitOfWork.commit", "in_transaction"},
    "casework/deadlines.py": {"_fire_one", "_commit_quietly"},
    "notify/outbox.py": {"deliver_one", "_record"},
    # a migration batch is one transaction per case (a failed case stays untouched), like the sweep
    "casework/migration/batch.py": {"store_plan", "approve_and_run", "start", "run", "_mark"},
    "casework/migration/revert.py": {"revert"},
}


def commits(source: str) -> list[str]:
    """Qualified names of the functions in ``source`` that use ``<anything>.commit`` (call or reference)."""
    found: list[str] = []

    def visit(node: ast.AST, scope: list[str]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                visit(child, [*scope, child.name])
                continue
            if isinstance(child, ast.Attribute) and child.attr == "commit":
                found.append(".".join(scope) or "<module>")
            visit(child, scope)

    visit(ast.parse(source), [])
    return found


def commits_outside_the_unit_of_work(engine_dir: Path) -> list[str]:
    offenders = []
    for path in sorted(engine_dir.rglob("*.py")):
        name = path.relative_to(engine_dir).as_posix()
        if "migrations" in path.parts:
            continue
        allowed = MAY_COMMIT.get(name, set())
        offenders += [f"{name}: {f}" for f in commits(path.read_text(encoding="utf-8")) if f not in allowed]
    return offenders


def test_services_never_commit() -> None:
    """``commit`` lives in the unit of work (and the adapters' request/task hooks), never in services."""
    assert commits_outside_the_unit_of_work(ROOT / "engine") == []


def test_the_commit_guard_allows_functions_not_whole_files(tmp_path: Path) -> None:
    """A commit slipped into a service of a file that also holds an allowed driver is still caught."""
    copy = tmp_path / "engine"
    shutil.copytree(ROOT / "engine", copy, ignore=shutil.ignore_patterns("__pycache__"))
    timers = copy / "casework" / "deadlines.py"
    source = timers.read_text(encoding="utf-8")
    marker = '    return FireResult(deadline_id, "fired", '
    assert marker in source
    timers.write_text(source.replace(marker, "    uow.commit()\n" + marker), encoding="utf-8")
    notifications = copy / "notify" / "notifications.py"
    notifications.write_text(
        notifications.read_text(encoding="utf-8")
        + "\n\ndef later(uow):\n    save = uow.commit\n    save()\n",
        encoding="utf-8",
    )
    assert commits_outside_the_unit_of_work(copy) == [
        "casework/deadlines.py: fire_deadline",
        "notify/notifications.py: later",
    ]


def test_properties_are_read_by_name_only_in_their_declaration() -> None:
    """A BPMN extension property is read through engine/bpmn/properties.py, never by a string key."""
    reads = re.compile(
        r"props\.get\(|\.properties\.get\(|\.properties\[|extensions\.get\(.properties|spiffworkflow:property\b"
    )
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("engine", "web", "tasks", "cli")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path != ROOT / "engine" / "bpmn" / "properties.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if reads.search(line)
    ]
    assert offenders == []
