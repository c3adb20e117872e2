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

# Where each form's fields are, for the error summary's links (field name → input id).
FIELD_IDS = {
    "user": {
        "username": "new-username",
        "display_name": "new-display-name",
        "password": "new-password",
        "centre": "new-centre",
        "role": "new-role",
    },
    "grant": {"grant_username": "grant-username", "grant_centre": "grant-centre", "grant_role": "grant-role"},
    "centre": {
        "code": "centre-code",
        "name": "centre-name",
        "kind": "centre-kind",
        "capacity": "centre-capacity",
        "address": "centre-address",
    },
}


def field_label(name: str) -> str:
    """A field's name in the error summary (the grant and centre-edit forms prefix theirs)."""
    plain = name.removeprefix("grant_").removeprefix("edit_")
    labels = {
        "username": _("Username"),
        "display_name": _("Name"),
        "name": _("Name"),
        "password": _("Password"),
        "centre": _("Centre"),
        "role": _("Role"),
        "code": _("Code"),
        "kind": _("Kind"),
        "capacity": _("Places"),
        "address": _("Address"),
        "correspondence_address": _("Correspondence address"),
        "phone": _("Phone"),
        "email": _("E-mail"),
    }
    return str(labels.get(plain, plain))


def _render(
    user_values: dict[str, str] | None = None,
    centre_values: dict[str, str] | None = None,
    grant_values: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
    form: str = "",
    targets: dict[str, str] | None = None,
    **extra: Any,
) -> Any:
    who = current_principal()
    search = request.args.get("q", "")[:100]
    users = administration.list_users(request_uow(), who, search)
    centres = administration.list_centres(request_uow(), who)
    errors = errors or {}
    targets = targets or FIELD_IDS.get(form, {})
    summary = [(targets.get(name, ""), field_label(name), messages) for name, messages in errors.items()]
    page = render_template(
        "admin.html",
        users=users,
        centres=centres,
        roles=ROLES,
        kinds=KINDS,
        user_values=user_values or {},
        centre_values=centre_values or {},
        grant_values=grant_values or {},
        errors=errors,
        error_summary=summary,
        search=search,
        me=who.name,
        **extra,
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
        return _render(user_values=values, errors=translated(error.fields), status=422, form="user")
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
        return _render(grant_values=values, errors=errors, status=422, form="grant")
    flash(_("The role of %(username)s is saved.", username=user.username), "success")
    return redirect(url_for("admin.index", _anchor=f"user-{user.username}"))


@bp.post("/users/<username>/name")
def rename(username: str) -> Any:
    name = request.form.get("display_name", "")[:300]
    try:
        user = administration.rename_user(request_uow(), current_principal(), username, name)
    except ValidationFailed as error:
        discard_changes()
        return _render(errors=translated(error.fields), status=422)
    flash(_("The name of %(username)s is saved.", username=user.username), "success")
    return redirect(url_for("admin.index", _anchor=f"user-{user.username}"))


@bp.post("/users/<username>/roles/remove")
def remove_role(username: str) -> Any:
    centre = request.form.get("centre", "")[:40]
    try:
        user = administration.remove_role(request_uow(), current_principal(), username, centre)
    except ValidationFailed as error:
        discard_changes()
        return _render(errors=translated(error.fields), status=422)
    flash(_("The role of %(username)s is removed.", username=user.username), "success")
    return redirect(url_for("admin.index", _anchor=f"user-{user.username}"))


@bp.post("/users/<username>/password")
def reset_password(username: str) -> Any:
    """A new random password, shown once on this page (never in a link or a flash), to pass on."""
    temporary = administration.reset_password(request_uow(), current_principal(), username)
    reset = {"username": username.strip().lower(), "password": temporary}
    return _render(reset=reset)


@bp.post("/users/<username>/active")
def set_active(username: str) -> Any:
    """Activate at once; deactivate only after the administrator confirmed it on a page of its own."""
    active = request.form.get("active") == "yes"
    who = current_principal()
    asking = not active and request.form.get("confirm") != "yes" and username.strip().lower() != who.name
    if asking:  # (deactivating oneself is refused below, with no question first)
        user = administration.managed_user(request_uow(), who, username)
        return render_template("admin_confirm.html", username=user.username)
    administration.set_user_active(request_uow(), who, username, active)
    flash(_("The user is active.") if active else _("The user is deactivated."), "success")
    return redirect(url_for("admin.index"))


@bp.post("/centres")
def create_centre() -> Any:
    values = {
        name: request.form.get(name, "")[:500] for name in ("code", "name", "kind", "capacity", "address")
    }
    try:
        administration.add_centre(
            request_uow(),
            current_principal(),
            values["code"],
            values["name"],
            values["kind"],
            _places(values["capacity"]),
            values["address"],
        )
    except ValidationFailed as error:
        discard_changes()
        return _render(centre_values=values, errors=translated(error.fields), status=422, form="centre")
    flash(_("The centre is created."), "success")
    return redirect(url_for("admin.index"))


@bp.post("/centres/<code>")
def update_centre(code: str) -> Any:
    """Change a centre's name and places; a new address replaces the old one, which is never shown."""
    name = request.form.get("name", "")[:300]
    address = request.form.get("address", "")[:1100]
    try:
        administration.update_centre(
            request_uow(),
            current_principal(),
            code,
            name,
            _places(request.form.get("capacity", "")),
            address or None,
            _letterhead(),
        )
    except ValidationFailed as error:
        discard_changes()
        errors = {f"edit_{name}": texts for name, texts in translated(error.fields).items()}
        shown = ("name", "capacity", "address", *administration.LETTERHEAD_LIMITS)
        targets = {f"edit_{name}": f"edit-{name}-{code}" for name in shown}
        return _render(errors=errors, status=422, edit_centre=code, targets=targets)
    flash(_("The centre is saved."), "success")
    return redirect(url_for("admin.index"))


def _letterhead() -> administration.Letterhead | None:
    """The letterhead fields of the centre form; None when the form has none (kept as they are)."""
    limits = administration.LETTERHEAD_LIMITS
    if not all(key in request.form for key in limits):
        return None
    values = {key: request.form.get(key, "")[: limit + 100] for key, limit in limits.items()}
    return administration.Letterhead(**values)


def _places(text: str) -> int:
    try:
        return int(text[:6] or "0")
    except ValueError:
        return 0
