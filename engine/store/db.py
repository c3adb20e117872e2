"""Database engines: one place that knows SQLite's quirks and PostgreSQL's URL forms."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

WRITER = "casepath_writer"  # execution option: this transaction will write (BEGIN IMMEDIATE on SQLite)


def normalise_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` mean psycopg 3 for Casepath."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and transactions that really begin.

    Statement parameters are case data: they never appear in an error's message (and so in no log),
    whoever builds the engine.
    """
    url = normalise_url(url)
    kwargs["hide_parameters"] = True
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        _tune_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _tune_sqlite(engine: Engine) -> None:
    # pysqlite opens transactions lazily and outside SQLAlchemy's control, which breaks savepoints and
    # makes "BEGIN" happen too late; SQLAlchemy's documented fix is to disable that and emit BEGIN ourselves.
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # SQLite's own lower() folds ASCII only: "Галина" would not match "галина". PostgreSQL's
        # follows the database's locale; Python's str.lower gives SQLite the same (searches use it).
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)

    # A writer takes SQLite's write lock when it begins (waiting up to busy_timeout for it): a deferred
    # transaction that reads first and writes later fails at once with "database is locked" whenever
    # another writer committed in between, and the busy timeout cannot help it. Readers begin plainly
    # and, thanks to WAL, never wait for writers.
    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        writer = connection.get_execution_options().get(WRITER, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


def is_postgres(engine_or_session: Any) -> bool:
    bind = engine_or_session.get_bind() if isinstance(engine_or_session, Session) else engine_or_session
    return bool(bind.dialect.name == "postgresql")
