"""Celery on a real Redis broker with embedded workers on the app built by ``make_celery``.

Each test gets its own Redis database number (flushed before and after) and a committed database
(``committed_world``: rows really commit, tables are emptied afterwards), because the workers use
their own engine on the same URL, as they would in production. The frozen clock is shared through
``Services``, so the test moves time for the workers too.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest
import redis
from celery import Celery
from celery.contrib.testing.worker import start_worker
from sqlalchemy import Engine

from engine.clock import FrozenClock
from engine.config import PROJECT_ROOT, Settings
from engine.services import Services
from tasks.celery_app import QUEUE, make_celery
from tests.conftest import FIXTURES, need_service
from tests.engine.conftest import World, build_world

TEST_REDIS_DB = 11  # instead of database 0, which a developer's own Redis may use


def redis_db_url(url: str, db: int) -> str:
    """``url`` on database ``db``, unless it names a database of its own: then that one is kept.

    Several checkouts may test against one Redis, each given its own database in
    CASEPATH_TEST_REDIS_URL; moving them all to ``db`` made their workers take each other's tasks.
    """
    if urlparse(url).path.strip("/") not in ("", "0"):
        return url
    return urlunparse(urlparse(url)._replace(path=f"/{db}"))


def redis_test_url() -> str:
    """``CASEPATH_TEST_REDIS_URL`` with its own database number, or ``TEST_REDIS_DB`` for 0 or none.

    Test runs sharing one Redis (parallel jobs, several checkouts) keep apart by naming different
    databases; forcing one number on all would let one run's workers take the other's messages.
    """
    url = need_service("CASEPATH_TEST_REDIS_URL", "Redis")
    return url if urlparse(url).path.strip("/") not in {"", "0"} else redis_db_url(url, TEST_REDIS_DB)


@pytest.fixture
def redis_url() -> Iterator[str]:
    url = redis_test_url()
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


@pytest.fixture
def committed_world(make_committed_uow, fixture_forms) -> World:
    return build_world(make_committed_uow, fixture_forms)


def database_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def settings_for(db_engine: Engine, redis_url: str, tmp_path: Path, **changes: object) -> Settings:
    return Settings(
        database_url=database_url(db_engine),
        redis_url=redis_url,
        secret_key="test",
        workflows_dir=FIXTURES,
        instance_dir=tmp_path / "instance",
    ).with_(**changes)


@pytest.fixture
def worker_services(
    db_engine, committed_world, clock: FrozenClock, redis_url, tmp_path
) -> Iterator[Services]:
    """The workers' services: their own engine on the committed test database, the test's clock."""
    services = Services.from_settings(settings_for(db_engine, redis_url, tmp_path), clock=clock)
    yield services
    services.engine.dispose()


@pytest.fixture
def celery_app(worker_services: Services) -> Celery:
    return make_celery(worker_services.settings, worker_services)


@contextmanager
def running_worker(app: Celery, pool: str = "solo", concurrency: int = 1) -> Iterator[object]:
    with start_worker(
        app,
        pool=pool,
        concurrency=concurrency,
        perform_ping_check=False,
        shutdown_timeout=30,
        loglevel="WARNING",
    ) as worker:
        yield worker


def wait_for(condition: Callable[[], object], timeout: float = 30.0, what: str = "condition") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def broker_idle(url: str) -> Callable[[], bool]:
    """True when nothing is queued and nothing is delivered but unacknowledged."""
    client = redis.Redis.from_url(url)
    return lambda: client.llen(QUEUE) == 0 and client.hlen("unacked") == 0


@contextmanager
def worker_process(
    settings: Settings, log: Path, pool: str = "prefork", concurrency: int = 1
) -> Iterator[subprocess.Popen]:
    """A real ``celery -A tasks.celery_app worker`` in its own process group (so it can be killed whole)."""
    env = {
        **os.environ,
        "CASEPATH_DATABASE_URL": settings.database_url,
        "CASEPATH_REDIS_URL": settings.redis_url,
        "CASEPATH_WORKFLOWS_DIR": str(settings.workflows_dir),
        "CASEPATH_INSTANCE_DIR": str(settings.instance_dir),
        "CASEPATH_SECRET_KEY": "test",
    }
    command = [sys.executable, "-m", "celery", "-A", "tasks.celery_app", "worker", "-P", pool]
    command += ["-c", str(concurrency), "-n", f"{log.stem}@%h", "-l", "WARNING"]
    command += ["--without-mingle", "--without-gossip", "--without-heartbeat"]
    with log.open("ab") as output:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        stop_process_group(process)


def stop_process_group(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is not None:
        return
    with suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def pool_children(process: subprocess.Popen) -> list[int]:
    """Pids of the prefork pool processes of a worker (Linux /proc)."""
    path = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    return [int(pid) for pid in path.read_text().split()] if path.exists() else []
