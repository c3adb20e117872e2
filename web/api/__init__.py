"""The JSON API at ``/api/v1``: flask-smorest blueprints over the engine's services.

The OpenAPI document is generated from these views and schemas and served at
``/api/v1/openapi.json``. ``register(app)`` is the one call ``web.app.create_app`` makes.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from flask_smorest import Api
from werkzeug.exceptions import MethodNotAllowed

from web.api.base import API_PREFIX
from web.api.errors import http_error_response
from web.api.schemas import ErrorSchema
from web.errors import handle_http_error

DESCRIPTION = """\
Casepath's JSON API for integrators and for the web app itself.

**Authentication.** Send a personal token, `Authorization: Bearer <token>`; an administrator creates
one with `casepath users token USERNAME [--days N]` (it is printed once and stored only as a hash). A
token expires (after 90 days unless the operator chose otherwise) and is revoked when its user's
password or role changes, when the user is deactivated, or by `casepath users revoke-tokens`: then
the API answers 401 and a new token is needed. A browser
signed in to Casepath may call the API with its session cookie instead; then every write (`POST`)
must carry the session's CSRF token in the `X-CSRFToken` header, like the app's forms do. Requests
with a bearer token need no CSRF token.

**Permissions.** Every endpoint checks the caller's role in the case's centre. A case or task of a
centre where the caller has no role answers 404, as if it did not exist.

**Errors** are JSON `{"error": code, "message": text, "fields": {name: [messages]}}` with status 400,
401, 403, 404, 405, 409 or 422. For a BPMN upload, `fields` names the diagram's element ids. A case
whose stored state this release cannot read (written by a newer one) answers 503, `unknown_serializer`,
and is left unchanged.

**Text** never contains NUL characters: a request carrying one is refused with 400.

**Dates** are ISO 8601: instants in Europe/Sofia time with their offset, dates as `YYYY-MM-DD`.
"""


class CasepathApi(Api):  # type: ignore[misc]  # flask-smorest is untyped: its Api is `Any` to mypy
    """flask-smorest's Api with our error body documented, and no app-wide error handler.

    flask-smorest would handle every ``HTTPException`` of the whole app, HTML pages included; our
    blueprints handle their own HTTP errors (``web.api.base``) and ``web/errors.py`` the rest.
    """

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        return None


def register(app: Flask) -> CasepathApi:
    from web.api import (
        case_file,
        cases,
        dashboard,
        documents,
        forms,
        migrations,
        pathways,
        repair,
        statistics,
        studio,
        tasks,
    )

    app.config.update(
        API_TITLE="Casepath",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=API_PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {"description": DESCRIPTION},
            "servers": [{"url": "/"}],
            "security": [{"bearerToken": []}, {"session": []}],
            "components": {
                "securitySchemes": {
                    "bearerToken": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "a personal token from `casepath users token USERNAME`",
                    },
                    "session": {
                        "type": "apiKey",
                        "in": "cookie",
                        "name": app.config.get("SESSION_COOKIE_NAME", "session"),
                        "description": "the web app's session; writes also need the X-CSRFToken header",
                    },
                }
            },
        },
    )
    api = CasepathApi(app)
    blueprints = (
        tasks.blp,
        cases.blp,
        case_file.blp,
        repair.blp,
        documents.blp,
        pathways.blp,
        studio.blp,
        forms.blp,
        migrations.blp,
        dashboard.blp,
        statistics.blp,
    )
    for blp in blueprints:
        api.register_blueprint(blp)
    app.register_error_handler(405, method_not_allowed)
    csrf = app.extensions.get("csrf")
    if csrf is not None:
        for blp in blueprints:  # checked in web.api.auth for session requests only
            csrf.exempt(blp)
    return api


def method_not_allowed(error: MethodNotAllowed) -> Any:
    """A 405 is raised while routing, before any blueprint: keep its ``Allow`` header on API paths."""
    if request.path.startswith(f"{API_PREFIX}/"):
        return http_error_response(error)
    return handle_http_error(error)
