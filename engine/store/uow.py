"""The unit of work: one transaction, owned by the caller, with side effects only after commit.

Services receive a :class:`UnitOfWork`, use ``uow.session`` and may ``flush()``; they never commit.
A unit of work is a writer unless opened with ``writer=False``: on SQLite a writer begins with
``BEGIN IMMEDIATE`` (see ``db.py``), so read-then-write never meets "database is locked".
They ``emit()`` small event objects (a notification to send, a task to enqueue); the dispatcher gets
them only once the commit has succeeded, so nothing is announced that did not happen.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from engine.clock import Clock, SystemClock
from engine.errors import ConcurrencyConflict
from engine.store.db import WRITER

Dispatcher = Callable[[Iterable[Any]], None]
T = TypeVar("T")


def drop_events(events: Iterable[Any]) -> None:
    """The default dispatcher: events with no listener are dropped after commit."""


class UnitOfWork:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        clock: Clock | None = None,
        dispatch: Dispatcher = drop_events,
        writer: bool = True,
    ) -> None:
        self._factory = session_factory
        self.writer = writer
        self.clock: Clock = clock or SystemClock()
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

    def emit(self, event: Any) -> None:
        self.events.append(event)

    def commit(self) -> None:
        """Commit, turning a lost race into ConcurrencyConflict; then hand events to the dispatcher."""
        try:
            self.session.commit()
        except (StaleDataError, IntegrityError) as error:
            self.session.rollback()
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
    if isinstance(error, StaleDataError):
        return True
    return isinstance(error, OperationalError) and _is_lock_error(error)


def _is_lock_error(error: OperationalError) -> bool:
    text = str(error.orig).lower()
    return "locked" in text or "busy" in text or "could not serialize" in text or "deadlock" in text
