"""One unit of work per request, owned by the web layer.

``request_uow()`` opens it lazily; the app commits it once after the view returned (GET too: reading a
case is audited) and rolls it back on any error. It is a writer (on SQLite ``BEGIN IMMEDIATE``, so a
request never fails half-way for want of the write lock) unless its view is marked ``@reads_only``:
lists and pages that record nothing, which then never wait behind a writer. Views never commit. A view
that catches a service error to show the form again calls ``discard_changes()`` first, so nothing
half-done is committed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, g, request
from sqlalchemy.exc import SQLAlchemyError

from engine.errors import ConcurrencyConflict
from engine.services import Services
from engine.store.uow import UnitOfWork

log = logging.getLogger(__name__)

_KEY = "_casepath_uow"
_READS_ONLY = "casepath_reads_only"
View = TypeVar("View", bound=Callable[..., Any])
_AFTER_KEY = "_casepath_after_transaction"


def current_services() -> Services:
    services: Services = current_app.extensions["casepath"]
    return services


def reads_only(view: View) -> View:
    """Mark a GET view that records and changes nothing: its transaction is a reader.

    Put it right above ``def`` (under the route and schema decorators, which copy the mark). A view
    that writes an audit row (a case or task page) must not carry it.
    """
    setattr(view, _READS_ONLY, True)
    return view


def _reads_only() -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, _READS_ONLY, False))


def request_uow() -> UnitOfWork:
    """The request's unit of work, opened on first use."""
    uow: UnitOfWork | None = g.get(_KEY)
    if uow is None:
        uow = current_services().uow(writer=not _reads_only())
        uow.__enter__()
        setattr(g, _KEY, uow)
    return uow


def discard_changes() -> None:
    """Roll back what the request changed so far (after a service refused the change)."""
    uow: UnitOfWork | None = g.get(_KEY)
    if uow is not None:
        uow.rollback()


def commit_request() -> None:
    """Called once by the app after the view succeeded; the only commit in ``web/``."""
    uow: UnitOfWork | None = g.get(_KEY)
    if uow is not None:
        uow.commit()


def after_request_transaction(work: Callable[[UnitOfWork], object]) -> None:
    """Run ``work`` in a short unit of work of its own once the request's transaction is over
    (committed or not): bookkeeping that must not make a read hold a write lock for the whole request.
    Best effort: when the database is busy the work is skipped and a line without details is logged."""
    g.setdefault(_AFTER_KEY, []).append(work)


def _run_after(work: Callable[[UnitOfWork], object]) -> None:
    try:
        with current_services().uow() as uow:
            work(uow)
            uow.commit()
    except (SQLAlchemyError, ConcurrencyConflict):
        log.warning("bookkeeping after a request was skipped: the database was busy")


def close_request(_error: BaseException | None = None) -> None:
    """Teardown: whatever was not committed is rolled back, and the session closed."""
    uow: UnitOfWork | None = g.pop(_KEY, None)
    if uow is not None:
        uow.__exit__(None, None, None)
    for work in g.pop(_AFTER_KEY, []):
        _run_after(work)
