"""The administrator's pages: users and centres (never case content, never a centre's address)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.errors import ValidationFailed
from engine.people import administration
from engine.people.centres import KINDS
from engine.people.roles import ROLES
from web.db import discard_changes, reads_only, request_uow
from web.field_messages import translated
from web.security import current_principal, require_sign_in

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(require_sign_in)


def _render(
    user_values: dict[str, str] | None = None,
    centre_values: dict[str, str] | None = None,
    grant_values: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> Any:
    who = current_principal()
    users = administration.list_users(request_uow(), who)
    centres = administration.list_centres(request_uow(), who)
    page = render_template(
        "admin.html",
        users=users,
        centres=centres,
        roles=ROLES,
        kinds=KINDS,
        user_values=user_values or {},
        centre_values=centre_values or {},
        grant_values=grant_values or {},
        errors=errors or {},
    )
    return page, status


@bp.get("")
@reads_only
def index() -> Any:
    return _render()


@bp.post("/users")
def create_user() -> Any:
    values = {
        name: request.form.get(name, "")[:200] for name in ("username", "display_name", "centre", "role")
    }
    password = request.form.get("password", "")[:1024]
    try:
        administration.add_user(
            request_uow(),
            current_principal(),
            values["username"],
            password,
            values["centre"],
            values["role"],
            values["display_name"],
        )
    except ValidationFailed as error:
        discard_changes()
        return _render(user_values=values, errors=translated(error.fields), status=422)
    flash(_("The user %(username)s is saved.", username=values["username"].strip().lower()), "success")
    return redirect(url_for("admin.index"))


@bp.post("/roles")
def grant_role() -> Any:
    """Give an existing user a role in a centre the administrator administers (never to oneself)."""
    values = {
        name: request.form.get(name, "")[:200] for name in ("grant_username", "grant_centre", "grant_role")
    }
    try:
        user = administration.grant_role(
            request_uow(),
            current_principal(),
            values["grant_username"],
            values["grant_centre"],
            values["grant_role"],
        )
    except ValidationFailed as error:
        discard_changes()
        errors = translated(error.fields, "grant_")
        return _render(grant_values=values, errors=errors, status=422)
    flash(_("The role of %(username)s is saved.", username=user.username), "success")
    return redirect(url_for("admin.index"))


@bp.post("/users/<username>/active")
def set_active(username: str) -> Any:
    active = request.form.get("active") == "yes"
    administration.set_user_active(request_uow(), current_principal(), username, active)
    flash(_("The user is active.") if active else _("The user is deactivated."), "success")
    return redirect(url_for("admin.index"))


@bp.post("/centres")
def create_centre() -> Any:
    values = {
        name: request.form.get(name, "")[:500] for name in ("code", "name", "kind", "capacity", "address")
    }
    try:
        capacity = int(values["capacity"] or "0")
    except ValueError:
        capacity = 0
    try:
        administration.add_centre(
            request_uow(),
            current_principal(),
            values["code"],
            values["name"],
            values["kind"],
            capacity,
            values["address"],
        )
    except ValidationFailed as error:
        discard_changes()
        return _render(centre_values=values, errors=translated(error.fields), status=422)
    flash(_("The centre is created."), "success")
    return redirect(url_for("admin.index"))
