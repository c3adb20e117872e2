"""Signing in, sessions and the principal of each request.

Pages and the API both ask :func:`current_principal`; the API's bearer-token authentication sets
``g.principal`` before it is asked, pages rely on the Flask-Login session. Sessions end after
``settings.idle_timeout_minutes`` without a request (shared computers at the centre).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any, NoReturn

from flask import flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin, LoginManager, UserMixin, current_user, login_user, logout_user

from engine.people.permissions import Principal
from engine.people.users import find_session_user
from engine.store.models import User
from web.db import current_services, request_uow
from web.errors import Unauthenticated, json_error

login_manager = LoginManager()
login_manager.session_protection = "strong"
login_manager.login_view = "auth.login"


# Flask-Login ships no type hints: its mixins are `Any` to mypy, and subclassing `Any` is an error in
# strict mode. For the same reason its callbacks are registered by calls below, not as decorators, which
# would leave the functions untyped.
@dataclass
class SignedInUser(UserMixin):  # type: ignore[misc]
    """What the session knows about the signed-in user: plain values, no ORM object."""

    id: int
    username: str
    display_name: str
    locale: str
    roles: dict[int, str] = field(default_factory=dict)
    must_change_password: bool = False  # an administrator reset it: every page asks for a new one first

    def get_id(self) -> str:
        return str(self.id)

    @classmethod
    def of(cls, user: User) -> SignedInUser:
        roles = {m.centre_id: m.role for m in user.memberships}
        name = user.display_name or user.username
        return cls(user.id, user.username, name, user.locale, roles, user.must_change_password)


def load_user(user_id: str) -> SignedInUser | None:
    """The session's user, unless the session ended: user deactivated, or their security stamp renewed
    (sign-out anywhere, password change, role removed) since this session signed in."""
    try:
        user = find_session_user(request_uow(), int(user_id), session.get("stamp"))
    except ValueError:
        return None
    return SignedInUser.of(user) if user is not None else None


def unauthorized() -> NoReturn:
    raise Unauthenticated("sign in first")


login_manager.user_loader(load_user)
login_manager.unauthorized_handler(unauthorized)


def client_ip() -> str:
    return (request.remote_addr or "")[:64]


def find_principal() -> Principal | None:
    """The principal of this request, or None when nobody is signed in."""
    principal: Principal | None = g.get("principal")
    if principal is None and current_user.is_authenticated:
        principal = Principal(current_user.id, current_user.username, dict(current_user.roles), client_ip())
        g.principal = principal
    return principal


def current_principal() -> Principal:
    """The signed-in user as the engine sees them; raises Unauthenticated (401) for nobody."""
    principal = find_principal()
    if principal is None:
        raise Unauthenticated("sign in first")
    return principal


def require_sign_in() -> None:
    """``before_request`` of every blueprint that shows or changes anything."""
    current_principal()


def sign_in(user: User) -> None:
    """A fresh session for this user: nothing from before signing in is carried over."""
    session.clear()
    login_user(SignedInUser.of(user), remember=False, fresh=True)
    # A browser-session cookie: gone when the browser closes. (A permanent session would also turn
    # Flask-Login's "strong" protection into "basic"; the idle timeout is enforced here, server-side.)
    session.permanent = False
    session["sid"] = secrets.token_urlsafe(16)
    session["stamp"] = user.security_stamp
    session["seen"] = current_services().clock.now().timestamp()
    session["locale"] = user.locale
    g.pop("principal", None)


def sign_out() -> None:
    logout_user()
    session.clear()
    g.pop("principal", None)


def enforce_idle_timeout() -> Any:
    """``before_request``: end a session idle for longer than the configured minutes."""
    if request.endpoint == "static" or "_user_id" not in session:
        return None
    services = current_services()
    now = services.clock.now().timestamp()
    seen = session.get("seen")
    minutes = services.settings.idle_timeout_minutes
    if not isinstance(seen, int | float) or now - seen > minutes * 60:
        locale = session.get("locale")
        sign_out()
        if locale:
            session["locale"] = locale
        if request.path.startswith("/api/"):
            return None  # the API answers 401 itself
        flash(_("You were signed out after %(minutes)d minutes without activity.", minutes=minutes), "info")
        return redirect(url_for("auth.login"))
    session["seen"] = now
    return None


# What a user whose password was reset may still reach before choosing a new one.
OPEN_WHILE_PASSWORD_RESET = frozenset(
    {"static", "auth.change_password", "auth.logout", "auth.login", "auth.language", "health.healthz"}
)


def enforce_password_change() -> Any:
    """``before_request``: after an administrator's reset, every page leads to the password form first
    (and the API refuses with 403 ``password_change_required``) until the user has chosen their own."""
    if request.endpoint in OPEN_WHILE_PASSWORD_RESET or "_user_id" not in session:
        return None
    if not (current_user.is_authenticated and current_user.must_change_password):
        return None
    if request.path.startswith("/api/"):
        return json_error(403, "password_change_required", "choose a new password first")
    flash(_("Your password was reset by an administrator: choose your own to continue."), "info")
    return redirect(url_for("auth.change_password"))


class Anonymous(AnonymousUserMixin):  # type: ignore[misc]  # Flask-Login is untyped (see SignedInUser)
    locale = ""


login_manager.anonymous_user = Anonymous


def reject_nul_bytes() -> None:
    """``before_request``: NUL characters are never valid input (PostgreSQL refuses them in text)."""
    from werkzeug.exceptions import BadRequest

    found = "\x00" in request.path or _has_nul(request.args)
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        found = found or _has_nul(request.form)
    elif request.is_json:
        found = found or b"\\u0000" in request.get_data(cache=True)
    if found:
        raise BadRequest("NUL characters are not allowed")


def _has_nul(values: Any) -> bool:
    return any(
        "\x00" in str(key) or any("\x00" in str(value) for value in values.getlist(key)) for key in values
    )
