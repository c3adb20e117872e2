"""The Flask app factory: configuration, extensions, security headers, blueprints.

One unit of work per request (``web.db``): the app commits it once, after the view returned, and
rolls it back on any error. Every page is server-rendered; the only script is the diagram viewer
bundle, served from ``static/dist`` (no CDN), so the Content-Security-Policy allows only 'self'.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, Response, request, url_for
from flask.typing import ResponseReturnValue
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from engine.config import Settings, load_settings
from engine.people.permissions import (
    can_edit_pathway,
    can_manage_users,
    can_read_studio,
    can_use_dashboard,
    can_use_inbox,
    can_use_intake,
    can_use_statistics,
    can_view_incidents,
)
from engine.services import Services
from web.sweeper import start_sweeper

csrf = CSRFProtect()

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
# The studio's editor only: bpmn-js's modeller and its properties panel write style attributes (the panel's
# layout, the align and distribute icons). Style attributes alone cannot read a page, unlike <style>
# rules, which stay refused; scripts stay 'self'; the studio shows no case content.
MODELER_CSP = CSP.replace("style-src 'self';", "style-src 'self'; style-src-attr 'unsafe-inline';")
TRANSLATIONS = Path(__file__).parent / "translations"


class CasepathFlask(Flask):
    """Flask whose request commits the request's unit of work once the view has succeeded."""

    def dispatch_request(self) -> ResponseReturnValue:
        from web.db import commit_request

        result = super().dispatch_request()
        commit_request()
        return result

    def log_exception(self, exc_info: Any) -> None:
        """Flask would log the exception's message; ``web.errors`` logs its frames and type instead."""


def create_app(settings: Settings | None = None, services: Services | None = None) -> Flask:
    settings = settings or load_settings()
    app = CasepathFlask(__name__, instance_path=str(settings.instance_dir), instance_relative_config=False)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_upload_bytes,
        SESSION_COOKIE_NAME="casepath_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        REMEMBER_COOKIE_HTTPONLY=True,
        WTF_CSRF_TIME_LIMIT=None,  # valid for the session, which ends after the idle timeout
        WTF_CSRF_SSL_STRICT=settings.secure_cookies,
        BABEL_DEFAULT_LOCALE=settings.default_locale,
        BABEL_DEFAULT_TIMEZONE="Europe/Sofia",
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS),
        CASEPATH_LOGIN_LIMIT="10 per minute",
    )
    app.extensions["casepath"] = services or Services.from_settings(settings)
    _init_extensions(app, settings)
    _register_blueprints(app)
    start_sweeper(app, settings)  # no Redis: deadlines fire in this process
    if settings.trusted_proxies:
        # Behind a reverse proxy the audit must record the client's address, not the proxy's.
        n = settings.trusted_proxies
        # Flask's documented way to add WSGI middleware, though mypy refuses any assignment to a method.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    return app


def _init_extensions(app: Flask, settings: Settings) -> None:
    from web import db, errors, i18n
    from web.auth import LIMITER_KEY
    from web.case_file import admit_upload
    from web.security import enforce_idle_timeout, enforce_password_change, login_manager, reject_nul_bytes

    csrf.init_app(app)
    login_manager.init_app(app)
    i18n.init_app(app)
    errors.register(app)
    app.extensions[LIMITER_KEY] = Limiter(
        key_func=get_remote_address,
        app=app,
        storage_uri=settings.redis_url or "memory://",
        key_prefix="casepath",
        default_limits=[],
    )
    app.before_request(admit_upload)  # before anything reads a body: a document may exceed MAX_CONTENT_LENGTH
    app.before_request(reject_nul_bytes)
    app.before_request(enforce_idle_timeout)
    app.before_request(enforce_password_change)
    app.after_request(security_headers)
    app.teardown_request(db.close_request)
    app.context_processor(navigation)


def _register_blueprints(app: Flask) -> None:
    from web import (
        admin,
        api,
        auth,
        case_file,
        cases,
        dashboard,
        documents,
        form_builder,
        health,
        inbox,
        incidents,
        intake,
        notifications,
        pathways,
        repair,
        rooms,
        statistics,
        studio,
        studio_migrations,
        subject,
        task,
    )

    modules = (
        health,
        auth,
        dashboard,
        inbox,
        task,
        cases,
        case_file,
        documents,
        incidents,
        repair,
        notifications,
        intake,
        pathways,
        studio,
        studio_migrations,
        form_builder,
        admin,
        rooms,
        statistics,
        subject,
    )
    for module in modules:
        app.register_blueprint(module.bp)
    api.register(app)  # the JSON API at /api/v1


def security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "no-referrer"
    headers["X-Content-Type-Options"] = "nosniff"
    if request.endpoint != "static":
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    return response


def navigation() -> dict[str, Any]:
    """What the menu offers the signed-in user: the same predicates the services enforce."""
    from web.notifications import unread_badge
    from web.security import find_principal

    principal = find_principal()
    here = request.full_path.rstrip("?") if request.method == "GET" else url_for("auth.home")
    if principal is None:
        return {"nav": {}, "principal": None, "here": here, "unread": None}
    return {
        "principal": principal,
        "here": here,
        "unread": unread_badge(principal),
        "nav": {
            "dashboard": can_use_dashboard(principal),
            "statistics": can_use_statistics(principal),
            "inbox": can_use_inbox(principal),
            "cases": can_use_inbox(principal),
            "intake": can_use_intake(principal),
            "incidents": can_view_incidents(principal),
            "pathways": can_edit_pathway(principal),
            "approvals": can_read_studio(principal),
            "admin": can_manage_users(principal),
        },
    }
