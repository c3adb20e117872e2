"""Inbox query time at 10k and 100k cases (target: p95 ≤ 30 ms at 100k), and the inbox page's server
time at 100k (``inbox_p95_ms_100k``: ``GET /inbox`` through the whole Flask app, signed in, rendered;
the figure without a backend in its name is PostgreSQL's when configured, else SQLite's), also with a
search by name (``inbox_search_p95_ms_100k``) and a team's page sorted by case. Among the 100k, one
case on the shipped adult pathway (deployed and opened as a centre would) gives the case page's and its
first task's page's server times (``case_page_p95_ms_100k``, ``task_page_p95_ms_100k``): the diagram's
progress, the timeline, the notes and documents, the audit of the read, all rendered.

The data are shaped like a municipality's history: cases spread over 100 centres, 6% of them open
(each open case with one or two open tasks, some overdue), every case with eight completed tasks.
Rows are bulk-inserted with SQLAlchemy Core; the query measured is the real
``engine.casework.inbox.list_inbox``
(rows, counts and filter options: one page as the inbox page shows it).
"""

from __future__ import annotations

import random
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text

from bench.databases import scratch_databases
from bench.engine_bench import p50, p95
from engine.casework.inbox import InboxFilters, list_inbox
from engine.clock import FrozenClock
from engine.config import Settings
from engine.pathways import versions
from engine.people.permissions import SYSTEM, Principal
from engine.people.users import create_user
from engine.services import Services
from engine.store.models import Case, CaseTask, Centre, Pathway, PathwayVersion

Result = tuple[str, float, str]
CENTRES = 100
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
ROLES = ("social_worker", "psychologist", "case_lead", "educator", "medical", "manager")
PAGE_PASSWORD = "bench password long enough"


def run(quick: bool) -> list[Result]:
    sizes = (10_000,) if quick else (10_000, 100_000)
    results: list[Result] = []
    page_figures: dict[str, list[Result]] = {}
    for backend, url in scratch_databases():
        services = Services.from_settings(Settings(database_url=url), clock=FrozenClock(NOW))
        loaded = 0
        for size in sizes:
            _load(services, loaded, size)
            loaded = size
            worker = Principal(1, "worker", {1: "social_worker"})
            manager = Principal(2, "manager", {1: "manager"})
            repeat = 30 if quick else 100
            for label, who in (("worker", worker), ("manager", manager)):
                samples = _time_inbox(services, who, repeat)
                results.append((f"inbox_query_p50_ms_{backend}_{size // 1000}k_{label}", p50(samples), "ms"))
                results.append((f"inbox_query_p95_ms_{backend}_{size // 1000}k_{label}", p95(samples), "ms"))
        page_figures[backend] = _page_times(services, sizes[-1], 30 if quick else 100)
        results += [(f"{name}_{backend}", value, unit) for name, value, unit in page_figures[backend]]
        services.engine.dispose()
    chosen = page_figures.get("postgres") or page_figures.get("sqlite") or []
    return results + [item for item in chosen if item[0].endswith("_100k")]


def _page_times(services: Services, size: int, repeat: int) -> list[Result]:
    """Server time of the inbox page (the WSGI call, rendered), as a worker and as a case lead."""
    from web.app import create_app

    with services.uow() as uow:
        for name, role in (
            ("bench-worker", "social_worker"),
            ("bench-lead", "case_lead"),
            ("bench-manager", "manager"),
        ):
            create_user(uow, SYSTEM, name, PAGE_PASSWORD, "c1", role, "Bench Person")
        uow.commit()
    case_id, task_id = _real_case(services)
    app = create_app(services.settings, services)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    suffix = f"{size // 1000}k"
    figures: list[Result] = []
    shows = {  # what each page must show: the measured time is that of the page a person reads
        "inbox_p95_ms": b'class="task-link"',
        "inbox_search_p95_ms": b'class="task-link"',
        "inbox_team_by_case_p95_ms": b'class="task-link"',
        "case_page_p95_ms": "Бенч Случай".encode(),
        "task_page_p95_ms": b'class="task-form',
    }
    for name, label, path in (
        ("bench-worker", "inbox_p95_ms", "/inbox"),
        ("bench-worker", "inbox_search_p95_ms", "/inbox?q=%D0%BB%D0%B8%D1%86%D0%B5"),  # "лице"
        ("bench-lead", "inbox_team_by_case_p95_ms", "/inbox?scope=team&sort=case&page=2"),
        ("bench-worker", "case_page_p95_ms", f"/cases/{case_id}"),
        ("bench-worker", "task_page_p95_ms", f"/tasks/{task_id}"),
    ):
        client = app.test_client()
        signed = client.post("/login", data={"username": name, "password": PAGE_PASSWORD})
        assert signed.status_code == 302, signed.status_code
        assert client.get(path).status_code == 200  # warm the templates and statements
        samples = []
        for _ in range(repeat):
            start = time.perf_counter()
            response = client.get(path)
            samples.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (label, response.status_code)
            assert shows[label] in response.data, label
        figures.append((f"{label}_{suffix}", p95(samples), "ms"))
    return figures


