"""The API's error body, ``{"error": code, "message": …, "fields": {…}}``, for HTTP errors.

Engine errors (``CasepathError``) are mapped to a status in one place, ``web/errors.py``. What lands
here are the HTTP errors raised before a service runs: webargs/marshmallow validation (422), a body
that is not JSON (400), a missing or wrong credential (401), an unknown path or method (404, 405).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Response
from werkzeug.exceptions import HTTPException

from web.errors import json_error

# Stable codes: the engine's own where they overlap (web/errors.py), more precise where they do not.
CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
}


def error_response(
    status: int,
    code: str,
    message: str,
    fields: Mapping[str, list[str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    response = json_error(status, code, message, dict(fields or {}))
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def http_error_response(error: HTTPException) -> Response:
    """Our body for a werkzeug HTTP error, with webargs' messages (if any) flattened per field."""
    status = error.code or 500
    data: dict[str, Any] = getattr(error, "data", None) or {}
    fields = flatten_messages(data.get("messages") or {})
    message = str(data.get("message") or _message_for(status, fields, error))
    headers = {
        name: value
        for name, value in error.get_headers()
        if name.lower() not in {"content-type", "content-length"}
    }
    headers.update(data.get("headers") or {})
    return error_response(status, data.get("code") or CODES.get(status, "error"), message, fields, headers)


def _message_for(status: int, fields: Mapping[str, list[str]], error: HTTPException) -> str:
    if status in (400, 422) and fields:
        return "the request has errors"
    return error.description or error.name


def flatten_messages(messages: Any) -> dict[str, list[str]]:
    """webargs' ``{"json": {"data": {"note": ["…"]}}}`` → ``{"data.note": ["…"]}``.

    The location level (json, query, files, view_args) is dropped: field names are unique per
    endpoint. A location whose whole body is wrong keeps the location as its name (``json``).
    """
    fields: dict[str, list[str]] = {}
    if isinstance(messages, Mapping):
        for location, value in messages.items():
            _flatten(value, "" if isinstance(value, Mapping) else str(location), fields)
    elif messages:
        _flatten(messages, "_schema", fields)
    return fields


def _flatten(value: Any, prefix: str, out: dict[str, list[str]]) -> None:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            _flatten(inner, f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        out.setdefault(prefix or "_schema", []).extend(value)
    elif isinstance(value, list | tuple):
        for item in value:
            _flatten(item, prefix, out)
    else:
        out.setdefault(prefix or "_schema", []).append(str(value))
