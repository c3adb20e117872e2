"""Timer lateness, measured: real ``celery beat`` and ``celery worker`` processes fire real deadlines.

Per database, ``count`` cases wait in their stay on the fixture pathway (``tests/fixtures/mini.bpmn``):
one real case is opened 40 days ago (so its workflow's own monthly timer is overdue and the deadline
row alone decides when it fires) and copied with SQLAlchemy Core, each copy with its deadline rows.
Then one beat and one worker start (prefork: 4 processes on PostgreSQL, as ``docker-compose.yml``
runs it; one on SQLite, which takes one writer at a time), both the production app (``celery -A
tasks.celery_app``) on Redis and the scratch database, with the real clock. Once beat has run once,
the monthly deadline rows are moved to fall due at ``LOAD_PER_MINUTE`` a minute, the first one
interval after that run, so every due time is handed out by a regular beat, as in a steady state.
When all have fired, the lateness of each is ``fired_at - due_at`` as the database recorded it.

Lines: ``timers_lateness_p50_s_measured_<db>``, ``timers_lateness_p99_s_measured_<db>`` and
``timers_lateness_max_s_measured_<db>`` (target p99 ≤ 2 s at 1,000 due a minute), and
``timers_lateness_unfired_measured_<db>``, deadlines still pending when the bench gave up (normally 0;
they count in the percentiles with their lateness so far), with ``<db>`` ``sqlite`` or ``pg``.
Without ``CASEPATH_TEST_REDIS_URL`` (or ``CASEPATH_REDIS_URL``) they are left out. The Redis database of
that URL is flushed before and after.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import redis
from sqlalchemy import Engine, bindparam, insert, select, update

from engine.casework import cases
from engine.clock import FrozenClock
from engine.config import PROJECT_ROOT, Settings
from engine.pathways import versions
from engine.pathways.forms import FormCatalog
from engine.people.centres import ensure_centre
from engine.people.permissions import SYSTEM, Principal
from engine.services import Services
from engine.store.models import Case, CaseTask, Deadline, SweepStatus, new_public_id

Result = tuple[str, float, str]
FIXTURES = PROJECT_ROOT / "tests" / "fixtures"
LOAD_PER_MINUTE = 1000
BACKEND_LABEL = {"sqlite": "sqlite", "postgres": "pg"}
BENCH_REDIS_DB = 12  # flushed before and after; the tests use 11


@dataclass(frozen=True)
class Plan:
    beat_seconds: int  # the beat interval (sweep_interval_seconds)
    window_seconds: int  # deadlines fall due over this long, LOAD_PER_MINUTE a minute
    concurrency: dict[str, int]  # worker processes per backend (prefork, as in docker-compose.yml)

    @property
    def count(self) -> int:
        return self.window_seconds * LOAD_PER_MINUTE // 60


FULL = Plan(beat_seconds=30, window_seconds=120, concurrency={"sqlite": 1, "postgres": 4})
QUICK = Plan(beat_seconds=2, window_seconds=4, concurrency={"sqlite": 1, "postgres": 4})


def redis_url() -> str:
    """The broker to use; database 0 (a developer's own, perhaps) is swapped for ``BENCH_REDIS_DB``."""
    url = os.environ.get("CASEPATH_TEST_REDIS_URL") or os.environ.get("CASEPATH_REDIS_URL", "")
    if not url or urlparse(url).path.strip("/") not in {"", "0"}:
        return url
    return urlunparse(urlparse(url)._replace(path=f"/{BENCH_REDIS_DB}"))


def measure(backend: str, url: str, plan: Plan) -> list[Result]:
    """The measured lateness lines for one scratch database (which must be empty and migrated)."""
    broker = redis_url()
    if not broker:
        return []
    services = Services.from_settings(Settings(database_url=url, workflows_dir=FIXTURES, secret_key="x"))
    try:
        ids = _load(services, plan.count)
        with tempfile.TemporaryDirectory(prefix="casepath-lateness-") as folder, _clean_redis(broker):
            env = _environment(url, broker, plan, Path(folder))
            launched = datetime.now(UTC)
            with (
                _process(_worker(plan.concurrency[backend]), env, Path(folder) / "worker.log"),
                _process(_beat(Path(folder)), env, Path(folder) / "beat.log"),
            ):
                first_beat = _wait_for_beat(services.engine, launched, timeout=60 + plan.beat_seconds)
                start = first_beat + timedelta(seconds=plan.beat_seconds + 1)
                _schedule(services.engine, ids, start)
                timeout = plan.window_seconds + plan.beat_seconds + 120
                lateness, unfired = _wait_for_firings(services.engine, ids, timeout)
    finally:
        services.engine.dispose()
    label = BACKEND_LABEL.get(backend, backend)
    return [
        (f"timers_lateness_p50_s_measured_{label}", _percentile(lateness, 50), "s"),
        (f"timers_lateness_p99_s_measured_{label}", _percentile(lateness, 99), "s"),
        (f"timers_lateness_max_s_measured_{label}", round(max(lateness), 3), "s"),
        (f"timers_lateness_unfired_measured_{label}", unfired, "count"),
    ]


def _percentile(samples: list[float], percent: int) -> float:
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * percent / 100))], 3)


