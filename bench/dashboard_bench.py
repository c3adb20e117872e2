"""Dashboard server time at 100,000 cases (target: p95 ≤ 300 ms): ``dashboard_p95_ms_100k``.

A municipality's history, bulk-inserted with SQLAlchemy Core: 100 crisis centres of 30 places, cases
admitted over five and a half years, 6% still open (a few stopped by an error, some near the 6-month
cap, some gone but followed up), every case with eight completed tasks and an open case with one or
two open tasks (a third overdue, most held by one of the centre's six workers), pending timers and
timers fired in the last day, and a year of occupancy by day. What is timed is what ``/dashboard``
and ``GET /api/v1/centres/{code}/dashboard`` compute for a manager: ``read_dashboard`` and
``read_charts``. The headline figure is the slower backend's. PostgreSQL gets ``VACUUM ANALYZE`` after
the load, as autovacuum would give it; SQLite keeps its planner's defaults.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, text

from bench.databases import scratch_databases
from bench.engine_bench import p50, p95
from bench.inbox_bench import CENTRES, _reference_rows, shipped_adult_version
from engine.clock import FrozenClock, local_date
from engine.config import Settings
from engine.people.permissions import Principal
from engine.reports.charts import read_charts
from engine.reports.dashboard import read_dashboard
from engine.services import Services
from engine.store.models import Case, CaseTask, Deadline, OccupancyDay, User

Result = tuple[str, float, str]
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
WORKERS = 6  # per centre
ROLES = ("social_worker", "psychologist", "case_lead", "educator", "medical", "manager")
BATCH = 5000


def run(quick: bool) -> list[Result]:
    size = 10_000 if quick else 100_000
    label = f"{size // 1000}k"
    results: list[Result] = []
    worst = 0.0
    for backend, url in scratch_databases():
        services = Services.from_settings(Settings(database_url=url), clock=FrozenClock(NOW))
        started = time.perf_counter()
        _load(services, size)
        results.append((f"dashboard_load_s_{backend}_{label}", round(time.perf_counter() - started, 1), "s"))
        samples = _time_dashboard(services, 20 if quick else 60)
        results.append((f"dashboard_p50_ms_{label}_{backend}", p50(samples), "ms"))
        results.append((f"dashboard_p95_ms_{label}_{backend}", p95(samples), "ms"))
        worst = max(worst, p95(samples))
        services.engine.dispose()
    results.append((f"dashboard_p95_ms_{label}", worst, "ms"))
    return results


def _time_dashboard(services: Services, repeat: int) -> list[float]:
    manager = Principal(1, "manager", {1: "manager"})
    samples = []
    for index in range(repeat + 3):
        with services.uow() as uow:
            start = time.perf_counter()
            board = read_dashboard(uow, manager, "c1")
            read_charts(uow, manager, "c1")
            elapsed = (time.perf_counter() - start) * 1000
        if index >= 3:  # the first calls warm caches and compiled statements
            samples.append(elapsed)
    assert board.residents and board.overdue, "the benchmark dashboard is empty"
    return samples


def _load(services: Services, size: int) -> None:
    rng = random.Random(size)
    with services.engine.begin() as connection:
        _reference_rows(connection)
        connection.execute(insert(User), _users())
    version_id = shipped_adult_version(services)
    with services.engine.begin() as connection:
        for first in range(0, size, BATCH):
            cases, tasks, timers = _batch(rng, first, min(first + BATCH, size))
            for row in cases:
                row["pathway_version_id"] = version_id
            connection.execute(insert(Case), cases)
            connection.execute(insert(CaseTask), tasks)
            connection.execute(insert(Deadline), timers)
        connection.execute(insert(OccupancyDay), _occupancy(rng))
    if services.engine.dialect.name == "postgresql":  # what autovacuum does after a bulk load
        with services.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))


def _users() -> list[dict[str, Any]]:
    return [
        {
            "id": centre * 100 + worker,
            "username": f"u{centre}-{worker}",
            "display_name": f"Служител {centre}-{worker}",
            "password_hash": "",
            "email": "",
            "locale": "bg",
            "active": True,
            "created_at": NOW,
            "security_stamp": "0" * 32,
        }
        for centre in range(1, CENTRES + 1)
        for worker in range(WORKERS)
    ]


def _batch(rng: random.Random, first: int, last: int) -> tuple[list[Any], list[Any], list[Any]]:
    cases: list[dict[str, Any]] = []
    tasks: list[dict[str, Any]] = []
    timers: list[dict[str, Any]] = []
    for number in range(first, last):
        case_id, centre = number + 1, number % CENTRES + 1
        is_open = rng.random() < 0.06
        admitted = NOW - timedelta(days=rng.randint(0, 180) if is_open else rng.randint(1, 2000))
        stayed = timedelta(days=rng.randint(3, 183))
        gone = None if is_open and rng.random() < 0.8 else min(admitted + stayed, NOW)
        status = ("incident" if rng.random() < 0.03 else "open") if is_open else "closed"
        cases.append(_case(case_id, centre, admitted, gone, status))
        for index in range(8):
            tasks.append(
                _task(rng, case_id, centre, admitted + timedelta(days=index * 7), index, "completed")
            )
        for index in range(rng.randint(1, 2) if is_open else 0):
            due = NOW + timedelta(days=rng.randint(-10, 20))
            tasks.append(_task(rng, case_id, centre, due, 8 + index, "open"))
            timers.append(_timer(case_id, admitted + timedelta(days=150 + index * 30), "pending", None))
        if is_open and rng.random() < 0.1:
            fired = NOW - timedelta(hours=rng.randint(1, 23))
            timers.append(_timer(case_id, fired - timedelta(seconds=rng.randint(1, 90)), "fired", fired))
    return cases, tasks, timers


def _case(
    case_id: int, centre: int, admitted: datetime, gone: datetime | None, status: str
) -> dict[str, Any]:
    return {
        "id": case_id,
        "public_id": f"{case_id:032x}",
        "number": f"D-{case_id:07d}",
        "centre_id": centre,
        "pathway_version_id": 1,
        "display_name": "Лице",
        "target_group": "domestic_violence",
        "legal_basis": "referral",
        "referral_number": "",
        "admitted_at": admitted,
        "left_at": gone,
        "closed_at": gone if status == "closed" else None,
        "status": status,
        "workflow_state": b"x" * 2000,
        "serializer_version": "bench",
        "incident_element": "",
        "incident_message": "",
        "incident_expression": "",
        "version": 1,
    }


def _task(
    rng: random.Random, case_id: int, centre: int, due: datetime, index: int, status: str
) -> dict[str, Any]:
    held = status == "completed" or rng.random() < 0.7
    worker = centre * 100 + rng.randrange(WORKERS)
    return {
        "public_id": f"{case_id:024x}{index:08x}",
        "case_id": case_id,
        "centre_id": centre,
        "workflow_task_id": f"{case_id:028x}{index:08x}",
        "element_id": f"task_{index % 6}",
        "name": f"Задача {index % 6}",
        "role": rng.choice(ROLES),
        "form_key": "exit_planning" if index == 5 and rng.random() < 0.3 else "plan_review",
        "assignee_id": worker if held else None,
        "created_at": due - timedelta(days=7),
        "due_at": due,
        "legal_source": "ЗСУ",
        "status": status,
        "completed_by_id": worker if status == "completed" else None,
        "completed_at": None if status == "open" else due,
        "data": None,
        "draft": None,
    }


def _timer(case_id: int, due: datetime, status: str, fired: datetime | None) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "element_id": "Timer_Review",
        "kind": "Преглед",
        "due_at": due,
        "legal_source": "",
        "status": status,
        "created_at": due - timedelta(days=30),
        "fired_at": fired,
    }


def _occupancy(rng: random.Random) -> list[dict[str, Any]]:
    today = local_date(NOW)
    return [
        {
            "centre_id": centre,
            "day": today - timedelta(days=days),
            "residents": rng.randint(15, 32),
            "capacity": 30,
        }
        for centre in range(1, CENTRES + 1)
        for days in range(365)
    ]
