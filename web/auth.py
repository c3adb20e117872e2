"""Signing in and out, and the language switch."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter import Limiter, RateLimitExceeded

from engine.errors import TooManyAttempts, ValidationFailed
from engine.people import users
from engine.people.permissions import (
    Principal,
    can_edit_pathway,
    can_manage_users,
    can_use_dashboard,
    can_use_inbox,
    can_use_intake,
)
from engine.people.users import LOCALES, set_locale
from web.db import current_services, discard_changes, request_uow
from web.field_messages import translated
from web.security import client_ip, current_principal, find_principal, sign_in, sign_out

bp = Blueprint("auth", __name__)
LIMITER_KEY = "casepath_limiter"
MAX_NEXT = 2000  # a path with its query string; longer ones are not links of ours


def limiter() -> Limiter:
    found: Limiter = current_app.extensions[LIMITER_KEY]
    return found


def safe_next(target: str | None, fallback: str) -> str:
    """Only a path on this site: never another host, never a scheme, never a control character.

    A CR or LF in ``next`` would otherwise reach the ``Location`` header (``/\r\nSet-Cookie: …``).
    """
    if not target or len(target) > MAX_NEXT or any(ord(char) < 32 or ord(char) == 127 for char in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    if "\\" in target:
        return fallback
    return target


def home_for(principal: Principal) -> str:
    if can_use_dashboard(principal):  # managers and case leads land on their centres' dashboard
        return url_for("dashboard.index")
    if can_use_inbox(principal):
        return url_for("inbox.index")
    if can_edit_pathway(principal):
        return url_for("pathways.index")
    if can_manage_users(principal):
        return url_for("admin.index")
    if can_use_intake(principal):
        return url_for("intake.new")
    return url_for("auth.no_access")


def demo_hint() -> str:
    """In demo mode only (``CASEPATH_DEMO=1``), the demo accounts' password for the sign-in page."""
    if not current_services().settings.demo_mode:
        return ""
    from cli.demo import DEMO_PASSWORD

    return DEMO_PASSWORD


@bp.get("/")
def home() -> Any:
    principal = find_principal()
    return redirect(home_for(principal) if principal else url_for("auth.login"))


@bp.get("/no-access")
def no_access() -> Any:
    if find_principal() is None:
        return redirect(url_for("auth.login"))
    return render_template("no_access.html")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    next_url = request.values.get("next", "")
    if request.method == "GET":
        principal = find_principal()
        if principal is not None:
            return redirect(safe_next(next_url, home_for(principal)))
        return render_template("login.html", next_url=next_url, error="", demo=demo_hint())
    try:
        with limiter().limit(lambda: current_app.config["CASEPATH_LOGIN_LIMIT"], scope="login"):
            pass
    except RateLimitExceeded:
        message = _("Too many sign-in attempts from this computer. Wait a minute and try again.")
        return render_template("login.html", next_url=next_url, error=message, demo=demo_hint()), 429
    username = request.form.get("username", "")[:80]
    password = request.form.get("password", "")[:1024]
    try:
        user = users.sign_in(request_uow(), username, password, client_ip())
    except TooManyAttempts as refused:
        message = _("Too many failed sign-ins for this username. Wait a few minutes and try again.")
        page = render_template("login.html", next_url=next_url, error=message, demo=demo_hint())
        return page, 429, {"Retry-After": str(math.ceil(refused.retry_after.total_seconds()))}
    if user is None:
        message = _("The username or the password is not right.")
        return render_template("login.html", next_url=next_url, error=message, demo=demo_hint()), 401
    sign_in(user)
    principal = find_principal()
    assert principal is not None
    return redirect(safe_next(next_url, home_for(principal)))


@bp.post("/logout")
def logout() -> Any:
    principal = find_principal()
    if principal is not None:
        users.sign_out(request_uow(), principal)
    sign_out()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
def change_password() -> Any:
    """Anyone signed in changes their own password, knowing the current one; other sessions end."""
    principal = current_principal()
    if request.method == "GET":
        return render_template("account_password.html", errors={})
    try:
        with limiter().limit(lambda: current_app.config["CASEPATH_LOGIN_LIMIT"], scope="password"):
            pass
    except RateLimitExceeded:
        message = _("Too many attempts from this computer. Wait a minute and try again.")
        errors = {"current_password": [message]}
        return render_template("account_password.html", errors=errors), 429
    current = request.form.get("current_password", "")[:1024]
    new = request.form.get("new_password", "")[:1024]
    try:
        user = users.change_own_password(request_uow(), principal, current, new)
    except ValidationFailed as error:
        discard_changes()
        return render_template(
            "account_password.html", errors=translated(error.fields, rename={"password": "new_password"})
        ), 422
    sign_in(user)  # this browser goes on with a fresh session; every other one has ended
    flash(_("Your password is changed. You were signed out everywhere else."), "success")
    return redirect(home_for(principal))


@bp.post("/language")
def language() -> Any:
    chosen = request.form.get("locale", "")
    if chosen not in LOCALES:
        chosen = current_services().settings.default_locale
    session["locale"] = chosen
    principal = find_principal()
    if principal is not None and principal.user_id is not None:
        set_locale(request_uow(), principal.user_id, chosen)
    return redirect(safe_next(request.form.get("next"), url_for("auth.home")))
