"""Alembic environment: runs on the connection or URL Casepath hands it (see engine/store/schema.py)."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection, pool

from engine.store.db import make_engine
from engine.store.models import Base, UTCDateTime

config = context.config
target_metadata = Base.metadata


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Write Casepath's column types as plain SQLAlchemy ones, so migrations never import models."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "", poolclass=pool.NullPool)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection: Connection) -> None:
    """Run the migrations; on SQLite with foreign keys off while they run.

    SQLite cannot alter a column in place: a batch migration copies the table, drops it and renames the
    copy. With ``foreign_keys=ON`` (set on every connection by ``make_engine``) dropping the old
    ``user_account`` or ``case_file`` would cascade and delete the rows that refer to it. The pragma
    only takes effect outside a transaction, hence the commits around it; a foreign-key check after the
    migrations makes sure the copies left nothing dangling.
    """
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        _pragma(connection, "PRAGMA foreign_keys=OFF")
    try:
        _migrate(connection)
    finally:
        if sqlite:
            _pragma(connection, "PRAGMA foreign_keys=ON")
    if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
        raise RuntimeError("a migration left rows that refer to missing rows (PRAGMA foreign_key_check)")


def _pragma(connection: Connection, statement: str) -> None:
    # On the driver's connection: through SQLAlchemy the statement would open a transaction first
    # (engine/store/db.py emits BEGIN), and inside one SQLite ignores the pragma.
    if connection.in_transaction():
        connection.commit()
    connection.connection.driver_connection.execute(statement)  # type: ignore[union-attr]


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
