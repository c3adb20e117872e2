"""The unit of work: one transaction, owned by the caller, with side effects only after commit.

Services receive a :class:`UnitOfWork`, use ``uow.session`` and may ``flush()``; they never commit.
A unit of work is a writer unless opened with ``writer=False``: on SQLite a writer begins with
``BEGIN IMMEDIATE`` (see ``db.py``), so read-then-write never meets "database is locked".
They ``emit()`` small event objects (a notification to send, a task to enqueue); the dispatcher gets
them only once the commit has succeeded, so nothing is announced that did not happen.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.schema import ColumnCollectionConstraint, ForeignKeyConstraint

from engine.clock import Clock, SystemClock
from engine.config import RunLimits
from engine.errors import ConcurrencyConflict, IntegrityFault
from engine.store.db import WRITER
from engine.store.models import Base

Dispatcher = Callable[[Iterable[Any]], None]
log = logging.getLogger(__name__)
T = TypeVar("T")

# Constraints whose violation means a concurrent writer did the same thing first: a lost race, reported
# as ConcurrencyConflict (409). Any other integrity error (another unique key, NOT NULL, a foreign key,
# a check) is a bug in Casepath: it becomes IntegrityFault (500) with a log line naming the constraint,
# never the statement's parameters.
RACE_GUARDS = frozenset(
    {
        # A number already taken: the centre's counter is behind its cases (numbers written by hand or an
        # import); the next try draws the next number, so the person is asked to try again.
        "uq_case_file_number",
        "uq_audit_event_prev_hash",  # two sealers extended the audit chain from the same link
        "uq_audit_event_hash",
        "uq_pathway_key",  # two first deployments of one pathway
        "uq_pathway_version_number",  # two deployments of a new version of one pathway
        "uq_centre_code",  # two admins added the same centre
        "uq_user_account_username",  # … or the same user
        "uq_membership_user_centre",  # … or the same role grant
        "pk_sweep_status",  # two sweepers recorded their first run
        "pk_case_counter",  # two first intakes of a centre's year created its counter
        "uq_audit_event_seq",  # two sealers numbered the same row
    }
)


def drop_events(events: Iterable[Any]) -> None:
    """The default dispatcher: events with no listener are dropped after commit."""


class UnitOfWork:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        clock: Clock | None = None,
        dispatch: Dispatcher = drop_events,
        limits: RunLimits | None = None,
        writer: bool = True,
    ) -> None:
        self._factory = session_factory
        self.writer = writer
        self.clock: Clock = clock or SystemClock()
        self.limits: RunLimits = limits or RunLimits()  # what one case may do in a run and in a day
        self._dispatch = dispatch
        self._session: Session | None = None
        self.events: list[Any] = []

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("unit of work used outside its 'with' block")
        return self._session

    def __enter__(self) -> UnitOfWork:
        bind = self._factory.kw.get("bind")
        if self.writer and isinstance(bind, Engine):
            # Every transaction of this session begins as a writer (BEGIN IMMEDIATE on SQLite).
            self._session = self._factory(bind=_writer_engine(bind))
        else:
            self._session = self._factory()
        self.events = []
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            self.rollback()
        finally:
            self.session.close()
            self._session = None
        if _is_lost_race(exc):
            # A flush inside a service met a concurrent writer: the caller sees one kind of error.
            raise ConcurrencyConflict("someone else changed this case at the same time") from exc
        if isinstance(exc, IntegrityError):
            raise integrity_fault(exc) from None  # the original's text quotes the statement's parameters

    def emit(self, event: Any) -> None:
        self.events.append(event)

    def commit(self) -> None:
        """Commit, turning a lost race into ConcurrencyConflict; then hand events to the dispatcher."""
        try:
            self.session.commit()
        except (StaleDataError, IntegrityError) as error:
            self.session.rollback()
            if not is_lost_race(error):
                assert isinstance(error, IntegrityError)
                raise integrity_fault(error) from None  # the original's text quotes the parameters
            raise ConcurrencyConflict("someone else changed this case at the same time") from error
        except OperationalError as error:
            self.session.rollback()
            if _is_lock_error(error):
                raise ConcurrencyConflict("the case is busy; try again") from error
            raise
        events, self.events = self.events, []
        self._dispatch(events)

    def rollback(self) -> None:
        self.events = []
        if self._session is not None:
            self._session.rollback()


def in_transaction(make_uow: Callable[[], UnitOfWork], work: Callable[[UnitOfWork], T]) -> T:
    """Run ``work`` in a unit of work of its own and commit it: for drivers outside a request or task
    (the embedded sweeper, the CLI) that run one service call per transaction."""
    with make_uow() as uow:
        result = work(uow)
        uow.commit()
    return result


@functools.lru_cache(maxsize=32)
def _writer_engine(engine: Engine) -> Engine:
    """``engine`` with the writer option: same pool and event listeners, one more execution option."""
    return engine.execution_options(**{WRITER: True})


def _is_lost_race(error: BaseException | None) -> bool:
    if isinstance(error, StaleDataError | IntegrityError):
        return is_lost_race(error)
    return isinstance(error, OperationalError) and _is_lock_error(error)


def is_lost_race(error: StaleDataError | IntegrityError) -> bool:
    """A row changed under us (version counter) or a race-guarding unique key taken by another writer."""
    return isinstance(error, StaleDataError) or violated_constraint(error) in RACE_GUARDS


def integrity_fault(error: IntegrityError) -> IntegrityFault:
    """A constraint bug: logged by the constraint's name (never the parameters), a 500 for the caller."""
    constraint = violated_constraint(error)
    log.error("integrity error, not a conflict: constraint %s was violated", constraint)
    return IntegrityFault(f"a database constraint was violated ({constraint})")


