"""Generating an outgoing document: a monthly progress note, the whole of ``engine.casework.documents
.service.generate`` (find its form, number it, compose, render the PDF with WeasyPrint, store it, audit)
with its commit, on SQLite, for a demo case of the shipped adult pathway worked past its first review.

``document_pdf_ms`` is the median, ``document_pdf_p95_ms`` the 95th percentile of the wall time;
``document_pdf_cpu_ms`` the median CPU time of this process for one generation, which a busy shared
machine inflates far less than the wall time. The first generation in the process (pango and the fonts
loading) is left out, as a server pays it once.
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from bench.engine_bench import p50, p95
from cli.demo import CasePlan, make_case, username_for
from engine.casework.documents import service
from engine.clock import FrozenClock
from engine.config import Settings
from engine.pathways import versions
from engine.people.centres import ensure_centre
from engine.people.permissions import SYSTEM, Principal
from engine.people.roles import CASEWORK_ROLES
from engine.people.users import create_user
from engine.services import Services
from engine.store import schema
from engine.store.models import Case

Result = tuple[str, float, str]
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def run(quick: bool) -> list[Result]:
    repeat = 10 if quick else 40
    with tempfile.TemporaryDirectory(prefix="casepath-bench-docs-") as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        schema.upgrade(url)
        settings = Settings(database_url=url, instance_dir=Path(folder))
        services = Services.from_settings(settings, clock=FrozenClock(NOW))
        try:
            case_id, writer = _world(services)
            samples = _time_generate(services, case_id, writer, repeat + 1)[1:]
        finally:
            services.engine.dispose()
    wall, cpu = [sample[0] for sample in samples], [sample[1] for sample in samples]
    return [
        ("document_pdf_ms", p50(wall), "ms"),
        ("document_pdf_p95_ms", p95(wall), "ms"),
        ("document_pdf_cpu_ms", p50(cpu), "ms"),
    ]


def _world(services: Services) -> tuple[int, Principal]:
    with services.uow() as uow:
        centre = ensure_centre(uow, SYSTEM, "kc-demo", "КЦ „Бенч“", "crisis_centre", 12, "ул. Х 1")
        centre.correspondence_address = "п.к. 1, 8600 Ямбол"
        for role in CASEWORK_ROLES:
            create_user(uow, SYSTEM, username_for("kc-demo", role), "bench password 123", "kc-demo", role)
        versions.deploy_shipped(uow, services.settings.workflows_dir, services.forms, SYSTEM)
        uow.commit()
        centre_id = centre.id
    plan = CasePlan("kc-demo", "Мария Бенчева", date(1990, 4, 1), "urgent", "domestic_violence", 70, 1)
    case_id = make_case(services, plan, NOW)
    return case_id, Principal(None, "bench", {centre_id: "social_worker"})


def _time_generate(
    services: Services, case_id: int, writer: Principal, repeat: int
) -> list[tuple[float, float]]:
    """(wall, CPU) milliseconds of each generation with its commit."""
    with services.uow() as uow:
        case = uow.session.get(Case, case_id)
        assert case is not None
        public_id = case.public_id
    samples = []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        with services.uow() as uow:
            service.generate(uow, writer, services.file_store, services.forms, public_id, "progress_note")
            uow.commit()
        samples.append(((time.perf_counter() - start) * 1000, (time.process_time() - start_cpu) * 1000))
    return samples
