"""Scratch databases for benchmarks: a temporary SQLite file, and PostgreSQL when configured."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from engine.store import schema
from engine.store.db import normalise_url

# Named after the configured database (test → test_casepath_bench), so benches on one server keep apart.
SCRATCH = "casepath_bench"


def scratch_name(url: str, suffix: str = "bench") -> str:
    """A scratch database named after the configured one, so benches on one server do not collide."""
    database = make_url(normalise_url(url)).database or "casepath"
    return f"{database}_{suffix}" if database != "postgres" else SCRATCH


def scratch_databases() -> Iterator[tuple[str, str]]:
    """(backend, url) of empty migrated databases; each is removed after its turn."""
    with tempfile.TemporaryDirectory(prefix="casepath-bench-") as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        schema.upgrade(url)
        yield "sqlite", url
    postgres = os.environ.get("CASEPATH_TEST_POSTGRES_URL", "")
    if postgres:
        yield "postgres", _scratch_postgres(postgres)
        _drop_postgres(postgres)


def _scratch_name(url: str, name: str = SCRATCH) -> str:
    """``name`` prefixed by the configured database's own name: parallel runs never drop each other's."""
    return f"{make_url(normalise_url(url)).database or 'postgres'}_{name}"


def _scratch_postgres(url: str, name: str = SCRATCH) -> str:
    """A new, migrated scratch database ``name`` beside the one at ``url``; its URL."""
    base, name = make_url(normalise_url(url)), _scratch_name(url, name)
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    scratch = base.set(database=name).render_as_string(hide_password=False)
    schema.upgrade(scratch)
    return scratch


def _drop_postgres(url: str, name: str = SCRATCH) -> None:
    admin = create_engine(make_url(normalise_url(url)), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{_scratch_name(url, name)}" WITH (FORCE)'))
    admin.dispose()
