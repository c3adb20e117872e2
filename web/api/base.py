"""What every API blueprint shares: authentication first, our error body, documented error statuses."""

from __future__ import annotations

import http
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Request
from flask_smorest import Blueprint
from webargs.flaskparser import FlaskParser, abort
from werkzeug.exceptions import HTTPException

from web.api.auth import authenticate
from web.api.errors import CODES, http_error_response

API_PREFIX = "/api/v1"
F = TypeVar("F", bound=Callable[..., Any])


class ApiParser(FlaskParser):
    """webargs' parser, with a body nested too deeply for Python's JSON decoder answered as a 400."""

    def _raw_load_json(self, req: Request) -> Any:
        try:
            return super()._raw_load_json(req)
        except RecursionError as error:
            abort(400, exc=error, messages={"json": ["The JSON body is nested too deeply."]})


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = ApiParser()


def api_blueprint(name: str, description: str) -> Blueprint:
    """A blueprint named ``api_<name>`` (the pages own the plain names) under ``/api/v1``."""
    blp = ApiBlueprint(f"api_{name}", __name__, url_prefix=API_PREFIX, description=description)
    blp.before_request(authenticate)
    # Per status code, so these win over any app-wide handler for the same code (Flask looks up
    # code-specific handlers of the blueprint, then of the app, before class-based ones).
    for status in CODES:
        blp.register_error_handler(status, _handle_http_error)
    return blp


def _handle_http_error(error: HTTPException) -> Any:
    return http_error_response(error)


def errors(blp: Blueprint, *statuses: int) -> Callable[[F], F]:
    """Document the error statuses an endpoint answers with; 401 is added to every one."""

    def decorate(view: F) -> F:
        for status in sorted({401, *statuses}, reverse=True):
            view = blp.alt_response(status, response=http.HTTPStatus(status).name)(view)
        return view

    return decorate
