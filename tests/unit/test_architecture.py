"""The shape STYLE.md promises: engine/ is framework-free; only engine/runtime.py touches SpiffWorkflow."""

from __future__ import annotations

import ast
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
    bad = {name for name in imported_modules(path) if name.split(".")[0] in forbidden}
    assert not bad, f"{path.name} imports {sorted(bad)}"


def test_only_runtime_imports_spiffworkflow() -> None:
    importers = []
    for folder in ("engine", "web", "tasks", "cli"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if any(name.split(".")[0] == "SpiffWorkflow" for name in imported_modules(path)):
                importers.append(str(path.relative_to(ROOT)))
    assert importers == ["engine/runtime.py"]


def test_services_never_commit() -> None:
    """``commit(`` lives in the unit of work (and the adapters' request/task hooks), never in services.

    The drivers that own transactions of their own are allowed: the demo loader, the timer sweep,
    which fires each deadline in a transaction of its own for the CLI and the embedded sweeper, and
    the e-mail outbox in outbox.py, which claims a row, sends it outside any transaction and records
    the outcome, each step in a short transaction of its own.
    """
    offenders = []
    for path in sorted((ROOT / "engine").rglob("*.py")):
        if path.name in {"uow.py", "demo.py", "timers.py", "outbox.py"} or "migrations" in path.parts:
            continue
        if ".commit(" in path.read_text(encoding="utf-8"):
            offenders.append(path.name)
    assert offenders == []
