"""Deadlines at scale: 100k open cases with 1,000 due deadlines (quick: 10k and 100).

Data: one real case is opened on the fixture pathway (``tests/fixtures/mini.bpmn``) 40 days before
``NOW`` and moved into its stay, so its workflow waits on three timers (the monthly review, now ten days
overdue; exit planning at P5M; the cap at P6M). Its row — with its real workflow state, ~2 KB — is
copied with SQLAlchemy Core into every other case, each with its three deadline rows. In all but
``due`` cases the monthly deadline row lies in the future, so exactly ``due`` deadlines are due.

Figures, per database (SQLite in a temporary file; PostgreSQL in a scratch database when
``CASEPATH_TEST_POSTGRES_URL`` is set):

* ``timers_sweep_idle_p50/p95_ms``: the sweep query (``engine.casework.deadlines.due_deadline_ids``) when
nothing
  is due — what beat pays every 30 s on a quiet day (target ≤ 50 ms at 100k cases);
* ``timers_dispatch_ms``: reading the ids of the due deadlines;
* ``timers_fire_all_seconds`` and ``timers_fire_p50/p95_ms``: firing them all, one transaction each,
  through ``engine.casework.deadlines.fire_deadline`` (lock, run the workflow, sync, audit), as a worker does;
* ``timers_lateness_p50/p99/max_s_measured_<db>``: lateness (fired at − due at) measured with real beat
  and worker processes at 1,000 due deadlines a minute, in a fresh scratch database of its own (see
  ``bench/timer_lateness.py``; target p99 ≤ 2 s).
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, text

from bench import timer_lateness
from bench.databases import scratch_databases
from engine.casework import deadlines
from engine.clock import FrozenClock
from engine.config import PROJECT_ROOT, Settings
from engine.services import Services
from engine.store.models import Case, Deadline, new_public_id

Result = tuple[str, float, str]
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
FIXTURES = PROJECT_ROOT / "tests" / "fixtures"


def run(quick: bool) -> list[Result]:
    size, due = (10_000, 100) if quick else (100_000, 1_000)
    label = f"{size // 1000}k"
    results: list[Result] = []
    for backend, url in scratch_databases():
        clock = FrozenClock(NOW)
        settings = Settings(database_url=url, workflows_dir=FIXTURES, secret_key="bench")
        services = Services.from_settings(settings, clock=clock)
        _load(services, clock, size, due)
        idle = _idle_sweep(services, 20 if quick else 50)
        results += [
            (f"timers_sweep_idle_p50_ms_{backend}_{label}", _pct(idle, 50), "ms"),
            (f"timers_sweep_idle_p95_ms_{backend}_{label}", _pct(idle, 95), "ms"),
        ]
        dispatch_ms, fire_seconds, samples = _fire_all(services, due)
        results += [
            (f"timers_dispatch_ms_{backend}_{label}_{due}due", round(dispatch_ms, 2), "ms"),
            (f"timers_fire_all_seconds_{backend}_{label}_{due}due", round(fire_seconds, 2), "s"),
            (f"timers_fire_p50_ms_{backend}", _pct(samples, 50), "ms"),
            (f"timers_fire_p95_ms_{backend}", _pct(samples, 95), "ms"),
        ]
        services.engine.dispose()
    for backend, url in scratch_databases():
        results += timer_lateness.measure(
            backend, url, timer_lateness.QUICK if quick else timer_lateness.FULL
        )
    return results


def _pct(samples: list[float], percent: int) -> float:
    ordered = sorted(samples)
    if percent == 50:
        return round(statistics.median(ordered), 3)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * percent / 100))], 3)


# --- data -----------------------------------------------------------------------------------------------


def _load(services: Services, clock: FrozenClock, size: int, due: int) -> None:
    template_id = timer_lateness.template_case(services, clock, NOW - timedelta(days=40))
    clock.set(NOW)
    with services.uow() as uow:
        template = uow.session.get(Case, template_id)
        assert template is not None
        columns = [c.key for c in Case.__table__.columns if c.key not in {"id", "public_id", "number"}]
        base = {key: getattr(template, key) for key in columns}
        rows = list(uow.session.scalars(select(Deadline).where(Deadline.case_id == template_id)))
        deadlines = [(d.element_id, d.kind, d.due_at) for d in rows if d.status == "pending"]
    rng = random.Random(size)
    with services.engine.begin() as connection:
        for start in range(1, size, 5000):
            numbers = range(start, min(start + 5000, size))
            case_rows = [{**base, "public_id": new_public_id(), "number": f"BENCH-{n:06d}"} for n in numbers]
            ids = connection.execute(insert(Case).returning(Case.id), case_rows).scalars().all()
            connection.execute(insert(Deadline), _deadline_rows(ids, numbers, deadlines, due, rng))
    with (
        services.engine.connect() as connection
    ):  # planner statistics, as autovacuum keeps them in production
        connection.execute(text("ANALYZE"))
        connection.commit()


def _deadline_rows(
    ids: Any, numbers: range, deadlines: list[Any], due: int, rng: random.Random
) -> list[dict]:
    rows = []
    for case_id, number in zip(ids, numbers, strict=True):
        for element, kind, due_at in deadlines:
            if element == "wait_month" and number >= due:  # not yet due: a review next month or later
                due_at = NOW + timedelta(days=rng.randint(1, 30), minutes=rng.randint(0, 1439))
            rows.append(
                {
                    "case_id": case_id,
                    "element_id": element,
                    "kind": kind,
                    "due_at": due_at,
                    "status": "pending",
                    "legal_source": "",
                    "created_at": NOW - timedelta(days=40),
                }
            )
    return rows


# --- measurements ---------------------------------------------------------------------------------------


def _idle_sweep(services: Services, repeat: int) -> list[float]:
    quiet = NOW - timedelta(days=20)  # before the overdue reviews: nothing is due
    samples = []
    with services.uow() as uow:
        deadlines.due_deadline_ids(uow, quiet)
        for _ in range(repeat):
            start = time.perf_counter()
            found = deadlines.due_deadline_ids(uow, quiet)
            samples.append((time.perf_counter() - start) * 1000)
    assert found == []
    return samples


def _fire_all(services: Services, due: int) -> tuple[float, float, list[float]]:
    started = time.perf_counter()
    with services.uow() as uow:
        ids = deadlines.due_deadline_ids(uow, NOW, limit=10 * due)
    dispatch_ms = (time.perf_counter() - started) * 1000
    assert len(ids) == due, (len(ids), due)
    samples = []
    for deadline_id in ids:
        start = time.perf_counter()
        with services.uow() as uow:
            result = deadlines.fire_deadline(uow, deadline_id)
            uow.commit()
        samples.append((time.perf_counter() - start) * 1000)
        assert result.outcome == "fired", result
    return dispatch_ms, time.perf_counter() - started, samples


if __name__ == "__main__":
    import sys

    for name, value, unit in run("--quick" in sys.argv):
        print(name, value, unit)
