"""Opening a case on PostgreSQL with 1k and with 100k cases already stored (equal within noise).

What is measured is intake as the front desk runs it, the real ``engine.casework.intake.admit`` (the occupancy
check, then ``engine.casework.cases.open_case`` on the shipped adult crisis-centre pathway) with its
commit, in
a centre that already holds one twentieth of the cases, most of them closed. The caseload around it
is bulk-inserted with SQLAlchemy Core (cases spread over 20 centres, three tasks, three sealed audit
rows and one deadline each), so seeding 100k takes a minute, not hours. The seeded cases were
admitted in earlier years, so the counter of the year measured is the one intake itself keeps.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert

from bench.databases import _drop_postgres, _scratch_postgres
from bench.engine_bench import p50
from engine.casework import cases
from engine.casework.intake import admit
from engine.clock import FrozenClock
from engine.config import PROJECT_ROOT, Settings
from engine.pathways import versions
from engine.people.centres import ensure_centre
from engine.people.permissions import SYSTEM, Principal
from engine.services import Services
from engine.store.models import AuditEvent, Case, CaseTask, Deadline

Result = tuple[str, float, str]
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
CENTRES = 20
BATCH = 5000
SCRATCH = "casepath_bench_intake"
PATHWAY = PROJECT_ROOT / "workflows" / "pathways" / "crisis_centre_adult" / "crisis_centre_adult.bpmn"


def run(quick: bool) -> list[Result]:
    url = os.environ.get("CASEPATH_TEST_POSTGRES_URL", "")
    if not url:
        print("# intake_bench: CASEPATH_TEST_POSTGRES_URL is not set, no open_case_ms_pg_* lines", flush=True)
        return []
    sizes = (1_000, 10_000) if quick else (1_000, 100_000)
    repeat = 10 if quick else 30
    scratch = _scratch_postgres(url, SCRATCH)
    services = Services.from_settings(Settings(database_url=scratch), clock=FrozenClock(NOW))
    results: list[Result] = []
    try:
        who = _world(services)
        loaded = 0
        for size in sizes:
            _seed(services, loaded, size)
            loaded = size
            samples = _time_open_case(services, who, repeat)
            results.append((f"open_case_ms_pg_{_label(size)}", p50(samples), "ms"))
    finally:
        services.engine.dispose()
        _drop_postgres(url, SCRATCH)
    return results


def _label(size: int) -> str:
    return f"{size // 1000}k"


def _world(services: Services) -> Principal:
    with services.uow() as uow:
        for index in range(1, CENTRES + 1):
            ensure_centre(uow, SYSTEM, f"kc-b{index:02d}", f"КЦ {index}", "crisis_centre", 1000)
        versions.deploy_shipped_pathway(
            uow, PATHWAY.parents[2], "crisis_centre_adult", services.forms, SYSTEM
        )
        uow.commit()
        return Principal(None, "bench", {index: "manager" for index in range(1, CENTRES + 1)})


def _time_open_case(services: Services, who: Principal, repeat: int) -> list[float]:
    intake = cases.Intake("kc-b01", "Бенчмарк", "referral", "domestic_violence", referral_number="B-1")

    def open_one() -> float:
        start = time.perf_counter()
        with services.uow() as uow:
            admit(uow, who, intake, over_capacity=True)  # occupancy is still counted
            uow.commit()
        return (time.perf_counter() - start) * 1000

    for _ in range(3):  # warm the caches, the parsed pathway and the compiled statements
        open_one()
    return [open_one() for _ in range(repeat)]


def _seed(services: Services, start: int, end: int) -> None:
    """Bulk-insert cases ``start``..``end`` with their tasks, audit rows and deadlines."""
    with services.engine.begin() as connection:
        version_id = connection.exec_driver_sql("SELECT max(id) FROM pathway_version").scalar()
        ids = _id_bases(connection)
        for first in range(start, end, BATCH):
            rows = [
                _case(number, ids["case"] + number, version_id)
                for number in range(first, min(first + BATCH, end))
            ]
            connection.execute(insert(Case), rows)
            connection.execute(insert(CaseTask), [task for row in rows for task in _tasks(row)])
            connection.execute(insert(AuditEvent), [entry for row in rows for entry in _audit(row, ids)])
            connection.execute(insert(Deadline), [_deadline(row) for row in rows])
    with services.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("ANALYZE")  # as autovacuum would have, long before a caseload this size


def _id_bases(connection: Connection) -> dict[str, int]:
    """Ids above everything stored, so seeded rows never collide with the ones the service wrote."""
    case_id = connection.exec_driver_sql("SELECT coalesce(max(id), 0) FROM case_file").scalar() or 0
    seq = connection.exec_driver_sql("SELECT coalesce(max(seq), 0) FROM audit_event").scalar() or 0
    return {"case": 10_000_000 + int(case_id), "seq": 10_000_000 + int(seq)}


def _case(number: int, case_id: int, version_id: int) -> dict[str, Any]:
    centre = number % CENTRES + 1
    closed = number % 16 != 0
    return {
        "id": case_id,
        "public_id": f"{case_id:032x}",
        "number": f"KC-B{centre:02d}-{2019 + number % 7}-{number:07d}",  # 2019-2025
        "centre_id": centre,
        "pathway_version_id": version_id,
        "display_name": "Лице",
        "target_group": "domestic_violence",
        "legal_basis": "referral",
        "referral_number": "",
        "admitted_at": datetime(2019 + number % 7, 6, 1, tzinfo=UTC),
        "status": "closed" if closed else "open",
        "closed_at": NOW if closed else None,
        "workflow_state": b"x" * 2000,
        "serializer_version": "bench",
        "incident_element": "",
        "incident_message": "",
        "incident_expression": "",
        "version": 1,
    }


def _tasks(case: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "public_id": f"{case['id']:030x}{step:02x}",
            "case_id": case["id"],
            "centre_id": case["centre_id"],
            "workflow_task_id": f"{case['id']:032x}{step:04x}",
            "element_id": f"step_{step}",
            "name": "Стъпка",
            "role": "social_worker",
            "form_key": "",
            "created_at": case["admitted_at"],
            "due_at": case["admitted_at"] + timedelta(days=7),
            "legal_source": "",
            "status": "completed",
            "completed_at": case["admitted_at"] + timedelta(days=1),
        }
        for step in range(3)
    ]


def _audit(case: dict[str, Any], ids: dict[str, int]) -> list[dict[str, Any]]:
    rows = []
    for _ in range(3):
        ids["seq"] += 1
        rows.append(
            {
                "seq": ids["seq"],
                "at": case["admitted_at"],
                "actor": "bench",
                "action": "case.read",
                "case_id": case["id"],
                "subject": case["number"],
                "detail": {},
                "ip": "",
                "prev_hash": f"{ids['seq'] - 1:064x}",
                "hash": f"{ids['seq']:064x}",
            }
        )
    return rows


def _deadline(case: dict[str, Any]) -> dict[str, Any]:
    return {
        "case_id": case["id"],
        "element_id": "wait_month",
        "kind": "review",
        "due_at": case["admitted_at"] + timedelta(days=30),
        "status": "fired",
        "created_at": case["admitted_at"],
        "fired_at": case["admitted_at"] + timedelta(days=30),
    }
