"""One unit of work per request, owned by the web layer.

``request_uow()`` opens it lazily; the app commits it once after the view returned (GET too: reads
are audited) and rolls it back on any error. Views never commit. A view that catches a service error
to show the form again calls ``discard_changes()`` first, so nothing half-done is committed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import current_app, g
from sqlalchemy.exc import SQLAlchemyError

from engine.errors import ConcurrencyConflict
from engine.services import Services
from engine.store.uow import UnitOfWork

log = logging.getLogger(__name__)

_KEY = "_casepath_uow"
_AFTER_KEY = "_casepath_after_transaction"


def current_services() -> Services:
    services: Services = current_app.extensions["casepath"]
    return services


def request_uow() -> UnitOfWork:
    """The request's unit of work, opened on first use."""
    uow: UnitOfWork | None = g.get(_KEY)
    if uow is None:
        uow = current_services().uow()
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
