"""A case driven through the real services for the construct tests: deploy, open, inbox, deadlines."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select

from engine.casework import cases, deadlines
from engine.casework.inbox import InboxFilters, InboxRow, list_inbox
from engine.clock import FrozenClock
from engine.pathways import versions
from engine.pathways.forms import FormCatalog
from engine.store.models import Case, CaseTask, Deadline, PathwayVersion
from engine.store.uow import UnitOfWork
from tests.conftest import FIXTURES
from tests.engine.conftest import World

CONSTRUCTS = FIXTURES / "constructs"


def construct(name: str, replace: dict[str, str] | None = None) -> bytes:
    """A construct diagram under the process id open_case picks for an adult in a crisis centre."""
    text = (CONSTRUCTS / f"{name}.bpmn").read_text(encoding="utf-8")
    text = text.replace('id="construct"', 'id="crisis_centre_adult"')
    for old, new in (replace or {}).items():
        text = text.replace(old, new)
    return text.encode("utf-8")


class CaseRun:
    """One case of a construct's diagram, each step in its own committed unit of work."""

    def __init__(
        self, make_uow: Callable[[], UnitOfWork], world: World, forms: FormCatalog, clock: FrozenClock
    ):
        self.make_uow, self.world, self.forms, self.clock = make_uow, world, forms, clock
        self.worker = world.staff["social_worker"]
        self.case_id = ""

    def deploy(self, data: bytes, label: str = "construct.bpmn") -> PathwayVersion:
        with self.make_uow() as uow:
            version = versions.deploy(uow, data, self.forms, self.world.staff["coordinator"], label)
            uow.commit()
            return version

    def open(self, **extra: Any) -> str:
        intake = cases.Intake(
            centre_code="kc-test",
            display_name="Семейство П.",
            legal_basis="referral",
            target_group="child_at_risk",
            referral_number="ДСП-7",
            extra=extra,
        )
        with self.make_uow() as uow:
            self.case_id = cases.open_case(uow, self.worker, intake).public_id
            uow.commit()
        return self.case_id

    def case(self, uow: UnitOfWork) -> Case:
        found = uow.session.scalar(select(Case).where(Case.public_id == self.case_id))
        assert found is not None
        return found

    def status(self) -> str:
        with self.make_uow() as uow:
            return self.case(uow).status

    def tasks(self) -> list[tuple[str, str]]:
        """The case's open tasks as (element id, item label), oldest first."""
        with self.make_uow() as uow:
            query = select(CaseTask.element_id, CaseTask.item_label).where(
                CaseTask.case_id == self.case(uow).id, CaseTask.status == "open"
            )
            return [(row[0], row[1]) for row in uow.session.execute(query.order_by(CaseTask.id))]

    def inbox(self) -> list[InboxRow]:
        """The social worker's inbox rows of this case."""
        with self.make_uow() as uow:
            rows = list_inbox(uow, self.worker, InboxFilters(), per_page=100).rows
            return [row for row in rows if row.case_id == self.case_id]

    def deadlines(self) -> list[tuple[str, datetime]]:
        """The case's pending deadline rows as (element id, due at)."""
        with self.make_uow() as uow:
            query = select(Deadline.element_id, Deadline.due_at).where(
                Deadline.case_id == self.case(uow).id, Deadline.status == "pending"
            )
            return [(row[0], row[1]) for row in uow.session.execute(query.order_by(Deadline.due_at))]

    def complete(self, element_id: str, index: int = 0, **data: Any) -> None:
        """Complete the ``index``-th open task of ``element_id`` through the inbox, as the social worker."""
        rows = [row for row in self.inbox() if row.element_id == element_id]
        assert rows, f"no open task {element_id} in the inbox: {self.tasks()}"
        with self.make_uow() as uow:
            cases.complete_task(uow, self.worker, rows[index].task_id, {"note": "done", **data}, self.forms)
            uow.commit()

    def signal(self, name: str) -> None:
        with self.make_uow() as uow:
            cases.signal_case(uow, self.world.staff["case_lead"], self.case_id, name)
            uow.commit()

    def fire_next_deadline(self) -> str:
        """Move the clock to the earliest pending deadline and let the sweep fire it."""
        element_id, due_at = self.deadlines()[0]
        self.clock.set(due_at)
        with self.make_uow() as uow:
            ids = deadlines.due_deadline_ids(uow, due_at)
        for deadline_id in ids:
            with self.make_uow() as uow:
                deadlines.fire_deadline(uow, deadline_id)
                uow.commit()
        return element_id