# --- data -----------------------------------------------------------------------------------------------


def template_case(services: Services, clock: FrozenClock, opened_at: datetime) -> int:
    """A real case opened at ``opened_at`` on the fixture pathway and moved into its stay."""
    forms = FormCatalog(FIXTURES / "forms")
    clock.set(opened_at)
    with services.uow(clock) as uow:
        ensure_centre(uow, SYSTEM, "kc-bench", "КЦ Бенчмарк", "crisis_centre", 1000)
        coordinator = Principal(None, "bench", {})
        versions.deploy(uow, mini_as_adult(), forms, coordinator, "mini.bpmn")
        centre_id = cases.get_centre(uow, "kc-bench").id
        worker = Principal(None, "bench", {centre_id: "social_worker"})
        intake = cases.Intake(
            "kc-bench", "Bench Case", "referral", "domestic_violence", referral_number="B-1"
        )
        case = cases.open_case(uow, worker, intake)
        task = uow.session.scalar(select(CaseTask).where(CaseTask.case_id == case.id))
        assert task is not None
        cases.complete_task(uow, worker, task.public_id, {"note": "x", "risk": "low"}, forms)
        uow.commit()
        return case.id


def mini_as_adult() -> bytes:
    text = (FIXTURES / "mini.bpmn").read_text(encoding="utf-8")
    return text.replace('id="mini"', 'id="crisis_centre_adult"').encode("utf-8")


def _load(services: Services, count: int) -> list[int]:
    """``count`` cases waiting on their monthly review, due a day from now for the moment: its ids."""
    now = datetime.now(UTC)
    template_id = template_case(services, FrozenClock(now), now - timedelta(days=40))
    with services.uow() as uow:
        template = uow.session.get(Case, template_id)
        assert template is not None
        columns = [c.key for c in Case.__table__.columns if c.key not in {"id", "public_id", "number"}]
        base = {key: getattr(template, key) for key in columns}
        rows = uow.session.scalars(
            select(Deadline).where(Deadline.case_id == template_id, Deadline.status == "pending")
        )
        deadlines = [(d.element_id, d.kind, d.due_at) for d in rows]
    later = now + timedelta(days=1)
    with services.engine.begin() as connection:
        case_rows = [{**base, "public_id": new_public_id(), "number": f"LATE-{n:06d}"} for n in range(count)]
        case_ids = connection.execute(insert(Case).returning(Case.id), case_rows).scalars().all()
        deadline_rows = [
            _deadline_row(case_id, element, kind, later if element == "wait_month" else due_at, now)
            for case_id in case_ids
            for element, kind, due_at in deadlines
        ]
        connection.execute(insert(Deadline), deadline_rows)
        query = select(Deadline.id).where(
            Deadline.element_id == "wait_month", Deadline.case_id != template_id
        )
        return list(connection.scalars(query.order_by(Deadline.id)))


