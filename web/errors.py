"""Errors → HTTP, in one place: JSON ``{"error", "message", "fields"}`` under ``/api/``, a page otherwise.

Services raise :class:`engine.errors.CasepathError` subclasses with stable codes; nothing else in
``web/`` chooses a status for them. Another centre's case is a 404 (the service says NotFound), so its
existence does not leak.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from flask import Flask, Response, jsonify, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from engine.errors import CasepathError, ConcurrencyConflict, PathwayInvalid, ValidationFailed
from engine.store.uow import integrity_fault, is_lost_race
from web.field_messages import translated

log = logging.getLogger("casepath.web")


class Unauthenticated(CasepathError):
    """Nobody is signed in (or the session ended)."""

    code = "unauthorized"


STATUS = {
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "too_many_attempts": 429,
    "validation_failed": 422,
    "file_refused": 400,  # an upload whose content is not of an accepted kind: `fields` names the field
    "too_large": 413,
    "message_invalid": 400,
    "query_invalid": 400,  # a query parameter that does not fit: `fields` names it
    "pathway_invalid": 422,
    "expression_error": 422,
    "integrity_error": 500,  # a constraint bug (engine.store.uow logged which constraint)
    "unknown_serializer": 503,  # a case stored by another release: nothing was changed, logged below
}

TITLES = {
    400: _l("The request could not be understood"),
    401: _l("Please sign in"),
    403: _l("You may not do this"),
    404: _l("Not found"),
    405: _l("This action is not available here"),
    409: _l("Someone else was faster"),
    413: _l("The file is too large"),
    422: _l("Please check what you entered"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong on our side"),
}

EXPLANATIONS = {
    400: _l("Go back, reload the page and try again."),
    401: _l("Your session has ended. Sign in again to continue."),
    403: _l("Your role does not allow this. Ask your manager if you think it should."),
    404: _l("It does not exist, or it belongs to a centre you do not work in."),
    405: _l("Use the buttons on the page instead of typing the address."),
    409: _l(
        "The case was changed by someone else in the meantime. Nothing of yours was stored; reload the page."
    ),
    413: _l("Choose a smaller file."),
    422: _l("Some of the information is missing or not valid."),
    429: _l("Wait a minute and try again."),
    500: _l("The error was logged. Try again in a moment; if it keeps happening, tell your administrator."),
}

# Errors whose page says more than their status does: (title, explanation) by code.
PAGES_BY_CODE = {
    "unknown_serializer": (
        _l("This case cannot be opened by this version of Casepath"),
        _l(
            "Its state was stored in a format this version cannot read, perhaps by a newer version. "
            "Nothing was changed. Tell your administrator."
        ),
    ),
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_fields(error: CasepathError) -> dict[str, list[str]]:
    if isinstance(error, ValidationFailed):
        return error.fields
    if isinstance(error, PathwayInvalid):
        fields: dict[str, list[str]] = {}
        for problem in error.problems:
            fields.setdefault(problem.element_id, []).append(problem.message)
        return fields
    return {}


def json_error(status: int, code: str, message: str, fields: dict[str, Any] | None = None) -> Response:
    response = jsonify({"error": code, "message": message, "fields": fields or {}})
    response.status_code = status
    return response


def error_page(
    status: int, detail: str = "", fields: dict[str, list[str]] | None = None, code: str = ""
) -> tuple[str, int]:
    title, explanation = PAGES_BY_CODE.get(
        code, (TITLES.get(status, TITLES[400]), EXPLANATIONS.get(status, ""))
    )
    page = render_template(
        "error.html",
        status=status,
        title=title,
        explanation=explanation,
        detail=detail,
        fields=fields or {},
    )
    return page, status


def handle_casepath_error(error: CasepathError) -> Any:
    from web.db import discard_changes

    discard_changes()  # the page below may read (who is signed in); nothing of the failed work stays
    status = STATUS.get(error.code, 400)
    if status == 503:  # the operator must act (run the release that wrote the case): say so in the log
        log.error("%s on %s %s: %s", error.code, request.method, request.path, error.message)
    if wants_json():
        return json_error(status, error.code, error.message, error_fields(error))
    if status == 401:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    detail = error.message if status in (409, 422) else ""
    return error_page(status, detail, translated(error_fields(error)), error.code)


def handle_http_error(error: HTTPException) -> Any:
    status = error.code or 500
    code = "csrf_failed" if isinstance(error, CSRFError) else _http_code(status)
    if wants_json():
        return json_error(status, code, error.description or error.name)
    if isinstance(error, CSRFError):
        return error_page(400, str(_l("The form expired. Reload the page and submit it again.")))
    return error_page(status)


def _http_code(status: int) -> str:
    return {
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        409: "conflict",
        429: "rate_limited",
    }.get(status, "bad_request" if status < 500 else "server_error")


def handle_lost_race(error: Exception) -> Any:
    """A concurrent writer met inside a service's flush (a unique number taken, a row changed)."""
    if isinstance(error, OperationalError) and not _is_lock_error(error):
        raise error  # the database itself failed: a 500
    if isinstance(error, IntegrityError) and not is_lost_race(error):
        return handle_casepath_error(integrity_fault(error))  # a constraint bug: a 500 and a log line
    log.warning("lost a race on %s %s: %s", request.method, request.path, type(error).__name__)
    return handle_casepath_error(ConcurrencyConflict("someone else changed this case at the same time"))


def _is_lock_error(error: OperationalError) -> bool:
    text = str(error.orig).lower()
    return any(word in text for word in ("locked", "busy", "could not serialize", "deadlock"))


def handle_server_error(error: Exception) -> Any:
    from web.db import discard_changes

    discard_changes()  # a failed statement leaves PostgreSQL's transaction unusable for the page's header
    original = getattr(error, "original_exception", None) or error
    # Frames only: an exception's message may quote case data, which never goes to the logs.
    frames = "".join(traceback.format_tb(original.__traceback__)) if original.__traceback__ else ""
    log.error("unexpected %s on %s %s\n%s", type(original).__name__, request.method, request.path, frames)
    if wants_json():
        return json_error(500, "server_error", "unexpected error")
    return error_page(500)


def register(app: Flask) -> None:
    app.register_error_handler(CasepathError, handle_casepath_error)
    for lost_race in (IntegrityError, StaleDataError, OperationalError):
        app.register_error_handler(lost_race, handle_lost_race)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(500, handle_server_error)
