"""Moving 1,000 running adult cases to a version of their pathway with six-weekly reviews, on SQLite and
PostgreSQL: ``migrate_cases_per_second_{backend}`` is the batch's run (each case in its own transaction
under its lock: snapshot, re-bind, re-computed timers, synced rows, audit), planning excluded; the
preview's rate is printed beside it.

One real case is opened on the shipped adult pathway and worked into its stay (its monthly review
waiting), then copied with its open task rows and pending deadline rows: every copy is a real
workflow state that moves as a real case would.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from bench.databases import scratch_databases
from engine.casework import cases, deadlines
from engine.casework.migration import batch as batches
from engine.clock import FrozenClock
from engine.config import PROJECT_ROOT, Settings
from engine.pathways import versions
from engine.people.centres import ensure_centre
from engine.people.permissions import SYSTEM, Principal
from engine.services import Services
from engine.store.models import Case, CaseTask, Deadline, new_public_id

Result = tuple[str, float, str]
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
ADULT = PROJECT_ROOT / "workflows" / "pathways" / "crisis_centre_adult" / "crisis_centre_adult.bpmn"
KEY = "crisis_centre_adult"


def run(quick: bool) -> list[Result]:
    size = 200 if quick else 1000
    results: list[Result] = []
    for backend, url in scratch_databases():
        clock = FrozenClock(NOW - timedelta(days=50))
        services = Services.from_settings(Settings(database_url=url), clock=clock)
        try:
            _load(services, clock, size)
            started = time.perf_counter()
            with services.uow() as uow:
                plan = batches.plan(uow, SYSTEM, KEY, 1, 2, services.forms, dry_run=False)
                uow.commit()
            planned = time.perf_counter() - started
            started = time.perf_counter()
            outcomes = batches.run(services.uow, SYSTEM, plan.batch or 0, services.forms)
            seconds = time.perf_counter() - started
            moved = sum(item.verdict == "migrated" for item in outcomes)
            assert moved == size, f"{moved} of {size} cases migrated"
            results.append((f"migrate_cases_per_second_{backend}", round(moved / seconds, 1), "cases/s"))
            results.append(
                (f"migrate_preview_cases_per_second_{backend}", round(size / planned, 1), "cases/s")
            )
        finally:
            services.engine.dispose()
    return results


def _load(services: Services, clock: FrozenClock, size: int) -> None:
    """``size`` open adult cases on version 1, in their stay; version 2 reviews every six weeks."""
    with services.uow() as uow:
        ensure_centre(uow, SYSTEM, "kc-bench", "КЦ бенчмарк", "crisis_centre", 500)
        versions.deploy_shipped_pathway(uow, PROJECT_ROOT / "workflows", KEY, services.forms, SYSTEM)
        uow.commit()
    template = _template_case(services, clock)
    clock.set(NOW)
    with services.uow() as uow:
        case = uow.session.get_one(Case, template)
        base = {
            c.key: getattr(case, c.key)
            for c in Case.__table__.columns
            if c.key not in {"id", "public_id", "number"}
        }
        tasks = [
            {
                c.key: getattr(t, c.key)
                for c in CaseTask.__table__.columns
                if c.key not in {"id", "case_id", "public_id"}
            }
            for t in uow.session.scalars(
                select(CaseTask).where(CaseTask.case_id == template, CaseTask.status == "open")
            )
        ]
        pending = [
            {c.key: getattr(d, c.key) for c in Deadline.__table__.columns if c.key not in {"id", "case_id"}}
            for d in uow.session.scalars(
                select(Deadline).where(Deadline.case_id == template, Deadline.status == "pending")
            )
        ]
    with services.engine.begin() as connection:
        rows = [{**base, "public_id": new_public_id(), "number": f"BENCH-{n:05d}"} for n in range(1, size)]
        ids = connection.execute(insert(Case).returning(Case.id), rows).scalars().all()
        if tasks:
            connection.execute(
                insert(CaseTask),
                [{**t, "case_id": i, "public_id": new_public_id()} for i in ids for t in tasks],
            )
        if pending:
            connection.execute(insert(Deadline), [{**d, "case_id": i} for i in ids for d in pending])
    six_weekly = ADULT.read_text(encoding="utf-8").replace("R/P1M", "R/P6W").encode("utf-8")
    with services.uow() as uow:
        versions.deploy(uow, six_weekly, services.forms, SYSTEM, ADULT.name)
        uow.commit()


def _template_case(services: Services, clock: FrozenClock) -> int:
    """A case admitted 50 days ago, its tasks done on time and its deadlines fired up to today."""
    who = Principal(None, "bench", {1: "manager"})
    with services.uow() as uow:
        intake = cases.Intake("kc-bench", "Бенчмарк", "referral", "domestic_violence", referral_number="B-1")
        case_id = cases.open_case(uow, who, intake).id
        uow.commit()
    for _ in range(200):
        with services.uow() as uow:
            task = uow.session.scalar(
                select(CaseTask)
                .where(CaseTask.case_id == case_id, CaseTask.status == "open")
                .order_by(CaseTask.id)
            )
            due = uow.session.scalar(
                select(Deadline)
                .where(Deadline.case_id == case_id, Deadline.status == "pending", Deadline.due_at <= NOW)
                .order_by(Deadline.due_at)
            )
            if due is not None and (task is None or due.due_at <= task.created_at + timedelta(days=1)):
                clock.set(max(clock.now(), due.due_at))
                deadlines.fire_deadline(uow, due.id)
            elif (
                task is not None
                and task.created_at + timedelta(days=1) <= NOW
                and task.element_id != "Task_PlanReview"
            ):
                clock.set(max(clock.now(), task.created_at + timedelta(days=1)))
                form = services.forms.get(task.form_key) if task.form_key else None
                data = {**form.defaults(), **{n: True for n in form.required_when()}} if form else {}
                cases.complete_task(
                    uow, Principal(None, "bench", {1: task.role}), task.public_id, data, services.forms
                )
            else:
                return case_id
            uow.commit()
    return case_id