def _real_case(services: Services) -> tuple[str, str]:
    """A case on the shipped adult pathway in the first centre, opened by its manager: its public id
    and its first task's."""
    from engine.casework import cases
    from engine.people.users import get_user, principal_for

    with services.uow() as uow:
        manager = principal_for(get_user(uow, "bench-manager"))
        intake = cases.Intake(
            centre_code="c1",
            display_name="Бенч Случай",
            legal_basis="referral",
            target_group="domestic_violence",
            birth_date=date(1990, 4, 1),
            referral_number="ДСП-2026-0001",
        )
        case = cases.open_case(uow, manager, intake)
        uow.commit()
        task = uow.session.scalar(
            select(CaseTask.public_id).where(CaseTask.case_id == case.id, CaseTask.status == "open")
        )
        return case.public_id, str(task)


def _time_inbox(services: Services, who: Principal, repeat: int) -> list[float]:
    samples = []
    with services.uow() as uow:
        list_inbox(uow, who, InboxFilters())  # warm caches and compiled statements
        for _ in range(repeat):
            start = time.perf_counter()
            page = list_inbox(uow, who, InboxFilters())
            samples.append((time.perf_counter() - start) * 1000)
        assert page.rows, "the benchmark inbox is empty"
    return samples


def _load(services: Services, start: int, end: int) -> None:
    rng = random.Random(start + end)
    if start == 0:
        with services.engine.begin() as connection:
            _reference_rows(connection)
    version_id = shipped_adult_version(services)
    with services.engine.begin() as connection:
        for batch in range(start, end, 5000):
            cases, tasks = _batch(rng, batch, min(batch + 5000, end), version_id)
            connection.execute(insert(Case), cases)
            connection.execute(insert(CaseTask), tasks)
        if connection.dialect.name == "postgresql":  # ids were given: the next ORM insert follows them
            for table in (Case.__tablename__, CaseTask.__tablename__):
                sequence = f"pg_get_serial_sequence('{table}', 'id')"
                connection.execute(text(f"SELECT setval({sequence}, (SELECT max(id) FROM {table}))"))


def shipped_adult_version(services: Services) -> int:
    """The shipped adult pathway's version, deployed as a centre would (once): the bench's cases run
    on it, so every reader of a version (its English names, its diagram) reads a real one."""
    with services.uow() as uow:
        versions.deploy_shipped(uow, services.settings.workflows_dir, services.forms, SYSTEM)
        uow.commit()
        version_id = uow.session.scalar(
            select(func.max(PathwayVersion.id))
            .join(Pathway, Pathway.id == PathwayVersion.pathway_id)
            .where(Pathway.key == "crisis_centre_adult")
        )
    assert version_id is not None
    return int(version_id)


def _reference_rows(connection: Any) -> None:
    connection.execute(
        insert(Centre),
        [
            {
                "id": i,
                "code": f"c{i}",
                "name": f"Център {i}",
                "kind": "crisis_centre",
                "capacity": 30,
                "address": "",
                "created_at": NOW,
            }
            for i in range(1, CENTRES + 1)
        ],
    )


def _batch(
    rng: random.Random, first: int, last: int, version_id: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    cases: list[dict[str, Any]] = []
    tasks: list[dict[str, Any]] = []
    for number in range(first, last):
        case_id = number + 1
        is_open = rng.random() < 0.06
        admitted = NOW - timedelta(days=rng.randint(1, 2000))
        cases.append(
            {
                "id": case_id,
                "public_id": f"{case_id:032x}",
                "number": f"B-{case_id:07d}",
                "centre_id": case_id % CENTRES + 1,
                "pathway_version_id": version_id,
                "display_name": "Лице",
                "target_group": "domestic_violence",
                "legal_basis": "referral",
                "referral_number": "",
                "admitted_at": admitted,
                "status": "open" if is_open else "closed",
                "workflow_state": b"x" * 2000,
                "serializer_version": "bench",
                "incident_element": "",
                "incident_message": "",
                "incident_expression": "",
                "version": 1,
            }
        )
        for index in range(8):
            tasks.append(_task(rng, case_id, admitted, index, "completed"))
        for index in range(rng.randint(1, 2) if is_open else 0):
            tasks.append(_task(rng, case_id, admitted, 8 + index, "open"))
    return cases, tasks


def _task(rng: random.Random, case_id: int, admitted: datetime, index: int, status: str) -> dict[str, Any]:
    due = (
        NOW + timedelta(days=rng.randint(-10, 20))
        if status == "open"
        else admitted + timedelta(days=index * 7)
    )
    return {
        "public_id": f"{case_id:024x}{index:08x}",
        "case_id": case_id,
        "centre_id": case_id % CENTRES + 1,
        "workflow_task_id": f"{case_id:028x}{index:08x}",
        "element_id": f"task_{index % 6}",
        "name": f"Задача {index % 6}",
        "role": rng.choice(ROLES),
        "form_key": "plan_review",
        "assignee_id": None,
        "created_at": due - timedelta(days=7),
        "due_at": due,
        "legal_source": "ЗСУ",
        "status": status,
        "completed_by_id": None,
        "completed_at": None if status == "open" else due,
        "data": None,
        "draft": None,
    }