_SQLITE_CONSTRAINT = re.compile(r"^(UNIQUE|NOT NULL|CHECK|FOREIGN KEY) constraint failed(?:: (.*))?$")


def violated_constraint(error: IntegrityError) -> str:
    """The violated constraint's name (PostgreSQL reports it; for SQLite it is found by its columns)."""
    diag = getattr(error.orig, "diag", None)  # psycopg: the server's fields, never the parameters
    if diag is not None and (diag.constraint_name or diag.column_name):
        return str(diag.constraint_name or f"not null {diag.table_name}.{diag.column_name}")
    match = _SQLITE_CONSTRAINT.match(str(error.orig).strip())
    if match is None:
        return "unknown"
    kind, where = match.group(1), (match.group(2) or "").strip()
    if kind == "UNIQUE":
        return _UNIQUE_BY_COLUMNS.get(tuple(part.strip() for part in where.split(",")), f"unique {where}")
    return f"{kind.lower()} {where}".strip()  # SQLite names no constraint here: the column says enough


def _unique_constraints_by_columns() -> dict[tuple[str, ...], str]:
    """``("case_file.number",)`` → ``"uq_case_file_number"``, as SQLite reports a unique violation."""
    found: dict[tuple[str, ...], str] = {}
    for table in Base.metadata.tables.values():
        for constraint in table.constraints:
            # Unique keys and primary keys only: a foreign key on the same columns names no duplicate.
            if not isinstance(constraint, ColumnCollectionConstraint) or isinstance(
                constraint, ForeignKeyConstraint
            ):
                continue
            columns = tuple(f"{table.name}.{column.name}" for column in constraint.columns)
            if columns and isinstance(constraint.name, str):
                found.setdefault(columns, constraint.name)
    return found


_UNIQUE_BY_COLUMNS = _unique_constraints_by_columns()


def _is_lock_error(error: OperationalError) -> bool:
    text = str(error.orig).lower()
    return "locked" in text or "busy" in text or "could not serialize" in text or "deadlock" in text
