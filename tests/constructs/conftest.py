"""End-to-end tests of BPMN constructs: a small diagram of our own per construct, run through the real
engine services on SQLite and PostgreSQL (open the case, see its tasks in the inbox and its timers in
the ``deadline`` table, deliver messages and fire timers, close it)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select

from engine.casework import cases, inbox
from engine.pathways import versions
from engine.pathways.forms import FormCatalog
from engine.people.permissions import Principal
from engine.store.models import AuditEvent, Case, CaseTask, Deadline, Notification
from engine.store.uow import UnitOfWork
from tests.conftest import FIXTURES
from tests.engine import conftest as engine_fixtures
from tests.engine.conftest import World
from tests.tasks import conftest as task_fixtures

# the engine's world and the Celery worker fixtures, for the tests of this folder
world = engine_fixtures.world
committed_world = task_fixtures.committed_world
redis_url, worker_services, celery_app = (
    task_fixtures.redis_url,
    task_fixtures.worker_services,
    task_fixtures.celery_app,
)

CONSTRUCTS = FIXTURES / "constructs"


def deploy_construct(
    make_uow: Callable[[], UnitOfWork], world: World, forms: FormCatalog, name: str, process: str = ""
) -> None:
    """Deploy tests/fixtures/constructs/<name>.bpmn as the latest version of its pathway."""
    data = (CONSTRUCTS / f"{name}.bpmn").read_bytes()
    with make_uow() as uow:
        versions.deploy(uow, data, forms, world.staff["coordinator"], f"{name}.bpmn")
        uow.commit()


def open_adult_case(
    make_uow: Callable[[], UnitOfWork], world: World, admitted_at: datetime
) -> tuple[int, str]:
    """A case on the crisis-centre adult pathway (the construct's diagram): (id, public id)."""
    intake = cases.Intake(
        centre_code="kc-test",
        display_name="Мария Петрова",
        legal_basis="referral",
        target_group="domestic_violence",
        referral_number="ДСП-1",
        admitted_at=admitted_at,
    )
    with make_uow() as uow:
        case = cases.open_case(uow, world.staff["social_worker"], intake)
        uow.commit()
        return case.id, case.public_id


def inbox_tasks(make_uow: Callable[[], UnitOfWork], who: Principal, case_public_id: str) -> list[str]:
    """Element ids of the open tasks of one case in ``who``'s inbox (all scopes)."""
    with make_uow() as uow:
        page = inbox.list_inbox(uow, who, inbox.InboxFilters(scope="all"), 1, 100)
        return sorted(row.element_id for row in page.rows if row.case_id == case_public_id)


def complete(
    make_uow: Callable[[], UnitOfWork], who: Principal, case_id: int, element_id: str, data: dict[str, Any],
    forms: FormCatalog,
) -> None:  # fmt: skip
    with make_uow() as uow:
        task = uow.session.scalar(
            select(CaseTask).where(
                CaseTask.case_id == case_id, CaseTask.element_id == element_id, CaseTask.status == "open"
            )
        )
        assert task is not None, f"no open task {element_id}"
        cases.complete_task(uow, who, task.public_id, data, forms)
        uow.commit()


def deadlines(make_uow: Callable[[], UnitOfWork], case_id: int) -> list[tuple[str, str]]:
    """(element id, status) of the case's rows in the ``deadline`` table, in order of creation."""
    with make_uow() as uow:
        rows = uow.session.execute(
            select(Deadline.element_id, Deadline.status)
            .where(Deadline.case_id == case_id)
            .order_by(Deadline.id)
        ).all()
        return [(str(element), str(status)) for element, status in rows]


def case_status(make_uow: Callable[[], UnitOfWork], case_id: int) -> tuple[str, str, str]:
    """(status, incident problem, incident expression)."""
    with make_uow() as uow:
        case = uow.session.get_one(Case, case_id)
        return case.status, case.incident_problem, case.incident_expression


def audit_actions(make_uow: Callable[[], UnitOfWork], case_id: int) -> list[str]:
    with make_uow() as uow:
        query = select(AuditEvent.action).where(AuditEvent.case_id == case_id).order_by(AuditEvent.id)
        return list(uow.session.scalars(query))


def notifications(make_uow: Callable[[], UnitOfWork], case_id: int) -> list[tuple[int, str, str]]:
    """(user id, kind, "case number: element name") of the case's notifications."""
    with make_uow() as uow:
        rows = uow.session.scalars(select(Notification).where(Notification.case_id == case_id))
        return sorted((row.user_id, row.kind, _said(row.params or {})) for row in rows)


def _said(params: dict[str, str]) -> str:
    return f"{params.get('number', '')}: {params.get('name', '')}"


def in_inboxes(make_uow: Callable[[], UnitOfWork], world: World, case_public_id: str) -> list[str]:
    """Element ids of the case's open tasks found in the inboxes of the centre's staff, each once."""
    found: set[str] = set()
    for who in world.staff.values():
        if who.name != "t-admin":
            found.update(inbox_tasks(make_uow, who, case_public_id))
    return sorted(found)