def _deadline_row(case_id: int, element: str, kind: str, due_at: datetime, now: datetime) -> dict:
    return {
        "case_id": case_id,
        "element_id": element,
        "kind": kind,
        "due_at": due_at,
        "status": "pending",
        "legal_source": "",
        "created_at": now,
    }


def _schedule(engine: Engine, ids: list[int], start: datetime) -> None:
    """Deadline ``i`` falls due at ``start + i`` sixtieths of a second (1,000 a minute)."""
    step = 60.0 / LOAD_PER_MINUTE
    table = Deadline.__table__
    query = update(table).where(table.c.id == bindparam("b_id")).values(due_at=bindparam("b_due"))
    rows = [{"b_id": i, "b_due": start + timedelta(seconds=n * step)} for n, i in enumerate(ids)]
    with engine.begin() as connection:
        connection.execute(query, rows)


# --- the processes -------------------------------------------------------------------------------------


def _environment(url: str, broker: str, plan: Plan, folder: Path) -> dict[str, str]:
    return {
        **os.environ,
        "CASEPATH_DATABASE_URL": url,
        "CASEPATH_REDIS_URL": broker,
        "CASEPATH_WORKFLOWS_DIR": str(FIXTURES),
        "CASEPATH_INSTANCE_DIR": str(folder),
        "CASEPATH_SECRET_KEY": "bench",
        "CASEPATH_SWEEP_INTERVAL_SECONDS": str(plan.beat_seconds),
    }


def _worker(concurrency: int) -> list[str]:
    command = [sys.executable, "-m", "celery", "-A", "tasks.celery_app", "worker", "-P", "prefork"]
    command += ["-c", str(concurrency), "-n", "lateness@%h", "-l", "WARNING"]
    return [*command, "--without-mingle", "--without-gossip", "--without-heartbeat"]


def _beat(folder: Path) -> list[str]:
    command = [sys.executable, "-m", "celery", "-A", "tasks.celery_app", "beat", "-l", "WARNING"]
    return [*command, "-s", str(folder / "beat-schedule"), "--pidfile", str(folder / "beat.pid")]


@contextmanager
def _process(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    with log.open("ab") as output:
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@contextmanager
def _clean_redis(url: str) -> Iterator[None]:
    client = redis.Redis.from_url(url)
    client.flushdb()
    try:
        yield
    finally:
        with suppress(redis.RedisError):
            client.flushdb()
        client.close()


def _wait_for_beat(engine: Engine, launched: datetime, timeout: float) -> datetime:
    """When beat's first dispatch ran (recorded by the worker in ``sweep_status``)."""
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        with engine.connect() as connection:
            at = connection.scalar(select(SweepStatus.last_run_at).where(SweepStatus.runner == "celery"))
        if at is not None and at >= launched:
            return at
        time.sleep(0.1)
    raise RuntimeError(f"no beat dispatch within {timeout} s: see the worker and beat logs")


def _wait_for_firings(engine: Engine, ids: list[int], timeout: float) -> tuple[list[float], int]:
    """Lateness in seconds of every deadline in ``ids`` once all have fired, and how many had not.

    One still pending after ``timeout`` counts with its lateness so far (a lower bound), so a worker
    that falls behind shows in the percentiles instead of vanishing from them.
    """
    query = select(Deadline.due_at, Deadline.fired_at).where(Deadline.id.in_(ids))
    give_up = time.monotonic() + timeout
    while True:
        with engine.connect() as connection:
            rows = connection.execute(query).all()
        unfired = sum(fired_at is None for _, fired_at in rows)
        if not unfired or time.monotonic() > give_up:
            now = datetime.now(UTC)
            return [((fired_at or now) - due_at).total_seconds() for due_at, fired_at in rows], unfired
        time.sleep(0.5)
