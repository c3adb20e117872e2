"""The administrator's pages: users and centres (never case content, never a centre's address)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engine import administration, passwords, users
from engine.centres import KINDS
from engine.errors import ValidationFailed
from engine.roles import ROLES
from web.db import discard_changes, reads_only, request_uow
from web.security import current_principal, require_sign_in

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(require_sign_in)

# The engine's field messages on these forms, in the reader's language (the engine speaks English codes).
FIELD_MESSAGES = {
    passwords.TOO_SHORT: _l("At least 10 characters."),
    passwords.TOO_LONG: _l("At most 1024 characters."),
    passwords.ONLY_SPACES: _l("Not only spaces."),
    passwords.TOO_EASY: _l(
        "Too easy to guess: avoid common words, names, repeats and sequences; a few unrelated words work."
    ),
    users.USERNAME_TAKEN: _l("This username is taken: give the existing user a role instead."),
    users.USERNAME_FORM: _l("2–80 characters: lower-case Latin letters, digits, '.', '_' or '-'."),
    users.ROLES_APART: _l(
        "The admin role and casework roles are never held by one person at the same centre."
    ),
    administration.NOT_YOURS: _l("You do not administer this centre."),
    administration.NO_SUCH_USER: _l("There is no such user."),
    administration.NOT_TO_YOURSELF: _l("You cannot give a role to yourself."),
    administration.CENTRE_EXISTS: _l("A centre with this code exists."),
    administration.TOO_LONG: _l("Too long."),
}
# Messages that name a value: known by how they begin.
FIELD_PREFIXES = {
    "one of ": _l("Choose one from the list."),
    "no centre with code": _l("There is no such centre."),
}


def _message(text: str) -> str:
    if text in FIELD_MESSAGES:
        return str(FIELD_MESSAGES[text])
    found = next((str(m) for prefix, m in FIELD_PREFIXES.items() if text.startswith(prefix)), None)
    return found if found is not None else text


def _translated(errors: dict[str, list[str]], prefix: str = "") -> dict[str, list[str]]:
    return {f"{prefix}{name}": [_message(text) for text in texts] for name, texts in errors.items()}


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
        return _render(user_values=values, errors=_translated(error.fields), status=422)
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
        errors = _translated(error.fields, "grant_")
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
        return _render(centre_values=values, errors=_translated(error.fields), status=422)
    flash(_("The centre is created."), "success")
    return redirect(url_for("admin.index"))
