"""One unit of work per request, owned by the web layer.

``request_uow()`` opens it lazily; the app commits it once after the view returned (GET too: reads
are audited) and rolls it back on any error. Views never commit. A view that catches a service error
to show the form again calls ``discard_changes()`` first, so nothing half-done is committed.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app, g

from engine.services import Services
from engine.store.uow import UnitOfWork

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


def after_request_transaction(callback: Callable[[], None]) -> None:
    """Run ``callback`` once the request's transaction is over (committed or not), e.g. to record
    something in a short transaction of its own instead of holding a write lock for the request."""
    g.setdefault(_AFTER_KEY, []).append(callback)


def close_request(_error: BaseException | None = None) -> None:
    """Teardown: whatever was not committed is rolled back, and the session closed."""
    uow: UnitOfWork | None = g.pop(_KEY, None)
    if uow is not None:
        uow.__exit__(None, None, None)
    for callback in g.pop(_AFTER_KEY, []):
        callback()
