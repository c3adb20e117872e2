"""What every API blueprint shares: authentication first, our error body, documented error statuses."""

from __future__ import annotations

import http
import json
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Request
from flask_smorest import Blueprint
from marshmallow import Schema
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request
from werkzeug.exceptions import HTTPException

from web.api.auth import authenticate
from web.api.errors import CODES, http_error_response

API_PREFIX = "/api/v1"
F = TypeVar("F", bound=Callable[..., Any])


# An integer literal longer than this is beyond every bound of the API (page numbers, form fields): it
# is read as TOO_LARGE, which those bounds refuse as a field error, instead of being converted (a
# 5,000-digit literal makes Python's decoder raise a plain ValueError, which would be a 500).
MAX_INT_DIGITS = 30
TOO_LARGE: int = 10**MAX_INT_DIGITS  # annotated: mypy types `int ** int` as Any (a negative power is a float)


def parse_json_body(data: bytes) -> Any:
    """A request body as JSON, with integers of absurd length read as ``±TOO_LARGE``."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise json.JSONDecodeError(f"Bytes decoding error : {error.reason}", "", error.start) from error
    return json.loads(text, parse_int=_bounded_int)


def _bounded_int(literal: str) -> int:
    if len(literal.lstrip("-")) > MAX_INT_DIGITS:
        return -TOO_LARGE if literal.startswith("-") else TOO_LARGE
    return int(literal)


class ApiParser(FlaskParser):
    """webargs' parser: too deep a body is a 400, an absurdly long integer a field error (422)."""

    def _raw_load_json(self, req: Request) -> Any:
        if not is_json_request(req):
            return core.missing
        try:
            return parse_json_body(req.get_data(cache=True))
        except json.JSONDecodeError as error:
            return self._handle_invalid_json_error(error, req)
        except RecursionError as error:
            abort(400, exc=error, messages={"json": ["The JSON body is nested too deeply."]})


# flask-smorest ships no type hints: its Blueprint is `Any` to mypy, subclassing `Any` is an error in
# strict mode, and its decorators would leave every view untyped.
class ApiBlueprint(Blueprint):  # type: ignore[misc]
    """flask-smorest's Blueprint with our JSON parser, and with types on the decorators the API uses.

    Each decorator only calls flask-smorest's own. They are typed as giving back a view of the type they
    were given: the wrapped view has other parameters (``arguments`` passes the parsed body), but only
    Flask calls it, and the view's own signature is what mypy should check.
    """

    ARGUMENTS_PARSER = ApiParser()

    def get(self, rule: str, **options: Any) -> Callable[[F], F]:
        return _typed(super().get(rule, **options))

    def post(self, rule: str, **options: Any) -> Callable[[F], F]:
        return _typed(super().post(rule, **options))

    def patch(self, rule: str, **options: Any) -> Callable[[F], F]:
        return _typed(super().patch(rule, **options))

    def put(self, rule: str, **options: Any) -> Callable[[F], F]:
        return _typed(super().put(rule, **options))

    def arguments(self, schema: type[Schema] | Schema, **options: Any) -> Callable[[F], F]:
        return _typed(super().arguments(schema, **options))

    def response(
        self, status_code: int, schema: type[Schema] | Schema | None = None, **options: Any
    ) -> Callable[[F], F]:
        return _typed(super().response(status_code, schema, **options))

    def alt_response(self, status_code: int, **options: Any) -> Callable[[F], F]:
        return _typed(super().alt_response(status_code, **options))

    @staticmethod
    def doc(**kwargs: Any) -> Callable[[F], F]:
        return _typed(Blueprint.doc(**kwargs))


def _typed(decorator: Any) -> Callable[[F], F]:
    """An untyped flask-smorest decorator, as the view decorator it is."""
    typed: Callable[[F], F] = decorator
    return typed


def api_blueprint(name: str, description: str) -> ApiBlueprint:
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


def errors(blp: ApiBlueprint, *statuses: int) -> Callable[[F], F]:
    """Document the error statuses an endpoint answers with; 401 is added to every one."""

    def decorate(view: F) -> F:
        for status in sorted({401, *statuses}, reverse=True):
            view = blp.alt_response(status, response=http.HTTPStatus(status).name)(view)
        return view

    return decorate
