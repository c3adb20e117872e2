"""The read models after a step: only the rows that changed are read in full or written.

A completion that moves the case on reads the open task rows and the pending deadlines as ids and
keys, cancels what the workflow no longer has and inserts what it newly has, one statement per kind.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event, select

from engine.casework import cases
from engine.pathways.forms import FormCatalog
from engine.store.models import Case, CaseTask, Deadline
from engine.store.uow import UnitOfWork
from tests.engine.casework.test_cases import open_one, open_tasks
from tests.engine.conftest import World

READ_MODEL = ("case_task", "deadline")


def target(statement: str) -> str:
    """``SELECT case_task``: the verb and the table it reads (first FROM) or writes."""
    words = [*statement.split(), "", ""]
    verb = words[0].upper()
    upper = [word.upper() for word in words]
    if verb == "SELECT":
        table = words[upper.index("FROM") + 1] if "FROM" in upper else ""
    else:
        table = words[2] if verb == "INSERT" else words[1]
    return f"{verb} {table}"


def read_model_statements(
    uow: UnitOfWork, step: Callable[[], object], tables: tuple[str, ...] = READ_MODEL
) -> list[str]:
    """The statements of ``step`` that read or write ``tables`` (the inbox and deadline rows)."""
    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.split()[0].upper() in ("SELECT", "INSERT", "UPDATE"):
            found = target(statement)
            if found.endswith(tables):
                seen.append(found)

    engine = uow.session.get_bind().engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        step()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return seen


def test_a_completion_touches_the_read_models_in_one_statement_per_kind(
    make_uow: Callable[[], UnitOfWork], world: World, fixture_forms: FormCatalog
) -> None:
    public_id = open_one(make_uow, world)
    with make_uow() as uow:
        task_id = open_tasks(uow, public_id)[0].public_id
    with make_uow() as uow:
        who, data = world.staff["social_worker"], {"note": "ok", "risk": "high"}
        seen = read_model_statements(uow, lambda: cases.complete_task(uow, who, task_id, data, fixture_forms))
        uow.commit()
    assert sorted(seen) == [
        "INSERT deadline",  # three timers start waiting: one statement
        "SELECT case_task",  # the open rows, as ids, to diff (the task came with its locked case)
        "SELECT deadline",  # the pending rows, as keys, to diff
        "UPDATE case_task",  # the completed task
    ], seen
    with make_uow() as uow:
        case = uow.session.scalar(select(Case).where(Case.public_id == public_id))
        assert case is not None
        pending = uow.session.scalars(select(Deadline.element_id).where(Deadline.case_id == case.id)).all()
        assert sorted(pending) == ["cap", "exit_planning_due", "wait_month"]
        done = uow.session.scalar(select(CaseTask).where(CaseTask.public_id == task_id))
        assert done is not None and done.status == "completed"


def test_a_completion_reads_the_pathway_version_with_the_locked_case(
    make_uow: Callable[[], UnitOfWork], world: World, fixture_forms: FormCatalog
) -> None:
    """The task, its case and the spec that runs the step come in one round trip, not three."""
    public_id = open_one(make_uow, world)
    with make_uow() as uow:
        task_id = open_tasks(uow, public_id)[0].public_id
    with make_uow() as uow:
        who, data = world.staff["social_worker"], {"note": "ok", "risk": "high"}
        step = lambda: cases.complete_task(uow, who, task_id, data, fixture_forms)  # noqa: E731
        seen = read_model_statements(uow, step, ("case_file", "pathway_version"))
        uow.commit()
    assert seen == ["SELECT case_file", "UPDATE case_file"]
