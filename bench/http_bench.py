"""HTTP load on the real stack: gunicorn on 127.0.0.1, PostgreSQL, a bounded number of API clients.

A scratch PostgreSQL database of its own is migrated and seeded (a centre, the adult pathway, one user
per casework role for every client, open cases with their first tasks), then gunicorn serves
``web.wsgi:app`` on a free loopback port. Two phases, each stopping by itself after a fixed time:

* ``http_completions_per_s_pg_c8``: 8 clients, each working its own cases (claim, then complete with
  the form's defaults, then the case's next task), completions per second over the phase;
* ``http_inbox_p95_ms_pg_c32``: 32 clients reading their inbox (``GET /api/v1/tasks``), p95 latency.

Everything is torn down at the end (gunicorn stopped, the database dropped), also on failure.
Skipped, with the reason printed, when PostgreSQL is not configured or in ``--quick`` mode.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from bench.databases import scratch_name
from bench.engine_bench import p50, p95
from engine.casework import cases
from engine.config import PROJECT_ROOT, Settings
from engine.pathways import versions
from engine.people.centres import ensure_centre
from engine.people.permissions import SYSTEM, Principal
from engine.people.roles import CASEWORK_ROLES
from engine.people.users import create_user, issue_token
from engine.services import Services
from engine.store import schema
from engine.store.db import normalise_url
from engine.store.models import CaseTask

Result = tuple[str, float, str]
HOST = "127.0.0.1"
CENTRE = "kc-http"
PATHWAY = PROJECT_ROOT / "workflows" / "pathways" / "crisis_centre_adult" / "crisis_centre_adult.bpmn"
WORKERS = 4  # gunicorn sync workers; the machine decides the best number, this one is fixed for comparison
COMPLETE_CLIENTS, INBOX_CLIENTS = 8, 32
PHASE_SECONDS = 15.0
CASES_PER_CLIENT = 40
READERS = ("social_worker",)  # the inbox-only clients
REQUEST_TIMEOUT = 30.0


def run(quick: bool) -> list[Result]:
    postgres = os.environ.get("CASEPATH_TEST_POSTGRES_URL", "")
    if quick:
        print("# http_bench: skipped in --quick mode (run `make bench` without --quick)", flush=True)
        return []
    if not postgres:
        print("# http_bench: skipped, PostgreSQL is not configured (CASEPATH_TEST_POSTGRES_URL)", flush=True)
        return []
    with _scratch_database(postgres) as url:
        clients = _seed(url, COMPLETE_CLIENTS, CASES_PER_CLIENT)
        with _gunicorn(url) as port:
            completions, claim_ms = _completion_phase(port, clients, PHASE_SECONDS)
            inbox_ms = _inbox_phase(port, clients, INBOX_CLIENTS, PHASE_SECONDS)
    return [
        (f"http_completions_per_s_pg_c{COMPLETE_CLIENTS}", round(completions, 1), "1/s"),
        (f"http_claim_p50_ms_pg_c{COMPLETE_CLIENTS}", p50(claim_ms), "ms"),
        (f"http_inbox_p95_ms_pg_c{INBOX_CLIENTS}", p95(inbox_ms), "ms"),
    ]


# --- the world -------------------------------------------------------------------------------------


@dataclass
class Client:
    """One simulated person at a keyboard: a token per role, and the cases only this client works on."""

    tokens: dict[str, str]
    tasks: list[dict[str, str]] = field(default_factory=list)  # the first open task of each case


@contextmanager
def _scratch_database(url: str) -> Iterator[str]:
    base = make_url(normalise_url(url))
    name = scratch_name(url, "http_bench")
    _admin(base, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}")
    scratch = base.set(database=name).render_as_string(hide_password=False)
    try:
        schema.upgrade(scratch)
        yield scratch
    finally:
        _admin(base, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _admin(url: Any, *statements: str) -> None:
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for statement in statements:
            connection.execute(text(statement))
    admin.dispose()


def _seed(url: str, clients: int, cases_per_client: int) -> list[Client]:
    services = Services.from_settings(Settings(database_url=url))
    try:
        with services.uow() as uow:
            centre = ensure_centre(uow, SYSTEM, CENTRE, "КЦ HTTP", "crisis_centre", 1000)
            versions.deploy_shipped_pathway(
                uow, PATHWAY.parents[2], "crisis_centre_adult", services.forms, SYSTEM
            )
            seeded = [
                _client(uow, i, CASEWORK_ROLES if i < clients else READERS) for i in range(INBOX_CLIENTS)
            ]
            uow.commit()
        manager = Principal(None, "http-bench", {centre.id: "manager"})
        intake = cases.Intake(CENTRE, "Бенчмарк", "referral", "domestic_violence", referral_number="H-1")
        for client in seeded[:clients]:
            with services.uow() as uow:
                opened = [cases.open_case(uow, manager, intake) for _ in range(cases_per_client)]
                uow.commit()
                client.tasks = [_open_task(uow, case.id) for case in opened]
        return seeded
    finally:
        services.engine.dispose()


def _open_task(uow: Any, case_id: int) -> dict[str, str]:
    row = uow.session.scalars(
        select(CaseTask).where(CaseTask.case_id == case_id, CaseTask.status == "open").order_by(CaseTask.id)
    ).first()
    return {"id": row.public_id, "role": row.role, "form_key": row.form_key}


def _client(uow: Any, index: int, roles: Iterable[str]) -> Client:
    tokens = {}
    for role in roles:
        username = f"http-{index}-{role}"
        create_user(uow, SYSTEM, username, "http-bench-password-1", CENTRE, role)
        tokens[role] = issue_token(uow, SYSTEM, username)
    return Client(tokens)


@contextmanager
def _gunicorn(url: str) -> Iterator[int]:
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="casepath-http-") as instance:
        env = {
            **os.environ,
            "CASEPATH_DATABASE_URL": url,
            "CASEPATH_INSTANCE_DIR": instance,
            "CASEPATH_SECRET_KEY": "http-bench-" + "x" * 32,
        }
        command = [sys.executable, "-m", "gunicorn", "--bind", f"{HOST}:{port}", "--workers", str(WORKERS)]
        server = subprocess.Popen(
            [*command, "--log-level", "warning", "web.wsgi:app"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        try:
            _wait_until_up(port, server)
            yield port
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _wait_until_up(port: int, server: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            status, _ = _request(port, "GET", "/healthz", "")
            if status < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer within a minute")


# --- the load --------------------------------------------------------------------------------------


def _request(port: int, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    try:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw.startswith((b"{", b"[")) else None
    finally:
        connection.close()


@dataclass
class Tally:
    completions: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    claim_ms: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _completion_phase(port: int, clients: list[Client], seconds: float) -> tuple[float, list[float]]:
    forms = Services.from_settings(Settings(database_url="sqlite://")).forms
    tally = Tally()
    stop_at = time.monotonic() + seconds
    threads = [
        threading.Thread(target=_work, args=(port, client, forms, tally, stop_at))
        for client in clients[:COMPLETE_CLIENTS]
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    for kind, count in tally.failures.items():
        print(f"# http_bench: {count} tasks failed: {kind}", flush=True)
    return tally.completions / elapsed, tally.claim_ms


def _work(port: int, client: Client, forms: Any, tally: Tally, stop_at: float) -> None:
    """Claim and complete the open tasks of this client's cases, one case after the other."""
    queue = list(client.tasks)
    taken = {task["id"] for task in queue}
    while queue and time.monotonic() < stop_at:
        task = queue.pop(0)
        token = client.tokens[task["role"]]
        start = time.perf_counter()
        claimed, _ = _request(port, "POST", f"/api/v1/tasks/{task['id']}/claim", token, {})
        claim_ms = (time.perf_counter() - start) * 1000
        values = forms.get(task["form_key"]).defaults() if task["form_key"] else {}
        done, body = _request(port, "POST", f"/api/v1/tasks/{task['id']}/complete", token, {"data": values})
        with tally.lock:
            tally.claim_ms.append(claim_ms)
            if claimed == 200 and done == 200:
                tally.completions += 1
            else:
                tally.failures[f"claim {claimed}, complete {done} ({task['form_key']})"] += 1
                continue
        following = [task for task in body["next_tasks"] if task["id"] not in taken]
        taken.update(task["id"] for task in following)
        queue[:0] = following  # stay on this case while it has work (parallel tasks come back once)


def _inbox_phase(port: int, clients: list[Client], count: int, seconds: float) -> list[float]:
    samples: list[float] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def read(token: str) -> None:
        while time.monotonic() < stop_at:
            start = time.perf_counter()
            status, _ = _request(port, "GET", "/api/v1/tasks?page_size=25", token)
            elapsed = (time.perf_counter() - start) * 1000
            with lock:
                samples.append(elapsed if status == 200 else float("inf"))

    threads = [threading.Thread(target=read, args=(client.tokens["social_worker"],)) for client in clients]
    for thread in threads[:count]:
        thread.start()
    for thread in threads[:count]:
        thread.join()
    return samples


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    for metric, value, unit in run(quick=False):
        print(f"{metric} {value} {unit}")
