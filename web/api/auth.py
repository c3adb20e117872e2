"""Who is calling the API: a personal bearer token, or the signed-in session (with its CSRF token).

``Authorization: Bearer <token>`` is looked up by its SHA-256 hash
(``engine.people.credentials.use_token``) and
the principal is put in ``g.principal``, where ``web.security.current_principal()`` finds it. The
token's last use is recorded after the request's transaction, in one of its own, at most every few
minutes: a read never takes a write lock, and requests sharing a token never queue. Without
that header the Flask-Login session decides; a session may only write with a valid CSRF token in
``X-CSRFToken``, because a browser sends the cookie by itself and the bearer header never.
"""

from __future__ import annotations

from flask import current_app, g, request
from flask_wtf.csrf import CSRFError
from webargs.flaskparser import abort

from engine.people import credentials
from engine.people.permissions import Principal
from engine.people.users import principal_for
from web.db import after_request_transaction, request_uow
from web.security import current_principal, find_principal

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="casepath"'}
MAX_TOKEN = 200


def authenticate() -> None:
    """``before_request`` of every API blueprint: 401 unless the caller is known."""
    header = request.headers.get("Authorization")
    if header is not None:
        g.principal = _bearer_principal(header)
        return
    if find_principal() is None:
        abort(401, message="sign in or send 'Authorization: Bearer <token>'", headers=CHALLENGE)
    if request.method not in SAFE_METHODS:
        _check_csrf()


def _bearer_principal(header: str) -> Principal:
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > MAX_TOKEN:
        abort(401, message="the Authorization header must be 'Bearer <token>'", headers=CHALLENGE)
    uow = request_uow()
    now = uow.clock.now()
    use = credentials.use_token(uow, token, now)
    if use is None:
        abort(
            401,
            message="the token is unknown, expired or revoked, or its user is inactive",
            headers=CHALLENGE,
        )
    if use.stale:
        token_id = use.token_id
        after_request_transaction(lambda own: credentials.touch(own, token_id, now))
    return principal_for(use.user, request.remote_addr or "")


def _check_csrf() -> None:
    """Flask-WTF's own check, which the API blueprints are exempted from for bearer requests."""
    csrf = current_app.extensions.get("csrf")
    if csrf is None or not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    try:
        csrf.protect()
    except CSRFError as error:
        abort(400, code="csrf_failed", message=f"{error.description} (send it in the X-CSRFToken header)")


def caller() -> Principal:
    """The authenticated principal of this API request (``authenticate`` ran before the view)."""
    return current_principal()
